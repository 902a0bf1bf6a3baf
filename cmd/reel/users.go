package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

const usersUsage = `Usage: reel users COMMAND [--data DIR] [--db URL] [flags] ARGS

Manage dashboard accounts on the configured index, with or without a running server:

  list                                      every account: id, email, role, status, projects
  invite [--role R] [--projects A,B] [--expires 72h] [--public-url URL] EMAIL
                                            make a one-time invitation link and print it
  reset-password [--generate] EMAIL         set a password read from the first line of stdin,
                                            or a generated one printed once; ends the user's logins
  set-role [--projects A,B] EMAIL ROLE      change a role (owner, admin, member, viewer) and,
                                            with --projects, the projects a member or viewer sees

and answer a subject access request (GDPR Art. 15) of a recorded visitor:

  export [--project ID] [--blobs URL] --user USER_ID -o FILE.zip
                                            a zip of every session ever identified as USER_ID
                                            (rrweb events, metadata, findings), the same as
                                            GET /api/v1/projects/ID/users/USER_ID/export
`

// usersCmd is `reel users …`: operators manage accounts on the index directly, e.g. to get
// back in after losing the only owner's password.
func usersCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usersUsage)
		if len(args) == 0 {
			return errors.New("missing users command")
		}
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("reel users "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("REEL_DATA", "./reel-data"), "data directory (REEL_DATA)")
	dbSpec := fs.String("db", env("REEL_DB", ""), dbUsage)
	var role, projects, publicURL *string
	var expires *time.Duration
	var generate *bool
	switch sub {
	case "list":
	case "invite":
		role = fs.String("role", auth.RoleViewer, "role of the new account: owner, admin, member or viewer")
		projects = fs.String("projects", "", "comma-separated project ids a member or viewer will see")
		expires = fs.Duration("expires", 72*time.Hour, "how long the link works (at most 720h)")
		publicURL = fs.String("public-url", env("REEL_PUBLIC_URL", ""), "URL where people reach Reel, to print a whole link (REEL_PUBLIC_URL); empty: the path is printed")
	case "reset-password":
		generate = fs.Bool("generate", false, "generate a password and print it once, instead of reading one from stdin")
	case "set-role":
		projects = fs.String("projects", "", "comma-separated project ids a member or viewer will see; unset: unchanged")
	case "export":
		return exportSubject(fs, args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usersUsage)
		return fmt.Errorf("unknown users command %q", sub)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	projectsSet := false
	fs.Visit(func(f *flag.Flag) { projectsSet = projectsSet || f.Name == "projects" })

	want := map[string]int{"list": 0, "invite": 1, "reset-password": 1, "set-role": 2}[sub]
	if fs.NArg() != want {
		fmt.Fprint(stderr, usersUsage)
		return fmt.Errorf("reel users %s takes %d arguments, not %d", sub, want, fs.NArg())
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

	switch sub {
	case "list":
		return listUsers(ctx, db, stdout)
	case "invite":
		return inviteUser(ctx, db, stdout, fs.Arg(0), *role, splitList(*projects), *expires, *publicURL)
	case "reset-password":
		return resetPassword(ctx, db, stdin, stdout, fs.Arg(0), *generate)
	}
	return setRole(ctx, db, stdout, fs.Arg(0), fs.Arg(1), splitList(*projects), projectsSet)
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func userByEmail(ctx context.Context, db store.Index, email string) (store.User, error) {
	u, err := db.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("no account with the email %q", email)
	}
	return u, err
}

func listUsers(ctx context.Context, db store.Index, stdout io.Writer) error {
	users, err := db.ListUsers(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tSTATUS\tPROJECTS")
	for _, u := range users {
		status := "active"
		if !u.DisabledAt.IsZero() {
			status = "disabled"
		}
		projects := "all"
		if !auth.AllProjects(u.Role) {
			ps, err := db.UserProjects(ctx, u.ID)
			if err != nil {
				return err
			}
			projects = strings.Join(ps, ",")
			if projects == "" {
				projects = "-"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, status, projects)
	}
	return tw.Flush()
}

func inviteUser(ctx context.Context, db store.Index, stdout io.Writer, email, role string, projects []string, expires time.Duration, publicURL string) error {
	email = strings.TrimSpace(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 254 {
		return fmt.Errorf("%q is not an email address", email)
	}
	if !auth.ValidRole(role) {
		return fmt.Errorf("--role must be owner, admin, member or viewer, not %q", role)
	}
	if expires < time.Minute || expires > 720*time.Hour {
		return errors.New("--expires must be between 1m and 720h")
	}
	if _, err := db.UserByEmail(ctx, email); err == nil {
		return fmt.Errorf("%s already has an account (reel users reset-password gives it a new password)", email)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if auth.AllProjects(role) {
		projects = nil
	}
	for _, p := range projects {
		if _, err := db.Project(ctx, p); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no project %q", p)
		} else if err != nil {
			return err
		}
	}
	token, hash := auth.LinkToken()
	now := time.Now()
	inv, err := db.CreateInvite(ctx, store.Invite{TokenHash: hash, Kind: store.InviteKind, Email: email, Role: role, Projects: projects,
		CreatedAt: now, ExpiresAt: now.Add(expires)})
	if err != nil {
		return err
	}
	link := strings.TrimRight(publicURL, "/") + "/invite/" + token
	fmt.Fprintf(stdout, "Invitation for %s as %s, until %s (shown only now):\n%s\n", email, role, inv.ExpiresAt.Local().Format(time.DateTime), link)
	if publicURL == "" {
		fmt.Fprintln(stdout, "(a path: put the address people reach Reel at before it, or pass --public-url)")
	}
	return nil
}

func resetPassword(ctx context.Context, db store.Index, stdin io.Reader, stdout io.Writer, email string, generate bool) error {
	u, err := userByEmail(ctx, db, email)
	if err != nil {
		return err
	}
	var pw string
	if generate {
		pw = auth.RandomToken(15)
	} else {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
		if pw == "" {
			return errors.New("no password on stdin (pipe one in, or pass --generate)")
		}
	}
	if err := auth.CheckPasswordPolicy(pw); err != nil {
		return err
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	if err := db.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	if generate {
		fmt.Fprintf(stdout, "New password for %s (shown only now): %s\n", u.Email, pw)
	} else {
		fmt.Fprintf(stdout, "Password of %s set.\n", u.Email)
	}
	if !u.DisabledAt.IsZero() {
		fmt.Fprintf(stdout, "%s is deactivated: reactivate the account on the Users page to let them log in.\n", u.Email)
	}
	return nil
}

func setRole(ctx context.Context, db store.Index, stdout io.Writer, email, role string, projects []string, projectsSet bool) error {
	u, err := userByEmail(ctx, db, email)
	if err != nil {
		return err
	}
	if !auth.ValidRole(role) {
		return fmt.Errorf("role must be owner, admin, member or viewer, not %q", role)
	}
	for _, p := range projects {
		if _, err := db.Project(ctx, p); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no project %q", p)
		} else if err != nil {
			return err
		}
	}
	u.Role = role
	if err := db.UpdateUser(ctx, u); errors.Is(err, store.ErrLastOwner) {
		return fmt.Errorf("%s is the last active owner: make someone else an owner first", u.Email)
	} else if err != nil {
		return err
	}
	if projectsSet {
		if err := db.SetUserProjects(ctx, u.ID, projects); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("role set, projects not: a project of %q was deleted meanwhile", projects)
		} else if err != nil {
			return err
		}
	}
	ps, err := db.UserProjects(ctx, u.ID)
	if err != nil {
		return err
	}
	seen := "every project"
	if !auth.AllProjects(role) {
		seen = "projects: " + strings.Join(ps, ", ")
		if len(ps) == 0 {
			seen = "no project yet (give some with --projects)"
		}
	}
	fmt.Fprintf(stdout, "%s is now %s; sees %s.\n", u.Email, role, seen)
	return nil
}
