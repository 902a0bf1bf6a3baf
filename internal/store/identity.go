package store

import (
	"context"
	"time"
)

// Identity links a dashboard user to an account at an OpenID provider (single sign-on): the
// provider names the account by its issuer URL and a subject that never changes, so a person
// whose email changes at the provider still reaches the same Reel user.
type Identity struct {
	Issuer    string
	Subject   string
	UserID    int64
	CreatedAt time.Time
}

// Identities are the links between users and their accounts at OpenID providers.
type Identities interface {
	// CreateIdentity links a user to an account at a provider. It fails with ErrDuplicate,
	// changing nothing, when the account is linked already (to this user or another) or the
	// user already has an account at that issuer, and with ErrNotFound when the user does not
	// exist.
	CreateIdentity(ctx context.Context, id Identity) error
	// UserByIdentity returns the user linked to subject at issuer, ErrNotFound when none is.
	// Subjects are compared exactly, case included.
	UserByIdentity(ctx context.Context, issuer, subject string) (User, error)
}
