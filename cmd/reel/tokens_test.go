package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// `reel tokens` works on the data directory without a server: create prints a token, once,
// that the server then accepts with its scope and projects; list shows it without the secret;
// revoke ends it. Bad flags are refused with the reason, and the commands are audited.
func TestTokensCommand(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(data, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Run(ctx, db, setup.Options{AdminEmail: "owner@example.com", AdminPassword: "a-long-password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, store.User{Email: "viewer@example.com", PasswordHash: "x", Role: auth.RoleViewer, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	var out, errOut bytes.Buffer
	if err := run([]string{"tokens", "create", "--data", data, "--name", "ci", "--scope", "read", "--project", setup.DefaultProjectID, "--expires", "30d"}, &out, &errOut); err != nil {
		t.Fatalf("create: %v %s", err, errOut.String())
	}
	text := strings.Fields(out.String())[0]
	id, _, ok := auth.ParseToken(text)
	if !ok || !strings.Contains(out.String(), "only time") || !strings.Contains(out.String(), "owner@example.com") {
		t.Fatalf("create printed %q", out.String())
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tokens", "create", "--data", data, "--scope", "read"}, "--name"},
		{[]string{"tokens", "create", "--data", data, "--name", "x", "--scope", "owner"}, "--scope"},
		{[]string{"tokens", "create", "--data", data, "--name", "x", "--scope", "read", "--expires", "5000d"}, "--expires"},
		{[]string{"tokens", "create", "--data", data, "--name", "x", "--scope", "read", "--expires", "soon"}, "--expires"},
		{[]string{"tokens", "create", "--data", data, "--name", "x", "--scope", "read", "--project", "nope"}, "nope"},
		{[]string{"tokens", "create", "--data", data, "--name", "x", "--scope", "read", "--user", "nobody@example.com"}, "no active account"},
		{[]string{"tokens", "create", "--data", data, "--name", "x", "--scope", "read", "--user", "viewer@example.com", "--project", "default"}, "not a project"},
		{[]string{"tokens", "revoke", "--data", data, "0123456789abcdef"}, "no token"},
		{[]string{"tokens", "frob", "--data", data}, "usage"},
		{[]string{"tokens", "list", "--data", t.TempDir()}, "no Reel data"},
	} {
		out.Reset()
		if err := run(tc.args, &out, &errOut); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}

	// The server accepts the token as a read token of the default project.
	db, err = sqlite.Open(ctx, filepath.Join(data, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(db, slog.New(slog.DiscardHandler), auth.Options{})
	req, _ := http.NewRequest("GET", "/api/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+text)
	p, err := a.Authenticate(req)
	if err != nil || p.Scope != auth.ScopeRead || p.Role != auth.RoleViewer || !p.SeesProject(setup.DefaultProjectID) || p.SeesProject("other") || p.TokenID != id {
		t.Fatalf("the created token authenticates as %+v, %v", p, err)
	}
	db.Close()

	out.Reset()
	if err := run([]string{"tokens", "list", "--data", data}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if l := out.String(); !strings.Contains(l, id) || !strings.Contains(l, "ci") || !strings.Contains(l, "active") || strings.Contains(l, text) {
		t.Fatalf("list = %q", l)
	}
	out.Reset()
	if err := run([]string{"tokens", "revoke", "--data", data, id}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, filepath.Join(data, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := auth.New(db, slog.New(slog.DiscardHandler), auth.Options{}).Authenticate(req); err == nil {
		t.Fatal("a revoked token still authenticates")
	}
	log, err := db.ListAudit(ctx, store.AuditQuery{Limit: 10})
	if err != nil || len(log.Entries) != 2 || log.Entries[0].Action != "token.revoke" || log.Entries[1].Action != "token.create" || log.Entries[0].Client != "cli" {
		t.Fatalf("audit = %+v, %v", log.Entries, err)
	}
}
