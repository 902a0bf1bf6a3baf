package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/reelhq/reel/internal/lifecycle"
)

// sweepOrphans is `reel sweep-orphans`: the orphan sweep on demand, for an operator who will
// not wait for the periodic one, typically after a crash of a node sharing PostgreSQL and
// before answering an erasure request. With --grace under the 10 minutes `reel serve` allows it
// could delete an object another node is about to commit, so it needs --all-stopped, the
// operator's word that no `reel serve` of this index runs; on the embedded index the data
// directory's lock proves it instead (docs/storage.md, "Crash leftovers").
func sweepOrphans(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reel sweep-orphans", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("REEL_DATA", "./reel-data"), "data directory (REEL_DATA)")
	dbSpec := fs.String("db", env("REEL_DB", ""), dbUsage)
	blobsSpec := fs.String("blobs", env("REEL_BLOBS", ""), blobsUsage)
	grace := fs.Duration("grace", lifecycle.Defaults.OrphanGrace, "delete unreferenced objects and temporary files last modified longer ago than this; under 10m needs --all-stopped")
	stopped := fs.Bool("all-stopped", false, "no reel serve of this index is running (required for --grace under 10m with --db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *grace < 0 {
		return errors.New("usage: reel sweep-orphans [--data DIR] [--db URL] [--blobs URL] [--grace D] [--all-stopped]")
	}
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(*data, "index.db")); err != nil && *dbSpec == "" {
		return fmt.Errorf("no Reel data in %s: %w", *data, err)
	}
	if *dbSpec == "" {
		// The lock reel serve holds: taken, no server runs on this directory.
		release, err := lockData(*data)
		if err != nil {
			return fmt.Errorf("%w; stop it first, or let its own sweep run", err)
		}
		defer release()
	} else if *grace < minOrphanGrace && !*stopped {
		return fmt.Errorf("--grace %s is under %s: a running node's write could be taken for an orphan; stop every reel serve of this index and pass --all-stopped", *grace, minOrphanGrace)
	}
	if _, err := os.Stat(filepath.Join(*data, "blobs")); *blobsSpec == "" && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no objects in %s: if the server keeps them on S3, give the same --blobs (or REEL_BLOBS)", filepath.Join(*data, "blobs"))
	}
	db, _, err := openIndex(ctx, *dbSpec, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	blobs, _, err := openBlobs(ctx, *blobsSpec, *data)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// OrphanGrace 0 would mean the default to New; the sweep takes the cutoff directly.
	life := lifecycle.New(db, blobs, log, lifecycle.Options{OrphanGrace: max(*grace, time.Nanosecond)})
	rep, err := life.SweepOrphans(ctx, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "orphan sweep: %d objects listed, %d unreferenced deleted, %d temporary files removed, %d too recent, %d not Reel's\n",
		rep.Listed, rep.Deleted, rep.Temps, rep.Young, rep.Unknown)
	return nil
}
