package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/store"
)

// exportSubject is `reel users export`: the subject access zip of one recorded user, written
// from the index (--data or --db) and the blob store (--blobs) directly, so it needs no
// running server and no login, like erase-user; with a server running, the stores keep the
// two consistent. The file is written beside its final name and renamed, so a failure leaves
// no half archive. An audit entry records it, naming the user by hash.
func exportSubject(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	data := fs.Lookup("data").Value.String
	dbSpec := fs.Lookup("db").Value.String
	project := fs.String("project", setup.DefaultProjectID, "project id")
	user := fs.String("user", "", "the recorded user id (what the site sent with Reel.identify)")
	out := fs.String("o", "", "the zip file to write")
	blobsSpec := fs.String("blobs", env("REEL_BLOBS", ""), blobsUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || strings.TrimSpace(*user) == "" || *out == "" {
		fmt.Fprint(stderr, usersUsage)
		return errors.New("usage: reel users export [--data DIR] [--db URL] [--blobs URL] [--project ID] --user USER_ID -o FILE.zip")
	}
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(data(), "index.db")); err != nil && dbSpec() == "" {
		return fmt.Errorf("no Reel data in %s: %w", data(), err)
	}
	if _, err := os.Stat(filepath.Join(data(), "blobs")); *blobsSpec == "" && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no objects in %s: if the server keeps them on S3, give the same --blobs (or REEL_BLOBS)", filepath.Join(data(), "blobs"))
	}
	db, _, err := openIndex(ctx, dbSpec(), data())
	if err != nil {
		return err
	}
	defer db.Close()
	blobs, _, err := openBlobs(ctx, *blobsSpec, data())
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a := api.New(db, blobs, nil, log, layout.NewCache(blobs, 16<<20), nil)

	tmp, err := os.CreateTemp(filepath.Dir(*out), ".reel-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	now := time.Now()
	n, err := a.WriteSubjectExport(ctx, tmp, *project, *user, now)
	if errors.Is(err, store.ErrNotFound) {
		tmp.Close()
		return fmt.Errorf("no project %q", *project)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *out)
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"sessions": n, "via": "reel users export"})
	if err := db.AppendAudit(ctx, store.AuditEntry{At: now, Actor: "(command line)", Action: audit.SubjectExport, Project: *project,
		Target: audit.UserRef(*project, *user), Client: "local", Detail: detail}); err != nil {
		log.Warn("recording the export in the audit log failed", "err", err)
	}
	fmt.Fprintf(stdout, "wrote %s: %d sessions of the user in project %q\n", *out, n, *project)
	return nil
}
