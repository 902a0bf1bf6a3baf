package mail_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	reelmail "github.com/reelhq/reel/internal/mail"
	"github.com/reelhq/reel/internal/mail/smtptest"
)

// A message sent through a real SMTP server arrives whole: authenticated as the URL's user
// with the password, from --smtp-from, to the one recipient, its UTF-8 subject and body intact.
func TestSendArrives(t *testing.T) {
	srv := smtptest.Start(t, "reel", "s3cret-pass")
	m, err := reelmail.New("smtp://reel@"+srv.Addr, "s3cret-pass", "Reel <reel@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	body := "Open this link to join:\nhttps://reel.example.com/invite/abc_DEF-123\n\nÜmlauts and a very long line " + strings.Repeat("x", 120)
	if err := m.Send(context.Background(), "new.person@example.com", "You are invited — Reel", body); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived, want 1", len(msgs))
	}
	got := msgs[0]
	if got.User != "reel" || got.From != "reel@example.com" || len(got.To) != 1 || got.To[0] != "new.person@example.com" {
		t.Fatalf("envelope = user %q from %q to %v", got.User, got.From, got.To)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got.Data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "You are invited — Reel" {
		t.Fatalf("subject = %q, %v", subject, err)
	}
	text, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(body, "\n", "\r\n"); strings.TrimRight(string(text), "\r\n") != want {
		t.Fatalf("body = %q, want %q", text, want)
	}
}

// A wrong password, a refused recipient, a server that is not there and a recipient that
// would inject headers each fail with the reason.
func TestSendFailures(t *testing.T) {
	srv := smtptest.Start(t, "reel", "right")
	ctx := context.Background()
	wrong, _ := reelmail.New("smtp://reel@"+srv.Addr, "wrong", "reel@example.com")
	if err := wrong.Send(ctx, "a@example.com", "s", "b"); err == nil || !strings.Contains(err.Error(), "authenticate") {
		t.Errorf("wrong password: %v", err)
	}
	right, _ := reelmail.New("smtp://reel@"+srv.Addr, "right", "reel@example.com")
	if err := right.Send(ctx, "a@example.com\r\nBcc: victim@example.com", "s", "b"); err == nil {
		t.Error("a recipient with a header in it was sent to")
	}
	srv.RefuseRecipients()
	if err := right.Send(ctx, "a@example.com", "s", "b"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("refused recipient: %v", err)
	}
	gone, _ := reelmail.New("smtp://127.0.0.1:1", "", "reel@example.com")
	if err := gone.Send(ctx, "a@example.com", "s", "b"); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("no server: %v", err)
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("messages arrived: %+v", srv.Messages())
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for name, c := range map[string]struct{ url, from string }{
		"scheme":              {"http://mail.example.com", "r@example.com"},
		"no host":             {"smtp://", "r@example.com"},
		"password in URL":     {"smtp://u:p@mail.example.com", "r@example.com"},
		"no from":             {"smtp://mail.example.com", ""},
		"from not an address": {"smtp://mail.example.com", "not an address"},
	} {
		if _, err := reelmail.New(c.url, "", c.from); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
