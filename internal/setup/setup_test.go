package setup

import (
	"context"
	"path/filepath"
	"strings"
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
	if !auth.CheckPassword(u.PasswordHash, first.GeneratedPassword) || u.Role != "admin" {
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
