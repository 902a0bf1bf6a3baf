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
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	bin      string
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

// BucketDir is the directory the server keeps the bucket in, each object a file under it (the
// posix backend): tests that check what is stored list it, or age files in it.
func (s *Server) BucketDir() string { return filepath.Join(s.dir, Bucket) }

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
	s := &Server{Endpoint: "http://" + addr, bin: bin, dir: dir}
	return s, s.run()
}

// run starts the process on the Endpoint's address and waits until it accepts connections.
func (s *Server) run() error {
	addr := strings.TrimPrefix(s.Endpoint, "http://")
	bin, dir := s.bin, s.dir
	s.exited, s.stderr = make(chan struct{}), new(output)
	s.cmd = exec.Command(bin, "--access", AccessKey, "--secret", SecretKey, "--region", Region, "--port", addr, "--quiet", "posix", dir)
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	s.cmd.Env = append(os.Environ(), "VGW_LOG_LEVEL=silent")
	setDeathSignal(s.cmd)
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	cmd, exited := s.cmd, s.exited
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("versitygw exited at start: %s", s.stderr.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			_, port, _ := net.SplitHostPort(addr)
			n, _ := strconv.Atoi(port)
			if ownsPort(s.cmd.Process.Pid, n) {
				return nil
			}
			// Another process answers on the port: not ours to test against.
			s.cmd.Process.Kill()
			<-exited
			return fmt.Errorf("another process listens on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	<-exited
	return fmt.Errorf("versitygw did not answer on %s within 15 s: %s", addr, s.stderr.String())
}

// Kill ends the server's process, keeping its data, so its port refuses connections: a store
// that went away. Restart brings it back on the same port with the same objects.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGCONT)
	s.cmd.Process.Kill()
	<-s.exited
}

// Restart starts a killed server again on its port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.run(); err != nil {
		t.Fatalf("restart versitygw: %v", err)
	}
}

// stop kills the server (continuing it first, in case a test left it paused) and removes its
// directory.
func (s *Server) stop() {
	s.cmd.Process.Signal(syscall.SIGCONT)
	s.cmd.Process.Kill()
	<-s.exited
	os.RemoveAll(s.dir)
}

// Faults is a proxy in front of a Server that answers in its place with an S3 error while
// told to, as a store under trouble does (500 InternalError, 503 SlowDown). It counts the
// requests it failed, so a test can see the client retried and stopped.
type Faults struct {
	Endpoint string // http://127.0.0.1:PORT of the proxy
	srv      *Server
	status   atomic.Int32
	parts    atomic.Bool // fail only the uploads of parts of a multipart upload
	failed   atomic.Int64
}

// Faults starts a proxy to s, passing requests through until Fail is called; it stops when
// the test ends.
func (s *Server) Faults(t testing.TB) *Faults {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	f := &Faults{srv: s}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // the client signed the proxy's host; the server checks it
		},
		// When the server is down or hung, the client should see what it would see without
		// the proxy, a broken connection, not the proxy's 502.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := int(f.status.Load())
		if status == 0 || f.parts.Load() && !(r.Method == http.MethodPut && r.URL.Query().Has("partNumber")) {
			proxy.ServeHTTP(w, r)
			return
		}
		f.failed.Add(1)
		io.Copy(io.Discard, r.Body)
		code := "InternalError"
		if status == http.StatusServiceUnavailable {
			code = "SlowDown"
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by s3test</Message></Error>`, code)
	}))
	t.Cleanup(hs.Close)
	f.Endpoint = hs.URL
	return f
}

// Fail makes every request answer status until Pass.
func (f *Faults) Fail(status int) {
	f.parts.Store(false)
	f.status.Store(int32(status))
}

// FailParts makes the uploads of parts of multipart uploads answer status until Pass, and
// lets every other request through (starting an upload, aborting it, listing).
func (f *Faults) FailParts(status int) {
	f.parts.Store(true)
	f.status.Store(int32(status))
}

// Pass lets requests through to the server again.
func (f *Faults) Pass() { f.status.Store(0) }

// Failed is the number of requests answered with an injected error so far.
func (f *Faults) Failed() int64 { return f.failed.Load() }

// PrefixURL returns the URL of a fresh key prefix in the bucket, reached through the proxy,
// and sets the credentials.
func (f *Faults) PrefixURL(t testing.TB) string {
	t.Helper()
	u := f.srv.PrefixURL(t)
	return strings.Replace(u, "endpoint="+f.srv.Endpoint, "endpoint="+f.Endpoint, 1)
}
