package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/postgres"
	"github.com/reelhq/reel/internal/store/sqlite"
	"github.com/reelhq/reel/internal/store/storetest"
)

func TestMigrateArguments(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"migrate", "-h"}, &out, &errOut); err != nil || !strings.Contains(errOut.String(), "--from DIR --to postgres://") {
		t.Fatalf("migrate -h = %v, %q", err, errOut.String())
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no flags", nil, "needs --from and --to"},
		{"not postgres", []string{"--from", t.TempDir(), "--to", "mysql://u:secret@h/db"}, "must be a postgres:// URL"},
		{"no source", []string{"--from", t.TempDir(), "--to", "postgres://u@127.0.0.1:1/db"}, "no Reel data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("REEL_DATA", "")
			t.Setenv("REEL_DB", "")
			err := run(append([]string{"migrate"}, tc.args...), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("the password was printed: %v", err)
			}
		})
	}
}

// filledDir is a data directory whose index holds a bit of everything (no blobs: the tests
// here skip reading events, e2e's migrate test reads them).
func filledDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.FillForMove(t, db)
	db.Close()
	return dir
}

// TestMigrateTwice: a second run over a finished copy changes nothing and verifies again; a
// database holding another install is refused before anything is written.
func TestMigrateTwice(t *testing.T) {
	dir := filledDir(t)
	url := pgtest.URL(t)
	var out bytes.Buffer
	for i := range 2 {
		out.Reset()
		if err := run([]string{"migrate", "--from", dir, "--to", url, "--verify-sessions", "0", "--batch", "2"}, &out, &out); err != nil {
			t.Fatalf("run %d: %v\n%s", i+1, err, out.String())
		}
		if !strings.Contains(out.String(), "verified counts:") || !strings.Contains(out.String(), " sessions=4 ") {
			t.Fatalf("run %d printed:\n%s", i+1, out.String())
		}
	}
	if !strings.Contains(out.String(), "continuing the copy") {
		t.Errorf("the second run did not say it continues:\n%s", out.String())
	}

	other := pgtest.URL(t)
	db, err := postgres.Open(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateProject(context.Background(), store.Project{ID: "p1", Name: "Mine", PublicKey: "pk_other", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	err = run([]string{"migrate", "--from", dir, "--to", other}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "another install") {
		t.Fatalf("migrating into another install: %v", err)
	}
}

// TestProgress: a bar redrawn in place on a terminal, and elsewhere a plain line per tenth.
func TestProgress(t *testing.T) {
	var plain bytes.Buffer
	p := newProgress(&plain, false, 100)
	for range 100 {
		p.add(1)
	}
	p.done()
	if lines := strings.Count(plain.String(), "\n"); lines != 11 || strings.Contains(plain.String(), "\r") {
		t.Errorf("plain progress printed %d lines:\n%s", lines, plain.String())
	}
	if !strings.Contains(plain.String(), "copied 100/100 sessions") {
		t.Errorf("plain progress did not reach the end:\n%s", plain.String())
	}
	var tty bytes.Buffer
	p = newProgress(&tty, true, 4)
	p.add(4)
	p.done()
	if !strings.Contains(tty.String(), "\r[##############################] 4/4 sessions") || strings.Count(tty.String(), "\n") != 1 {
		t.Errorf("terminal progress = %q", tty.String())
	}
}
