// Package mail sends the few emails Reel writes (invitations, password resets) through an
// SMTP server the operator names with --smtp-url. It uses the standard library's SMTP client:
// STARTTLS whenever the server offers it, PLAIN authentication only over TLS or to a server on
// this machine, and a deadline on every send so a stuck server cannot hold a request.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Mailer sends messages through one SMTP server.
type Mailer struct {
	addr     string // host:port
	host     string
	tls      bool // smtps://: TLS from the first byte
	user     string
	password string
	from     mail.Address
	timeout  time.Duration
}

// New returns a Mailer for rawURL (smtp://[user@]host[:port], port 587 by default, or
// smtps://… for TLS from the start, port 465), with the password for user and the From address.
func New(rawURL, password, from string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("mail: --smtp-url is not a URL")
	}
	m := &Mailer{host: u.Hostname(), password: password, timeout: 20 * time.Second}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		if port == "" {
			port = "587"
		}
	case "smtps":
		m.tls = true
		if port == "" {
			port = "465"
		}
	default:
		return nil, fmt.Errorf("mail: --smtp-url must be smtp://[user@]host[:port] or smtps://…, not %s://", u.Scheme)
	}
	if m.host == "" {
		return nil, errors.New("mail: --smtp-url names no host")
	}
	if u.User != nil {
		m.user = u.User.Username()
		if _, set := u.User.Password(); set {
			return nil, errors.New("mail: put the SMTP password in REEL_SMTP_PASSWORD, not in --smtp-url")
		}
	}
	if from == "" {
		return nil, errors.New("mail: --smtp-from is needed with --smtp-url")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: --smtp-from %q: %w", from, err)
	}
	m.from = *addr
	m.addr = net.JoinHostPort(m.host, port)
	return m, nil
}

// Describe names the server for logs, without the password.
func (m *Mailer) Describe() string { return m.addr + " as " + m.from.Address }

// Send mails a plain-text message to one address.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	rcpt, err := mail.ParseAddress(to)
	if err != nil || rcpt.Address != to {
		return fmt.Errorf("mail: invalid recipient %q", to)
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	conn, err := m.dial(ctx)
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", m.addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("mail: %s: %w", m.addr, err)
	}
	defer c.Close()
	if err := c.Hello(helloName); err != nil {
		return fmt.Errorf("mail: %s: hello: %w", m.addr, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !m.tls {
		if err := c.StartTLS(&tls.Config{ServerName: m.host}); err != nil {
			return fmt.Errorf("mail: %s: starttls: %w", m.addr, err)
		}
	}
	if m.user != "" {
		if err := c.Auth(smtp.PlainAuth("", m.user, m.password, m.host)); err != nil {
			return fmt.Errorf("mail: %s: authenticate as %s: %w", m.addr, m.user, err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("mail: %s: from: %w", m.addr, err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("mail: %s: to %s: %w", m.addr, rcpt.Address, err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: %s: data: %w", m.addr, err)
	}
	if _, err := w.Write(m.message(rcpt.Address, subject, body)); err != nil {
		return fmt.Errorf("mail: %s: data: %w", m.addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: %s: data: %w", m.addr, err)
	}
	return c.Quit()
}

func (m *Mailer) dial(ctx context.Context) (net.Conn, error) {
	if m.tls {
		d := tls.Dialer{Config: &tls.Config{ServerName: m.host}}
		return d.DialContext(ctx, "tcp", m.addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", m.addr)
}

// message is the RFC 5322 message: UTF-8 text, quoted-printable, the subject encoded.
func (m *Mailer) message(to, subject, body string) []byte {
	var b bytes.Buffer
	id := make([]byte, 12)
	rand.Read(id)
	header := [][2]string{
		{"From", m.from.String()},
		{"To", to},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Date", time.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + domainOf(m.from.Address) + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	for _, h := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], strings.NewReplacer("\r", "", "\n", "").Replace(h[1]))
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		return d
	}
	return "reel.local"
}

// helloName is the name Reel greets SMTP servers with: it has no public name of its own to
// give, and relays that check HELO accept localhost from an authenticated client.
const helloName = "localhost"
