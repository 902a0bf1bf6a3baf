package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/search"
)

// Limits on what people name and send; a project's lists are shown whole, so those are bounded
// per project where they are kept (savedsearches.go, playlists.go).
const (
	maxNameChars = 100
	maxSavedBody = 16 << 10
)

func badRequest(msg string) error { return apierror.New(http.StatusBadRequest, "bad_request", msg) }

// decodeBody reads one JSON object of at most maxSavedBody bytes, refusing unknown fields, so a
// typo ("shard") is an error instead of silently ignored.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSavedBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apierror.New(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is larger than %d bytes", maxSavedBody))
		}
		return badRequest("body must be one JSON object: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("body must be one JSON object")
	}
	return nil
}

// checkName trims a name and checks it is 1-100 characters of UTF-8 without control characters.
func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) {
		return "", badRequest(what + " must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > maxNameChars {
		return "", badRequest(fmt.Sprintf("%s must be 1-%d characters", what, maxNameChars))
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", badRequest(what + " must not contain control characters")
	}
	return name, nil
}

// checkQuery parses a query so a malformed one is never saved; the answer carries the parser's
// reason and position, as the sessions list does.
func checkQuery(q string) (*search.Query, error) {
	plan, err := search.Parse(q)
	var perr *search.Error
	if errors.As(err, &perr) {
		return nil, apierror.New(http.StatusBadRequest, "bad_query", perr.Error())
	}
	return plan, err
}

func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("invalid " + what + " id")
	}
	return id, nil
}

func caller(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

// mayChange says whether the caller may rename, reshare or delete an item: its owner or an
// admin. Anyone who sees a shared playlist may pin to it.
func mayChange(r *http.Request, owner int64) error {
	p := caller(r)
	if p.UserID == owner || auth.AtLeast(p.Role, auth.RoleAdmin) {
		return nil
	}
	return apierror.New(http.StatusForbidden, "forbidden", "only its owner or an admin may change this")
}

// projectParam is ?project=, "default" when absent, and must exist.
func (a *API) projectParam(r *http.Request, project string) (string, error) {
	if project == "" {
		project = "default"
	}
	if len(project) > 128 {
		return "", badRequest("invalid project")
	}
	if _, err := a.projectByID(r.Context(), project); err != nil {
		return "", err
	}
	return project, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
