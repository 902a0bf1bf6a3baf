package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors of teams.
var (
	// ErrLastOwner means a change would leave no active owner: UpdateUser and DeleteUser refuse
	// to demote, disable or delete the last one, atomically, so two owners demoting each
	// other at once cannot both succeed.
	ErrLastOwner = errors.New("the last active owner")
	// ErrUsed means a one-time link was already used.
	ErrUsed = errors.New("already used")
	// ErrExpired means a one-time link is past its expiry.
	ErrExpired = errors.New("expired")
)

// Kinds of one-time links.
const (
	InviteKind = "invite" // makes a new user with Email, Role and Projects
	ResetKind  = "reset"  // sets the password of an existing user (UserID)
)

// Invite is a one-time link that lets someone set a password: an invitation, which creates
// the user when accepted, or a password reset for an existing user. Only the SHA-256 of its
// token is stored, so the index alone cannot be turned into working links.
type Invite struct {
	ID        int64
	TokenHash string
	Kind      string   // InviteKind or ResetKind
	Email     string   // who it is for (a reset: the user's email when it was made)
	Role      string   // an invitation's role
	Projects  []string // an invitation's projects (members and viewers); gone ones are dropped
	UserID    int64    // a reset: whose password it sets
	InvitedBy int64    // the user who made it; 0 for an admin token or the command line
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// Invites are the one-time links of Store.
type Invites interface {
	// CreateInvite stores a one-time link and returns it with its id.
	CreateInvite(ctx context.Context, inv Invite) (Invite, error)
	// PendingInvites returns the links of kind that are neither used nor expired at now, by id.
	PendingInvites(ctx context.Context, kind string, now time.Time) ([]Invite, error)
	// InviteByTokenHash finds a link by the hash of its token, used or expired alike.
	InviteByTokenHash(ctx context.Context, hash string) (Invite, error)
	// RevokeInvite deletes an unused link; ErrNotFound when there is none with that id.
	RevokeInvite(ctx context.Context, id int64) error
	// ConsumeInvite uses a link once, atomically: of any number of concurrent calls with one
	// token at most one succeeds. An invitation creates its user (with passwordHash, its role
	// and the projects that still exist), a reset sets its user's password and ends the user's
	// logins; either way the user is returned. ErrNotFound for an unknown token, ErrUsed,
	// ErrExpired (at now), ErrDuplicate when the invited email has an account by now; a
	// refused call changes nothing.
	ConsumeInvite(ctx context.Context, hash, passwordHash string, now time.Time) (User, error)
}
