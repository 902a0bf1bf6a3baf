package setup

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store/sqlite"
)

func TestFirstRunThenRestart(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	first, err := Run(ctx, db, Options{AdminEmail: "admin@reel.local"})
	if err != nil {
		t.Fatal(err)
	}
	if first.GeneratedPassword == "" || !strings.HasPrefix(first.Project.PublicKey, "pk_") || first.Project.ID != DefaultProjectID {
		t.Fatalf("first run = %+v", first)
	}
	u, _ := db.UserByEmail(ctx, "admin@reel.local")
	if !auth.CheckPassword(u.PasswordHash, first.GeneratedPassword) || u.Role != "owner" {
		t.Fatal("generated password does not log in")
	}

	// A restart keeps the key and the password and prints no new password.
	again, err := Run(ctx, db, Options{AdminEmail: "admin@reel.local"})
	if err != nil {
		t.Fatal(err)
	}
	if again.GeneratedPassword != "" || again.Project.PublicKey != first.Project.PublicKey {
		t.Fatalf("restart = %+v", again)
	}

	// REEL_ADMIN_PASSWORD on a later run resets the password.
	if _, err := Run(ctx, db, Options{AdminEmail: "admin@reel.local", AdminPassword: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	u, _ = db.UserByEmail(ctx, "admin@reel.local")
	if !auth.CheckPassword(u.PasswordHash, "correct horse") || auth.CheckPassword(u.PasswordHash, first.GeneratedPassword) {
		t.Fatal("password from options did not replace the generated one")
	}
	projects, _ := db.Projects(ctx)
	if len(projects) != 1 {
		t.Fatalf("restarts created %d projects", len(projects))
	}
}

// TestConcurrentFirstRuns: processes starting together on one fresh index (here two handles on
// one file, as two processes would have) all succeed and agree on one project and one admin;
// at most one of them reports a generated password, and it is the one that logs in.
func TestConcurrentFirstRuns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	first, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for round := range 3 {
		email := fmt.Sprintf("admin%d@reel.local", round)
		var dbs []*sqlite.DB
		for range 3 {
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			dbs = append(dbs, db)
		}
		results := make([]Result, len(dbs))
		errs := make([]error, len(dbs))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = Run(ctx, db, Options{AdminEmail: email})
			}()
		}
		close(start)
		wg.Wait()
		generated := ""
		for i, r := range results {
			if errs[i] != nil {
				t.Fatalf("round %d: run %d: %v", round, i, errs[i])
			}
			if r.Project.ID != DefaultProjectID || r.Project.PublicKey != results[0].Project.PublicKey {
				t.Fatalf("round %d: runs disagree on the project: %+v vs %+v", round, r.Project, results[0].Project)
			}
			if r.GeneratedPassword != "" {
				if generated != "" {
					t.Fatalf("round %d: two runs reported a generated password", round)
				}
				generated = r.GeneratedPassword
			}
		}
		u, err := first.UserByEmail(ctx, email)
		if err != nil || generated == "" || !auth.CheckPassword(u.PasswordHash, generated) {
			t.Fatalf("round %d: the reported password does not log in (%v)", round, err)
		}
		if projects, _ := first.Projects(ctx); len(projects) != 1 {
			t.Fatalf("round %d: %d projects", round, len(projects))
		}
	}
}
