package apierror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWriteLogsFaultsAndHidesThem(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := httptest.NewRecorder()
	Write(w, httptest.NewRequest(http.MethodGet, "/api/v1/sessions/s1/signals", nil), log, errors.New("disk on fire"))
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "disk") {
		t.Errorf("answer = %d %s, want a bare 500", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "disk on fire") {
		t.Errorf("log = %q, want the cause at error level", logs.String())
	}
}

func TestWriteClientErrorsAsIs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	w := httptest.NewRecorder()
	Write(w, httptest.NewRequest(http.MethodGet, "/", nil), log, fmt.Errorf("wrapped: %w", New(http.StatusBadRequest, "bad_time", "to must be a number")))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"code":"bad_time"`) {
		t.Errorf("answer = %d %s", w.Code, w.Body)
	}
	if logs.Len() != 0 {
		t.Errorf("a client error was logged: %q", logs.String())
	}
}

// A viewer who closes the tab mid-answer cancels the work; what fails because of that is not
// an error of the server's.
func TestWriteAfterTheClientLeftIsNoError(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodGet, "/api/v1/sessions/s1/signals", nil).WithContext(ctx)
	Write(httptest.NewRecorder(), r, log, fmt.Errorf("events of s1: %w", context.Canceled))
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("log = %q, want the failure at debug level only", logs.String())
	}
}

// A value that cannot be encoded (Go cannot write a year past 9999 as JSON) is answered 500
// with the error body; the status is not sent before the body is known to encode.
func TestJSONNeverSendsSuccessWithoutABody(t *testing.T) {
	rec := httptest.NewRecorder()
	JSON(rec, http.StatusOK, map[string]any{"startedAt": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"code":"internal"`) {
		t.Fatalf("unencodable answer = %d %q, want 500 with the error body", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	JSON(rec, http.StatusCreated, map[string]int{"n": 1})
	if rec.Code != http.StatusCreated || rec.Body.String() != "{\"n\":1}\n" {
		t.Fatalf("answer = %d %q", rec.Code, rec.Body.String())
	}
}

// A share link's token never reaches the logs: it is a credential to a recording.
func TestLogPathHidesShareTokens(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/share/s_abcdefgh.k3x9.SIGNATURE/events": "/api/v1/share/…/events",
		"/share/s_abcdefgh.k3x9.SIGNATURE":               "/share/…",
		"/api/v1/sessions/s_abcdefgh/events":             "/api/v1/sessions/s_abcdefgh/events",
		"/api/v1/invites/accept/INVITETOKEN":             "/api/v1/invites/accept/…",
		"/invite/INVITETOKEN":                            "/invite/…",
		"/api/v1/invites/12":                             "/api/v1/invites/12",
	} {
		if got := LogPath(in); got != want {
			t.Errorf("LogPath(%q) = %q, want %q", in, got, want)
		}
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	r := httptest.NewRequest("GET", "/api/v1/share/s_abcdefgh.k3x9.SIGNATURE/events", nil)
	Write(httptest.NewRecorder(), r, log, errors.New("boom"))
	if strings.Contains(buf.String(), "SIGNATURE") {
		t.Fatalf("the log shows the token: %s", buf.String())
	}
}
