// Package s3test runs a real S3 server for tests: versitygw (Apache-2.0), a single binary
// that serves S3 from a local directory, each subdirectory a bucket. Tests talk to it with the
// same client and the same URL form as production (s3://reel?endpoint=…), so what passes here
// is what runs against AWS, MinIO or Ceph, short of their quirks.
//
// The binary is found at $REEL_VERSITYGW, on PATH, or in the cache directory scripts/services
// installs it into ($HOME/.cache/reel/bin). Without it a test is skipped with the reason, or
// fails when CI=true, where .ci/run always provides it (STYLE.md rule 15).
package s3test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The one account every test server has. Tests set these as AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, the way an operator sets theirs.
const (
	AccessKey = "reeltest"
	SecretKey = "reeltest-secret-key"
	Bucket    = "reel"
	Region    = "us-east-1"
)

// Server is a running versitygw on a loopback port with one bucket, Bucket.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT
	dir      string
	cmd      *exec.Cmd
	exited   chan struct{}
	stderr   *output
}

// output collects the server's messages for an error report; the process writes while a test
// may read.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

var shared struct {
	sync.Once
	srv     *Server
	err     error
	started bool // Main was called, so someone stops the shared server
}

// Main runs a package's tests and then stops the shared server, if a test started one. A
// package whose tests call URL runs its tests through it: func TestMain(m *testing.M) {
// s3test.Main(m) }.
func Main(m *testing.M) {
	shared.started = true
	code := m.Run()
	if shared.srv != nil {
		shared.srv.stop()
	}
	os.Exit(code)
}

// URL returns the URL of an empty blob store on the package's shared server (started on first
// use): s3://reel/<a fresh key prefix>?endpoint=…&region=us-east-1&use_path_style=true. Each
// call gets a prefix of its own, so tests do not see each other's objects. It sets the
// AWS_* credentials for the test.
func URL(t testing.TB) string {
	t.Helper()
	if !shared.started {
		t.Fatal("s3test.URL needs the package's TestMain to call s3test.Main, which stops the server")
	}
	shared.Do(func() { shared.srv, shared.err = start() })
	if shared.err != nil {
		unavailable(t, shared.err)
	}
	return shared.srv.PrefixURL(t)
}

// Start runs a server for this test alone, stopped when the test ends: for tests that pause
// or stop it.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(s.stop)
	return s
}

// errMissing marks the one failure that is a skip outside CI: no binary to run.
var errMissing = errors.New("versitygw not found")

func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errMissing) && os.Getenv("CI") != "true" {
		t.Skipf("S3 tests skipped: %v (run `eval \"$(./scripts/services)\"` to build it, or set REEL_VERSITYGW)", err)
	}
	t.Fatalf("S3 test server: %v", err)
}

// BucketURL is the URL of the whole bucket in the exact form the README documents.
func (s *Server) BucketURL() string {
	return fmt.Sprintf("s3://%s?endpoint=%s&region=%s&use_path_style=true", Bucket, s.Endpoint, Region)
}

// PrefixURL returns the URL of a fresh key prefix in the bucket and sets the credentials.
func (s *Server) PrefixURL(t testing.TB) string {
	t.Helper()
	SetCredentials(t)
	var rnd [6]byte
	rand.Read(rnd[:])
	return fmt.Sprintf("s3://%s/t-%s?endpoint=%s&region=%s&use_path_style=true", Bucket, hex.EncodeToString(rnd[:]), s.Endpoint, Region)
}

// SetCredentials points the AWS credential chain at the test servers' account for this test,
// clearing what could override it.
func SetCredentials(t testing.TB) {
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
}

// Pause stops the server's process (SIGSTOP) without closing its port: connections are
// accepted by the kernel and then nothing answers, as with a hung server. Resume continues it.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("pause versitygw: %v", err)
	}
}

// Resume continues a paused server.
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resume versitygw: %v", err)
	}
}

// Binary finds versitygw: $REEL_VERSITYGW, PATH, then the cache directory.
func Binary() (string, error) {
	if p := os.Getenv("REEL_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: REEL_VERSITYGW=%s: %v", errMissing, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var tried []string
	for _, base := range cacheDirs() {
		p := filepath.Join(base, "reel", "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("%w: not in REEL_VERSITYGW, on PATH, or at %v", errMissing, tried)
}

func cacheDirs() []string {
	var dirs []string
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, d)
	}
	if h, err := os.UserHomeDir(); err == nil {
		if d := filepath.Join(h, ".cache"); len(dirs) == 0 || dirs[0] != d {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

func start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "reel-s3test-")
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, Bucket), 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// A port the kernel just gave out and took back; another process taking it in between
	// makes versitygw exit at once, and start tries again.
	for range 3 {
		var s *Server
		s, err = launch(bin, dir)
		if err == nil {
			return s, nil
		}
	}
	os.RemoveAll(dir)
	return nil, err
}

func launch(bin, dir string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Endpoint: "http://" + addr, dir: dir, exited: make(chan struct{}), stderr: new(output)}
	s.cmd = exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region, "--port", addr, "--quiet", "posix", dir)
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	s.cmd.Env = append(os.Environ(), "VGW_LOG_LEVEL=silent")
	setDeathSignal(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("versitygw exited at start: %s", s.stderr.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	<-s.exited
	return nil, fmt.Errorf("versitygw did not answer on %s within 15 s: %s", addr, s.stderr.String())
}

// stop kills the server (continuing it first, in case a test left it paused) and removes its
// directory.
func (s *Server) stop() {
	s.cmd.Process.Signal(syscall.SIGCONT)
	s.cmd.Process.Kill()
	<-s.exited
	os.RemoveAll(s.dir)
}
