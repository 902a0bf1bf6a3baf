// Package setup prepares a fresh installation: the default project with its public ingest key
// and the first admin account, so `reel serve` works with zero configuration.
package setup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// DefaultProjectID is the id of the project a fresh install creates and the demo site uses.
const DefaultProjectID = "default"

// DefaultRetentionDays is how long a fresh project keeps sessions: long enough to investigate
// last month's issues, short enough that a default install does not hoard personal data.
const DefaultRetentionDays = 30

// index is what setup needs from the store.
type index interface {
	Projects(ctx context.Context) ([]store.Project, error)
	Project(ctx context.Context, id string) (store.Project, error)
	CreateProject(ctx context.Context, p store.Project) error
	UserByEmail(ctx context.Context, email string) (store.User, error)
	CreateUser(ctx context.Context, u store.User) (store.User, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
}

// Options say who the first admin is.
type Options struct {
	AdminEmail    string
	AdminPassword string // empty: generate one on first run
}

// Result tells the operator what they need to get in.
type Result struct {
	Project           store.Project
	AdminEmail        string
	GeneratedPassword string // set only when this run generated it: print it once
	PasswordFromEnv   bool
}

// Run makes sure the default project and the admin account exist. A password given in the
// options always wins, so an operator who lost the generated one can set a new one.
//
// Several processes may run it at once (nodes of a scale-out install starting together, or
// `reel serve` and a `reel` command on one data directory): whichever creates a row first wins,
// through the index's unique keys, and the others take what it created (ErrDuplicate is not a
// failure here). Only the run whose admin account was stored reports a generated password.
func Run(ctx context.Context, idx index, opts Options) (Result, error) {
	res := Result{AdminEmail: opts.AdminEmail}
	projects, err := idx.Projects(ctx)
	if err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	for _, p := range projects {
		if p.ID == DefaultProjectID {
			res.Project = p
		}
	}
	if res.Project.ID == "" {
		res.Project = store.Project{ID: DefaultProjectID, Name: "Default project", PublicKey: "pk_" + auth.RandomToken(18), CreatedAt: time.Now().UTC(), RetentionDays: DefaultRetentionDays}
		err := idx.CreateProject(ctx, res.Project)
		if errors.Is(err, store.ErrDuplicate) {
			// Another process created it between our read and our write.
			res.Project, err = idx.Project(ctx, DefaultProjectID)
		}
		if err != nil {
			return res, fmt.Errorf("setup: create default project: %w", err)
		}
	}

	u, err := idx.UserByEmail(ctx, opts.AdminEmail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		pw := opts.AdminPassword
		if pw == "" {
			pw = auth.RandomToken(12)
			res.GeneratedPassword = pw
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return res, fmt.Errorf("setup: %w", err)
		}
		_, err = idx.CreateUser(ctx, store.User{Email: opts.AdminEmail, PasswordHash: hash, Role: auth.RoleOwner, CreatedAt: time.Now().UTC()})
		if errors.Is(err, store.ErrDuplicate) {
			// Another process stored the admin first: its password stands (it printed it if
			// it generated one), unless the options name one, which wins as on a restart.
			res.GeneratedPassword = ""
			return runExisting(ctx, idx, opts, res)
		}
		if err != nil {
			return res, fmt.Errorf("setup: create admin: %w", err)
		}
	case err != nil:
		return res, fmt.Errorf("setup: %w", err)
	default:
		if err := ensurePassword(ctx, idx, u, opts); err != nil {
			return res, err
		}
	}
	res.PasswordFromEnv = opts.AdminPassword != ""
	return res, nil
}

// runExisting finishes a run that found the admin account stored by another process.
func runExisting(ctx context.Context, idx index, opts Options, res Result) (Result, error) {
	u, err := idx.UserByEmail(ctx, opts.AdminEmail)
	if err != nil {
		return res, fmt.Errorf("setup: read admin: %w", err)
	}
	if err := ensurePassword(ctx, idx, u, opts); err != nil {
		return res, err
	}
	res.PasswordFromEnv = opts.AdminPassword != ""
	return res, nil
}

// ensurePassword sets the password the options name, if the account has another.
func ensurePassword(ctx context.Context, idx index, u store.User, opts Options) error {
	if opts.AdminPassword == "" || auth.CheckPassword(u.PasswordHash, opts.AdminPassword) {
		return nil
	}
	hash, err := auth.HashPassword(opts.AdminPassword)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if err := idx.SetPassword(ctx, u.ID, hash); err != nil {
		return fmt.Errorf("setup: reset admin password: %w", err)
	}
	return nil
}
