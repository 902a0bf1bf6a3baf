package alert

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// Every webhook post of a rule with a secret carries these two headers: when it was sent (Unix
// seconds) and "v1=" followed by the hex HMAC-SHA256, keyed with the rule's secret, of that
// timestamp, a dot and the body as sent. A receiver recomputes it over the raw body, compares in
// constant time, and refuses a timestamp older than a few minutes, so a captured post cannot be
// replayed later (docs/api.md#verifying-a-webhook).
const (
	HeaderTimestamp = "Reel-Webhook-Timestamp"
	HeaderSignature = "Reel-Webhook-Signature"
)

// NewSecret makes a rule's signing secret: 256 random bits.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// Sign is the signature header's value for body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verification failures.
var (
	ErrNoSignature  = errors.New("webhook: no signature or timestamp header")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance")
)

// Verify is what a receiver written in Go does with a post: it checks the signature over the
// raw body and that the timestamp is within tolerance of now.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	tsText, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if tsText == "" || sig == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	// A header may list several signatures (a secret being rotated); any one may match.
	want := Sign(secret, ts, body)
	for _, s := range strings.Split(sig, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// Event is the body of a rule in the "json" format: one object a program can read without
// knowing Slack's message format.
type Event struct {
	Type      string    `json:"type"` // "alert.fired" or "alert.test"
	Rule      EventRule `json:"rule"`
	Project   string    `json:"project"`
	Sessions  int       `json:"sessions"`
	Window    string    `json:"window"`
	URL       string    `json:"url"`
	Text      string    `json:"text"`
	Timestamp time.Time `json:"timestamp"`
}

// EventRule names the rule that fired.
type EventRule struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Condition string `json:"condition"`
}

// Body is what a post of msg for r says, in r's format.
func Body(r store.AlertRule, msg Message, at time.Time) []byte {
	if r.Format != store.FormatJSON {
		b, _ := json.Marshal(msg)
		return b
	}
	typ := "alert.fired"
	if msg.Test {
		typ = "alert.test"
	}
	b, _ := json.Marshal(Event{
		Type: typ, Rule: EventRule{ID: r.ID, Name: r.Name, Condition: Condition(r)}, Project: r.ProjectID,
		Sessions: msg.Sessions, Window: msg.Window, URL: msg.URL, Text: msg.Text, Timestamp: at.UTC(),
	})
	return b
}
