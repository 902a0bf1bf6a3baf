// Package apierror is the one place where errors become HTTP answers. Every endpoint, ingest
// and API alike, fails with the same body, {"error": {"code": "...", "message": "..."}}, and
// server faults are logged with their cause but answered with a bare "internal error".
package apierror

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
)

// Error is a failure the client should hear about.
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter int // seconds; sent as Retry-After when > 0
	// Missing lists what the client must supply before retrying (content hashes for
	// missing_content); sent as error.missing.
	Missing []string
	// Cause is the server-side failure behind a 5xx answer; it is logged, never sent.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Unavailable is the answer to a request that failed on a dependency that may come back (the
// index database, the blob store): 503 with Retry-After, so a client that keeps what it sent
// (the SDK, an ingest client) retries it instead of giving up. Nothing was acknowledged.
func Unavailable(cause error, retryAfter int) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "storage_unavailable",
		Message: "storage is unavailable, retry later", RetryAfter: retryAfter, Cause: cause}
}

// New returns a client error.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

type body struct {
	Error struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Missing []string `json:"missing,omitempty"`
	} `json:"error"`
}

// Write answers err. An *Error (possibly wrapped) is sent as is; anything else is a 500 whose
// cause goes to the log only, at error level unless the client had already gone (closed the
// tab, moved on to another session): then the failure is the cancelled work's, nobody waits
// for the answer, and it is logged at debug level.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	if !errors.As(err, &e) {
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelDebug
		}
		log.Log(r.Context(), level, "request failed", "method", r.Method, "path", LogPath(r.URL.Path), "err", err)
		e = New(http.StatusInternalServerError, "internal", "internal error")
	} else if e.Cause != nil {
		level := slog.LevelWarn
		if r.Context().Err() != nil {
			level = slog.LevelDebug
		}
		if log != nil {
			log.Log(r.Context(), level, "request failed", "method", r.Method, "path", LogPath(r.URL.Path), "status", e.Status, "err", e.Cause)
		}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	var b body
	b.Error.Code, b.Error.Message, b.Error.Missing = e.Code, e.Message, e.Missing
	JSON(w, e.Status, b)
}

// JSON writes v as a JSON response with the given status. The body is encoded before the
// status goes out: a value that cannot be encoded (a time past year 9999) is answered 500 with
// the error body, never a success with an empty or truncated body.
func JSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// LogPath is a request path as logs may show it: the token of a share link (…/share/TOKEN…)
// or of an invitation or reset link (…/invite/TOKEN, …/invites/accept/TOKEN) is a credential,
// so it is left out.
func LogPath(p string) string {
	for _, marker := range []string{"/share/", "/invites/accept/", "/invite/"} {
		i := strings.Index(p, marker)
		if i < 0 {
			continue
		}
		rest := p[i+len(marker):]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return p[:i] + marker + "…" + rest[j:]
		}
		return p[:i] + marker + "…"
	}
	return p
}
