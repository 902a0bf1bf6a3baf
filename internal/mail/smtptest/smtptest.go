// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp) on loopback for tests
// that send mail: it accepts PLAIN authentication for one user and keeps every message.
package smtptest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server received.
type Message struct {
	From string
	To   []string
	Data []byte
	User string // who authenticated; empty for none
}

// Server is a running SMTP server.
type Server struct {
	Addr     string // host:port on 127.0.0.1
	User     string
	Password string

	mu   sync.Mutex
	msgs []Message
	got  chan struct{}
	// Refuse makes the server refuse every recipient, as a misconfigured relay would.
	refuse bool
}

// Start runs a server until the test ends. Clients may log in as user with password (or send
// without logging in when user is empty).
func Start(t *testing.T, user, password string) *Server {
	t.Helper()
	s := &Server{User: user, Password: password, got: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback, as the client allows PLAIN to localhost
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// RefuseRecipients makes the server answer every RCPT with a permanent failure.
func (s *Server) RefuseRecipients() {
	s.mu.Lock()
	s.refuse = true
	s.mu.Unlock()
}

// Messages returns the messages received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Received is signalled once per message received.
func (s *Server) Received() <-chan struct{} { return s.got }

type session struct {
	s    *Server
	user string
	msg  Message
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.User || password != x.s.Password || x.s.User == "" {
			return errors.New("invalid credentials")
		}
		x.user = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.User != "" && x.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	x.msg = Message{From: from, User: x.user}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	refuse := x.s.refuse
	x.s.mu.Unlock()
	if refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.msg.Data = b
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.msg)
	x.s.mu.Unlock()
	x.s.got <- struct{}{}
	return nil
}

func (x *session) Reset()        { x.msg = Message{} }
func (x *session) Logout() error { return nil }
