// Package audit records who did what in Reel (docs/auth.md, "Audit log"): logins and failed
// logins, session views, share links, erasures, settings, tokens, users and roles. Handlers
// call Record after the thing they did; the entry takes its actor from the request's
// Principal and its client address from the request. Recording never fails the request: an
// entry that cannot be stored is logged and the answer goes out as it would have.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/clientip"
	"github.com/reelhq/reel/internal/store"
)

// Actions, the values of an entry's action. Dotted names group them for filters.
const (
	Login         = "login"
	LoginFailed   = "login.failed"
	Logout        = "logout"
	SessionView   = "session.view"
	ShareCreate   = "share.create"
	ShareRevoke   = "share.revoke"
	CommentCreate = "comment.create"
	CommentDelete = "comment.delete"
	Export        = "export"
	Erase         = "user.erase"
	SubjectExport = "user.export" // a subject access export (GDPR Art. 15) of one recorded user
	ProjectUpdate = "project.update"
	ProjectCreate = "project.create"
	ProjectDelete = "project.delete"
	KeyRotate     = "project.key_rotate"
	TokenCreate   = "token.create"
	TokenRevoke   = "token.revoke"
	UserCreate    = "user.create"
	UserUpdate    = "user.update"
	UserDelete    = "user.delete"
	InviteCreate  = "invite.create"
	InviteRevoke  = "invite.revoke"
	ResetLink     = "user.reset_link"
	PasswordSet   = "user.password_set"
)

// Actions lists every action, for the dashboard's filter.
var Actions = []string{Login, LoginFailed, Logout, SessionView, ShareCreate, ShareRevoke, CommentCreate, CommentDelete, Export, Erase, SubjectExport, ProjectUpdate,
	ProjectCreate, ProjectDelete, KeyRotate, TokenCreate, TokenRevoke, UserCreate, UserUpdate, UserDelete, InviteCreate, InviteRevoke, ResetLink, PasswordSet}

// UserRef is how an entry names a recorded user (an id sent by reel.identify) it erased or
// exported: a SHA-256 of the project and the id, not the id itself, so the log that proves an
// erasure happened does not keep the identifier the erasure removed everywhere else. Whoever
// knows the id can compute the reference and find its entries (docs/auth.md, "Audit log").
func UserRef(project, user string) string {
	h := sha256.Sum256([]byte(project + "\x00" + user))
	return "sha256:" + hex.EncodeToString(h[:16])
}

// appender is what the recorder needs from the store.
type appender interface {
	AppendAudit(ctx context.Context, e store.AuditEntry) error
}

// Options configure a Recorder.
type Options struct {
	// ClientIPHeader names a header a trusted proxy sets to the client's address (the
	// --client-ip-header ingest trusts); empty: the connection's address.
	ClientIPHeader string
	// ViewEvery is how long one person's views of one session count as one entry.
	ViewEvery time.Duration
}

// DefaultViewEvery is Options.ViewEvery's default: a replay seeked back and forth, or
// reloaded, in half an hour is one view.
const DefaultViewEvery = 30 * time.Minute

// Recorder appends audit entries. A nil *Recorder records nothing.
type Recorder struct {
	store  appender
	log    *slog.Logger
	header string
	every  time.Duration

	mu    sync.Mutex
	views map[viewKey]time.Time // last recorded view of a session by an actor
}

type viewKey struct{ actor, session string }

// New returns a Recorder writing to s.
func New(s appender, log *slog.Logger, opts Options) *Recorder {
	if opts.ViewEvery <= 0 {
		opts.ViewEvery = DefaultViewEvery
	}
	return &Recorder{store: s, log: log, header: opts.ClientIPHeader, every: opts.ViewEvery, views: map[viewKey]time.Time{}}
}

// Actor is who did something, for entries whose request has no Principal (a login).
type Actor struct {
	UserID  int64
	Email   string
	TokenID string
}

// ActorOf is the actor a request's Principal names; zero without one.
func ActorOf(ctx context.Context) Actor {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return Actor{}
	}
	return Actor{UserID: p.UserID, Email: p.Email, TokenID: p.TokenID}
}

// Record appends an entry for action by the request's caller. detail is a small JSON object
// (nil for none); the caller never puts a secret in it.
func (rec *Recorder) Record(ctx context.Context, r *http.Request, action, project, target string, detail map[string]any) {
	rec.RecordAs(ctx, r, ActorOf(ctx), action, project, target, detail)
}

// RecordAs is Record with the actor given: a login names the person who tried.
func (rec *Recorder) RecordAs(ctx context.Context, r *http.Request, who Actor, action, project, target string, detail map[string]any) {
	if rec == nil {
		return
	}
	e := store.AuditEntry{At: time.Now().UTC(), ActorID: who.UserID, Actor: clip(who.Email, 320), TokenID: who.TokenID, Action: action,
		Project: clip(project, 200), Target: clip(target, 200), Client: clientip.From(r, rec.header)}
	if len(detail) > 0 {
		b, err := json.Marshal(detail)
		if err != nil || len(b) > maxDetail {
			b = []byte(`{"truncated":true}`)
		}
		e.Detail = b
	}
	// The entry is written even when the client has gone: what it did, it did.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := rec.store.AppendAudit(ctx, e); err != nil {
		rec.log.Error("recording an audit entry failed", "action", action, "err", err)
	}
}

// RecordView records that the caller watched a session, once per person and session every
// Options.ViewEvery (the player asks for a session's events at every load and seek). Views
// are counted per node: a cluster may record one per node in that time.
func (rec *Recorder) RecordView(ctx context.Context, r *http.Request, project, session string) {
	if rec == nil {
		return
	}
	who := ActorOf(ctx)
	key := viewKey{actor: who.Email + "\x00" + who.TokenID, session: session}
	now := time.Now()
	rec.mu.Lock()
	last, seen := rec.views[key]
	fresh := !seen || now.Sub(last) >= rec.every
	if fresh {
		if len(rec.views) >= maxViews {
			for k, at := range rec.views {
				if now.Sub(at) >= rec.every {
					delete(rec.views, k)
				}
			}
			if len(rec.views) >= maxViews {
				clear(rec.views)
			}
		}
		rec.views[key] = now
	}
	rec.mu.Unlock()
	if fresh {
		rec.RecordAs(ctx, r, who, SessionView, project, session, nil)
	}
}

// maxDetail bounds an entry's detail; maxViews the views remembered for deduplication.
const (
	maxDetail = 4096
	maxViews  = 50000
)

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
