package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// mailer sends one plain-text message (internal/mail).
type mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// LinkOptions configure the one-time links the API hands out.
type LinkOptions struct {
	// PublicURL is where people reach Reel (--public-url); links are made from the request's
	// host when empty.
	PublicURL string
	// Mail, when set, also mails each invitation and reset link to its person.
	Mail mailer
}

// SetLinks configures invitation and reset links.
func (a *API) SetLinks(o LinkOptions) { a.links = o }

// How long links last, in hours: what the inviter chooses within bounds, and a reset's fixed
// day (it is made for someone who is waiting for it).
const (
	defaultInviteHours = 72
	maxInviteHours     = 30 * 24
	resetHours         = 24
	maxTokenLen        = 128
)

type inviteJSON struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Projects  []string  `json:"projects"`
	InvitedBy string    `json:"invitedBy,omitempty"` // the inviter's email, when a user invited
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (a *API) inviteJSON(ctx context.Context, inv store.Invite, emails map[int64]string) inviteJSON {
	j := inviteJSON{ID: inv.ID, Email: inv.Email, Role: inv.Role, Projects: inv.Projects, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt}
	if inv.InvitedBy != 0 {
		if e, ok := emails[inv.InvitedBy]; ok {
			j.InvitedBy = e
		} else if u, err := a.users.UserByID(ctx, inv.InvitedBy); err == nil {
			j.InvitedBy = u.Email
		}
	}
	return j
}

// linkURL is the address of the page that uses a link token.
func (a *API) linkURL(r *http.Request, token string) string {
	base := strings.TrimRight(a.links.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/invite/" + token
}

// sendLink mails a link when mail is configured. A failure is reported, not fatal: the link
// was made and is shown to the one who asked for it.
func (a *API) sendLink(ctx context.Context, to, subject, body string) (mailed bool, mailError string) {
	if a.links.Mail == nil {
		return false, ""
	}
	if err := a.links.Mail.Send(ctx, to, subject, body); err != nil {
		a.log.WarnContext(ctx, "mail not sent", "err", err)
		return false, "the email could not be sent (" + err.Error() + "); give the person the link yourself"
	}
	return true, ""
}

// CreateInvite makes a one-time invitation link, shown in the answer only, and mails it when
// mail is configured.
func (a *API) CreateInvite(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in struct {
		Email          string   `json:"email"`
		Role           string   `json:"role"`
		Projects       []string `json:"projects"`
		ExpiresInHours *int     `json:"expiresInHours"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	email, err := checkEmail(in.Email)
	if err != nil {
		return err
	}
	if err := a.mayGrant(r, in.Role); err != nil {
		return err
	}
	hours := defaultInviteHours
	if in.ExpiresInHours != nil {
		hours = *in.ExpiresInHours
		if hours < 1 || hours > maxInviteHours {
			return badRequest(fmt.Sprintf("expiresInHours must be 1-%d", maxInviteHours))
		}
	}
	projects := []string{}
	if !auth.AllProjects(in.Role) {
		if projects, err = a.checkProjects(ctx, in.Projects); err != nil {
			return err
		}
	}
	if _, err := a.users.UserByEmail(ctx, email); err == nil {
		return apierror.New(http.StatusConflict, "exists", "someone already has an account with this email")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	token, hash := auth.LinkToken()
	now := time.Now()
	inv, err := a.users.CreateInvite(ctx, store.Invite{TokenHash: hash, Kind: store.InviteKind, Email: email, Role: in.Role, Projects: projects,
		InvitedBy: caller(r).UserID, CreatedAt: now, ExpiresAt: now.Add(time.Duration(hours) * time.Hour)})
	if err != nil {
		return err
	}
	link := a.linkURL(r, token)
	who := caller(r).Email
	if caller(r).UserID == 0 {
		who = "An administrator"
	}
	mailed, mailErr := a.sendLink(ctx, email, "You are invited to Reel",
		fmt.Sprintf("%s invited you to Reel, the session replay of your team, as %s %s.\n\nSet your password here (the link works once, until %s):\n%s\n\nIf you did not expect this, ignore this email.\n",
			who, article(in.Role), in.Role, inv.ExpiresAt.UTC().Format("2 Jan 2006 15:04 MST"), link))
	a.audit.Record(ctx, r, audit.InviteCreate, "", email, map[string]any{"role": in.Role, "projects": projects, "mailed": mailed})
	apierror.JSON(w, http.StatusCreated, map[string]any{"invite": a.inviteJSON(ctx, inv, nil), "url": link, "mailed": mailed, "mailError": mailErr})
	return nil
}

func article(role string) string {
	if role == auth.RoleOwner || role == auth.RoleAdmin {
		return "an"
	}
	return "a"
}

// checkEmail accepts one bare address (no name, no angle brackets) of sane length.
func checkEmail(raw string) (string, error) {
	email := strings.TrimSpace(raw)
	if email == "" || len(email) > 254 {
		return "", badRequest("email must be an address of at most 254 characters")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" {
		return "", badRequest("email must be one address, like name@example.com")
	}
	return email, nil
}

// ListInvites lists the invitations not yet used or expired.
func (a *API) ListInvites(w http.ResponseWriter, r *http.Request) error {
	invs, err := a.users.PendingInvites(r.Context(), store.InviteKind, time.Now())
	if err != nil {
		return err
	}
	users, err := a.users.ListUsers(r.Context())
	if err != nil {
		return err
	}
	emails := make(map[int64]string, len(users))
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	out := make([]inviteJSON, 0, len(invs))
	for _, inv := range invs {
		out = append(out, a.inviteJSON(r.Context(), inv, emails))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"invites": out})
	return nil
}

// RevokeInvite deletes a link that was not used.
func (a *API) RevokeInvite(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return badRequest("invite id must be a positive number")
	}
	if err := a.users.RevokeInvite(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return apierror.New(http.StatusNotFound, "not_found", "no unused invitation with this id")
	} else if err != nil {
		return err
	}
	a.audit.Record(r.Context(), r, audit.InviteRevoke, "", strconv.FormatInt(id, 10), nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ResetLink makes a one-time link for a user to set a new password (shown, and mailed when
// mail is configured); using it ends the user's logins.
func (a *API) ResetLink(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := a.targetUser(r)
	if err != nil {
		return err
	}
	if !u.DisabledAt.IsZero() {
		return apierror.New(http.StatusConflict, "disabled", "this account is deactivated: reactivate it first")
	}
	token, hash := auth.LinkToken()
	now := time.Now()
	inv, err := a.users.CreateInvite(ctx, store.Invite{TokenHash: hash, Kind: store.ResetKind, Email: u.Email, UserID: u.ID,
		InvitedBy: caller(r).UserID, CreatedAt: now, ExpiresAt: now.Add(resetHours * time.Hour)})
	if errors.Is(err, store.ErrNotFound) {
		return errNoUser
	} else if err != nil {
		return err
	}
	link := a.linkURL(r, token)
	mailed, mailErr := a.sendLink(ctx, u.Email, "Set a new Reel password",
		fmt.Sprintf("An administrator made a link for you to set a new password for Reel (it works once, until %s):\n%s\n\nIf you did not ask for this, tell your administrator.\n",
			inv.ExpiresAt.UTC().Format("2 Jan 2006 15:04 MST"), link))
	a.audit.Record(ctx, r, audit.ResetLink, "", u.Email, map[string]any{"mailed": mailed})
	apierror.JSON(w, http.StatusCreated, map[string]any{"url": link, "expiresAt": inv.ExpiresAt, "mailed": mailed, "mailError": mailErr})
	return nil
}

var (
	errBadLink     = apierror.New(http.StatusNotFound, "invalid_link", "this link is not valid: ask for a new one")
	errUsedLink    = apierror.New(http.StatusGone, "link_used", "this link was already used: log in, or ask for a new one")
	errExpiredLink = apierror.New(http.StatusGone, "link_expired", "this link has expired: ask for a new one")
)

// linkByToken finds the pending link a token names.
func (a *API) linkByToken(ctx context.Context, token string) (store.Invite, error) {
	if token == "" || len(token) > maxTokenLen {
		return store.Invite{}, errBadLink
	}
	inv, err := a.users.InviteByTokenHash(ctx, auth.LinkHash(token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return inv, errBadLink
	case err != nil:
		return inv, err
	case !inv.UsedAt.IsZero():
		return inv, errUsedLink
	case !time.Now().Before(inv.ExpiresAt):
		return inv, errExpiredLink
	}
	return inv, nil
}

// InviteInfo says who a link is for, so the page can check it before showing the form.
func (a *API) InviteInfo(w http.ResponseWriter, r *http.Request) error {
	inv, err := a.linkByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"invite": map[string]any{
		"kind": inv.Kind, "email": inv.Email, "role": inv.Role, "expiresAt": inv.ExpiresAt,
	}})
	return nil
}

// AcceptInvite uses a link: sets the password (making the account for an invitation) and
// logs the person in.
func (a *API) AcceptInvite(w http.ResponseWriter, r *http.Request) error {
	if !auth.SameOrigin(r) {
		return apierror.New(http.StatusForbidden, "cross_origin", "cross-origin request refused")
	}
	ctx := r.Context()
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	// The token is checked before the password is hashed, so a stream of bad tokens costs
	// no bcrypt work.
	link, err := a.linkByToken(ctx, r.PathValue("token"))
	if err != nil {
		return err
	}
	if err := auth.CheckPasswordPolicy(in.Password); err != nil {
		return apierror.New(http.StatusBadRequest, "weak_password", err.Error())
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return err
	}
	u, err := a.users.ConsumeInvite(ctx, auth.LinkHash(r.PathValue("token")), hash, time.Now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errBadLink
	case errors.Is(err, store.ErrUsed):
		return errUsedLink
	case errors.Is(err, store.ErrExpired):
		return errExpiredLink
	case errors.Is(err, store.ErrDuplicate):
		return apierror.New(http.StatusConflict, "exists", "someone already has an account with this email: log in instead")
	case err != nil:
		return err
	}
	// The person has no login yet, so the entry names them as its actor.
	action := audit.UserCreate
	if link.Kind == store.ResetKind {
		action = audit.PasswordSet
	}
	a.audit.RecordAs(ctx, r, audit.Actor{UserID: u.ID, Email: u.Email}, action, "", u.Email, map[string]any{"role": u.Role})
	tok, err := a.auth.StartLogin(ctx, u)
	if errors.Is(err, auth.ErrInvalidCredentials) {
		return apierror.New(http.StatusForbidden, "disabled", "your password is set, but this account is deactivated")
	} else if err != nil {
		return err
	}
	a.auth.SetCookie(w, r, tok)
	apierror.JSON(w, http.StatusOK, map[string]any{"user": userJSON{Email: u.Email, Role: u.Role}})
	return nil
}
