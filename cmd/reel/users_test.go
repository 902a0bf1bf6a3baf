package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/postgres"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// `reel users` works on the configured index without a server, on both backends: it lists
// accounts, prints an invitation link that makes its account once, sets a password from stdin
// or generates one (ending the user's logins), and changes roles and projects, keeping the
// last owner.
func TestUsersCommand(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db, err := sqlite.Open(context.Background(), filepath.Join(dir, "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		testUsersCommand(t, db, []string{"--data", dir})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		testUsersCommand(t, db, []string{"--data", t.TempDir(), "--db", url})
	})
}

func testUsersCommand(t *testing.T, db store.Index, where []string) {
	ctx := context.Background()
	defer db.Close()
	if _, err := setup.Run(ctx, db, setup.Options{AdminEmail: "admin@reel.local", AdminPassword: "first-password-1"}); err != nil {
		t.Fatal(err)
	}
	users := func(stdin string, args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := usersCmd(append([]string{args[0]}, append(slices.Clone(where), args[1:]...)...), strings.NewReader(stdin), &out, &out)
		return out.String(), err
	}
	out, err := users("", "list")
	if err != nil || !regexp.MustCompile(`1\s+admin@reel\.local\s+owner\s+active\s+all`).MatchString(out) {
		t.Fatalf("list = %v\n%s", err, out)
	}

	out, err = users("", "invite", "--role", "viewer", "--projects", "default", "--expires", "2h", "--public-url", "https://reel.example.com/", "new@example.com")
	if err != nil {
		t.Fatalf("invite: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`https://reel\.example\.com/invite/([A-Za-z0-9_-]{32,})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("invite printed no link:\n%s", out)
	}
	inv, err := db.InviteByTokenHash(ctx, auth.LinkHash(m[1]))
	if err != nil || inv.Email != "new@example.com" || inv.Role != "viewer" || !slices.Equal(inv.Projects, []string{"default"}) ||
		time.Until(inv.ExpiresAt) > 2*time.Hour || time.Until(inv.ExpiresAt) < time.Hour {
		t.Fatalf("the printed link's invitation = %+v, %v", inv, err)
	}
	if u, err := db.ConsumeInvite(ctx, auth.LinkHash(m[1]), "hash", time.Now()); err != nil || u.Role != "viewer" {
		t.Fatalf("using the printed link = %+v, %v", u, err)
	}
	if out, err = users("", "invite", "other@example.com"); err != nil || !strings.Contains(out, "\n/invite/") {
		t.Fatalf("invite without --public-url = %v\n%s", err, out)
	}
	for name, args := range map[string][]string{
		"existing account": {"invite", "ADMIN@reel.local"},
		"unknown project":  {"invite", "--projects", "nope", "x@example.com"},
		"unknown role":     {"invite", "--role", "root", "x@example.com"},
		"not an address":   {"invite", "x@example.com\nBcc: y@example.com"},
		"too long":         {"invite", "--expires", "1000h", "x@example.com"},
		"no email":         {"invite"},
		"unknown command":  {"promote", "x@example.com"},
	} {
		if out, err := users("", args...); err == nil {
			t.Errorf("%s: accepted\n%s", name, out)
		}
	}

	// A login of the admin's, to see the reset end it.
	if err := db.CreateLogin(ctx, store.Login{TokenHash: "admin-login", UserID: 1, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if out, err := users("short\n", "reset-password", "admin@reel.local"); err == nil {
		t.Fatalf("a short password was set\n%s", out)
	}
	if out, err := users("", "reset-password", "admin@reel.local"); err == nil {
		t.Fatalf("an empty stdin set a password\n%s", out)
	}
	if out, err := users("x\n", "reset-password", "nobody@reel.local"); err == nil || !strings.Contains(err.Error(), "no account") {
		t.Fatalf("unknown email: %v\n%s", err, out)
	}
	if out, err := users("piped-password-1\nignored\n", "reset-password", "admin@reel.local"); err != nil {
		t.Fatalf("reset from stdin: %v\n%s", err, out)
	}
	if u, _ := db.UserByEmail(ctx, "admin@reel.local"); !auth.CheckPassword(u.PasswordHash, "piped-password-1") {
		t.Fatal("the piped password was not set")
	}
	if _, err := db.LoginByTokenHash(ctx, "admin-login", time.Now()); err == nil {
		t.Fatal("a login survived the password reset")
	}
	out, err = users("", "reset-password", "--generate", "new@example.com")
	if err != nil {
		t.Fatal(err)
	}
	gen := regexp.MustCompile(`\(shown only now\): (\S+)`).FindStringSubmatch(out)
	if gen == nil {
		t.Fatalf("no generated password printed:\n%s", out)
	}
	if u, _ := db.UserByEmail(ctx, "new@example.com"); !auth.CheckPassword(u.PasswordHash, gen[1]) || auth.CheckPasswordPolicy(gen[1]) != nil {
		t.Fatalf("the generated password %q was not set or breaks the policy", gen[1])
	}

	if out, err := users("", "set-role", "--projects", "", "new@example.com", "member"); err != nil || !strings.Contains(out, "no project yet") {
		t.Fatalf("set-role with no projects: %v\n%s", err, out)
	}
	if out, err := users("", "set-role", "--projects", "default", "new@example.com", "member"); err != nil || !strings.Contains(out, "projects: default") {
		t.Fatalf("set-role: %v\n%s", err, out)
	}
	u, _ := db.UserByEmail(ctx, "new@example.com")
	if ps, _ := db.UserProjects(ctx, u.ID); u.Role != "member" || !slices.Equal(ps, []string{"default"}) {
		t.Fatalf("after set-role: %+v %v", u, ps)
	}
	if out, err := users("", "set-role", "new@example.com", "member"); err != nil {
		t.Fatalf("set-role without --projects: %v\n%s", err, out)
	}
	if ps, _ := db.UserProjects(ctx, u.ID); !slices.Equal(ps, []string{"default"}) {
		t.Fatalf("set-role without --projects changed them: %v", ps)
	}
	for name, args := range map[string][]string{
		"last owner":      {"set-role", "admin@reel.local", "admin"},
		"unknown role":    {"set-role", "new@example.com", "root"},
		"unknown project": {"set-role", "--projects", "nope", "new@example.com", "viewer"},
		"unknown user":    {"set-role", "nobody@example.com", "viewer"},
	} {
		if out, err := users("", args...); err == nil {
			t.Errorf("%s: accepted\n%s", name, out)
		}
	}
	if a, _ := db.UserByEmail(ctx, "admin@reel.local"); a.Role != "owner" {
		t.Fatalf("the last owner was demoted: %+v", a)
	}
	if u, _ := db.UserByEmail(ctx, "new@example.com"); u.Role != "member" {
		t.Fatalf("a refused set-role changed the role: %+v", u)
	}
	if out, err := users("", "set-role", "new@example.com", "owner"); err != nil {
		t.Fatal(err, out)
	}
	if out, err := users("", "set-role", "admin@reel.local", "viewer"); err != nil {
		t.Fatalf("demoting one of two owners: %v\n%s", err, out)
	}
	out, _ = users("", "list")
	if !regexp.MustCompile(`admin@reel\.local\s+viewer\s+active\s+-`).MatchString(out) || !regexp.MustCompile(`new@example\.com\s+owner\s+active\s+all`).MatchString(out) {
		t.Fatalf("list after changes:\n%s", out)
	}
}

// Mail settings that cannot work stop serve before it listens, saying what to fix.
func TestServeRefusesBadSMTPSettings(t *testing.T) {
	for _, c := range []struct{ url, from, want string }{
		{"smtp://reel:secret@mail.example.com", "reel@example.com", "REEL_SMTP_PASSWORD"},
		{"smtp://mail.example.com", "", "--smtp-from"},
		{"http://mail.example.com", "reel@example.com", "smtp://"},
	} {
		var out bytes.Buffer
		err := run([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--smtp-url", c.url, "--smtp-from", c.from}, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--smtp-url %s --smtp-from %q: %v, want %q", c.url, c.from, err, c.want)
		}
	}
}
