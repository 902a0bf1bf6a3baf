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
		if err := idx.CreateProject(ctx, res.Project); err != nil {
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
		if _, err := idx.CreateUser(ctx, store.User{Email: opts.AdminEmail, PasswordHash: hash, Role: "admin", CreatedAt: time.Now().UTC()}); err != nil {
			return res, fmt.Errorf("setup: create admin: %w", err)
		}
	case err != nil:
		return res, fmt.Errorf("setup: %w", err)
	case opts.AdminPassword != "" && !auth.CheckPassword(u.PasswordHash, opts.AdminPassword):
		hash, err := auth.HashPassword(opts.AdminPassword)
		if err != nil {
			return res, fmt.Errorf("setup: %w", err)
		}
		if err := idx.SetPassword(ctx, u.ID, hash); err != nil {
			return res, fmt.Errorf("setup: reset admin password: %w", err)
		}
	}
	res.PasswordFromEnv = opts.AdminPassword != ""
	return res, nil
}
