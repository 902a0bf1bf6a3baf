package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

const tokensUsage = `usage:
  reel tokens create --name NAME --scope read|write|admin [--project ID]... [--expires 90d] [--user EMAIL]
  reel tokens list
  reel tokens revoke ID
each with [--data DIR] [--db URL]`

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// parseDays reads a length of time as days ("90d") or a Go duration ("72h").
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// tokensCmd manages API tokens on the configured index without a server, as erase-user
// does: the operator's way in before any account has a token, and when the dashboard is out
// of reach.
func tokensCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(tokensUsage)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, tokensUsage)
		return nil
	}
	fs := flag.NewFlagSet("reel tokens "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("REEL_DATA", "./reel-data"), "data directory (REEL_DATA)")
	dbSpec := fs.String("db", env("REEL_DB", ""), dbUsage)
	name := fs.String("name", "", "what the token is for")
	scope := fs.String("scope", "", "read, write or admin")
	expires := fs.String("expires", fmt.Sprintf("%dd", api.DefaultTokenDays), fmt.Sprintf("how long the token lasts, in days (90d) up to %dd", api.MaxTokenDays))
	user := fs.String("user", "", "email of the account the token acts for (default: the first owner)")
	var projects stringList
	fs.Var(&projects, "project", "limit the token to this project (repeatable; default: every project the account sees)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(*data, "index.db")); err != nil && *dbSpec == "" {
		return fmt.Errorf("no Reel data in %s: %w", *data, err)
	}
	db, _, err := openIndex(ctx, *dbSpec, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "create":
		if fs.NArg() != 0 {
			return errors.New(tokensUsage)
		}
		d, err := parseDays(*expires)
		if err != nil {
			return fmt.Errorf("--expires: %w", err)
		}
		return createToken(ctx, db, stdout, *name, *scope, projects, d, *user)
	case "list":
		if fs.NArg() != 0 {
			return errors.New(tokensUsage)
		}
		return listTokens(ctx, db, stdout)
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New(tokensUsage)
		}
		id := fs.Arg(0)
		t, err := db.TokenByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no token %q (reel tokens list shows their ids)", id)
		}
		if err != nil {
			return err
		}
		if err := db.RevokeToken(ctx, id, time.Now()); err != nil {
			return err
		}
		cliAudit(ctx, db, stderr, audit.TokenRevoke, id, fmt.Sprintf(`{"name":%q}`, t.Name))
		fmt.Fprintf(stdout, "revoked token %s (%s)\n", id, t.Name)
		return nil
	}
	return errors.New(tokensUsage)
}

func createToken(ctx context.Context, db store.Index, stdout io.Writer, name, scope string, projects []string, life time.Duration, email string) error {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return errors.New("--name must be 1-100 characters")
	}
	if !auth.ValidScope(scope) {
		return errors.New("--scope must be read, write or admin")
	}
	days := int(life / (24 * time.Hour))
	if life%(24*time.Hour) != 0 || days < 1 || days > api.MaxTokenDays {
		return fmt.Errorf("--expires must be a whole number of days, 1d to %dd", api.MaxTokenDays)
	}
	u, err := tokenAccount(ctx, db, email)
	if err != nil {
		return err
	}
	var sees []string // nil: every project
	if !auth.AllProjects(u.Role) {
		if sees, err = db.UserProjects(ctx, u.ID); err != nil {
			return err
		}
	}
	var limit []string
	for _, p := range projects {
		if _, err := db.Project(ctx, p); errors.Is(err, store.ErrNotFound) || (sees != nil && !slices.Contains(sees, p)) {
			return fmt.Errorf("--project %q: not a project %s sees", p, u.Email)
		} else if err != nil {
			return err
		}
		if !slices.Contains(limit, p) {
			limit = append(limit, p)
		}
	}
	text, id, hash := auth.NewToken()
	now := time.Now().UTC().Truncate(time.Millisecond)
	t := store.Token{ID: id, SecretHash: hash, Name: name, Scope: scope, Projects: limit, CreatedBy: u.ID, CreatedAt: now, ExpiresAt: now.AddDate(0, 0, days)}
	if err := db.CreateToken(ctx, t); err != nil {
		return err
	}
	cliAudit(ctx, db, io.Discard, audit.TokenCreate, id, fmt.Sprintf(`{"name":%q,"scope":%q,"for":%q}`, name, scope, u.Email))
	fmt.Fprintf(stdout, "%s\n\ntoken %s (%s, scope %s, for %s, expires %s)\nThis is the only time the token is shown: keep it in a secret store.\n",
		text, id, name, scope, u.Email, t.ExpiresAt.Format(time.DateOnly))
	return nil
}

// tokenAccount is the account a CLI-made token acts for: the one named, or the first owner.
func tokenAccount(ctx context.Context, db store.Index, email string) (store.User, error) {
	if email != "" {
		u, err := db.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !u.DisabledAt.IsZero()) {
			return u, fmt.Errorf("--user %q: no active account", email)
		}
		return u, err
	}
	us, err := db.ListUsers(ctx)
	if err != nil {
		return store.User{}, err
	}
	for _, u := range us {
		if u.Role == auth.RoleOwner && u.DisabledAt.IsZero() {
			return u, nil
		}
	}
	return store.User{}, errors.New("no active owner: name the account with --user EMAIL")
}

func listTokens(ctx context.Context, db store.Index, stdout io.Writer) error {
	ts, err := db.Tokens(ctx)
	if err != nil {
		return err
	}
	users, err := db.ListUsers(ctx)
	if err != nil {
		return err
	}
	emails := map[int64]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tPROJECTS\tFOR\tEXPIRES\tLAST USED\tSTATUS")
	now := time.Now()
	for _, t := range ts {
		projects, used, status := "all", "never", "active"
		if len(t.Projects) > 0 {
			projects = strings.Join(t.Projects, ",")
		}
		if !t.LastUsedAt.IsZero() {
			used = t.LastUsedAt.Format(time.DateTime)
		}
		switch {
		case !t.RevokedAt.IsZero():
			status = "revoked"
		case !now.Before(t.ExpiresAt):
			status = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Scope, projects, emails[t.CreatedBy], t.ExpiresAt.Format(time.DateOnly), used, status)
	}
	return tw.Flush()
}

// cliAudit records what a command did; it is the operator at the machine, so the client is
// "cli". A failure is reported, not fatal: the change is made.
func cliAudit(ctx context.Context, db store.Index, stderr io.Writer, action, target, detail string) {
	e := store.AuditEntry{At: time.Now().UTC(), Actor: "reel " + "tokens", Action: action, Target: target, Client: "cli", Detail: []byte(detail)}
	if err := db.AppendAudit(ctx, e); err != nil {
		fmt.Fprintln(stderr, "reel: recording the audit entry failed:", err)
	}
}
