package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/reelhq/reel/internal/backup"
)

const backupUsage = `usage: reel backup [--data DIR] -o FILE

Copies an embedded install (the SQLite index and the objects under DIR/blobs) into one
archive (tar + zstd, with a manifest of counts and checksums) while the server keeps
running. Restore it with "reel restore".`

const restoreUsage = `usage: reel restore [--data DIR] FILE

Restores a "reel backup" archive into DIR, which must be empty or absent, checking every
file's checksum, the index's integrity and that every object it refers to is there.`

// backupCmd writes the archive next to FILE and renames it into place once whole, so a
// backup cut short never leaves a file that looks like a backup.
func backupCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reel backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, backupUsage); fs.PrintDefaults() }
	data := fs.String("data", env("REEL_DATA", "./reel-data"), "data directory of the embedded install (REEL_DATA)")
	out := fs.String("o", "", "archive to write, e.g. reel-backup.tar.zst")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("reel backup needs -o FILE and no other arguments")
	}
	if os.Getenv("REEL_DB") != "" || os.Getenv("REEL_BLOBS") != "" {
		return errors.New("reel backup copies an embedded install (SQLite and files under --data); with REEL_DB or REEL_BLOBS set, back up PostgreSQL and the bucket with their own tools (docs/storage.md)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".reel-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	m, err := backup.Create(ctx, *data, tmp, version)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(stdout, "backed up %s to %s: %s, %s, %s, %s (%s compressed)\n",
		*data, *out, count(m.Counts.Projects, "project"), count(m.Counts.Sessions, "session"), count(m.Counts.Objects, "object"), size(m.Counts.Bytes), size(st.Size()))
	return nil
}

func restoreCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reel restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, restoreUsage); fs.PrintDefaults() }
	data := fs.String("data", env("REEL_DATA", "./reel-data"), "empty data directory to restore into (REEL_DATA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("reel restore needs one archive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := privateDir(*data); err != nil {
		return err
	}
	m, err := backup.Restore(ctx, f, *data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: %s, %s, %s, every checksum verified (backup of %s)\n",
		fs.Arg(0), *data, count(m.Counts.Projects, "project"), count(m.Counts.Sessions, "session"), count(m.Counts.Objects, "object"), m.CreatedAt.Format("2006-01-02 15:04:05 UTC"))
	return nil
}

// count is "1 session" or "3 sessions".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
