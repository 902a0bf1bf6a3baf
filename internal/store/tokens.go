package store

import (
	"context"
	"encoding/json"
	"time"
)

// Token is an API token (docs/auth.md, "API tokens"). The secret is shown to its creator once
// and only its SHA-256 is kept; the public ID names the token in lists, logs and the audit log.
type Token struct {
	ID         string // public id, part of the token text
	SecretHash string // lowercase hex SHA-256 of the secret
	Name       string
	Scope      string   // auth.ScopeRead, ScopeWrite or ScopeAdmin
	Projects   []string // the projects it is limited to; empty: every project its creator sees
	CreatedBy  int64    // the user it acts for
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero while it is valid
	LastUsedAt time.Time // zero until first used
}

// TokenTouchEvery is how stale a token's last use may be before TouchToken writes it again,
// so a script's every request is not also a write.
const TokenTouchEvery = time.Minute

// Tokens keeps API tokens.
type Tokens interface {
	// CreateToken stores a token; an ID already taken is ErrDuplicate, an unknown creator
	// ErrNotFound.
	CreateToken(ctx context.Context, t Token) error
	// Tokens returns every token, newest first.
	Tokens(ctx context.Context) ([]Token, error)
	// TokenByID returns one token, revoked and expired ones included.
	TokenByID(ctx context.Context, id string) (Token, error)
	// RevokeToken marks a token revoked at at (a token already revoked keeps its first time);
	// an unknown id is ErrNotFound.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TouchToken records that a token was used at at, unless its recorded last use is less
	// than TokenTouchEvery before at.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// AuditEntry is one line of the audit log (docs/auth.md, "Audit log"). Entries are only ever
// appended, and removed only by retention (PruneAudit).
type AuditEntry struct {
	ID      int64
	At      time.Time
	ActorID int64  // the user who acted (a token's creator); 0 for the bootstrap token or nobody
	Actor   string // their email (for a failed login, the email tried)
	TokenID string // the API token the request carried, if any
	Action  string // "login", "session.view", "token.create"…
	Project string
	Target  string          // what was acted on: a session id, a token id, a user id…
	Client  string          // the client's address
	Detail  json.RawMessage // a small JSON object; nil for none
}

// AuditQuery selects audit entries, newest first. Empty fields do not filter.
type AuditQuery struct {
	Action  string
	Actor   string // an email or a token id
	Project string
	Since   time.Time // inclusive
	Until   time.Time // exclusive
	Cursor  string
	Limit   int
}

// AuditPage is a page of entries and the cursor to the next (empty on the last page).
type AuditPage struct {
	Entries []AuditEntry
	Next    string
}

// Audit keeps the audit log.
type Audit interface {
	// AppendAudit adds an entry; its ID is assigned by the store.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns entries matching q, newest first; a cursor it did not issue is
	// ErrBadCursor.
	ListAudit(ctx context.Context, q AuditQuery) (AuditPage, error)
	// PruneAudit deletes entries older than before and returns how many.
	PruneAudit(ctx context.Context, before time.Time) (int, error)
}
