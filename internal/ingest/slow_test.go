package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// trickler is an upload that announces a large body and sends it a byte at a time, from its
// own loopback address, until stopped.
type trickler struct {
	conn net.Conn
	done chan struct{}
}

func trickle(t *testing.T, server, from string, announce int) *trickler {
	t.Helper()
	u, _ := url.Parse(server)
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	conn, err := d.Dial("tcp", u.Host)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	fmt.Fprintf(conn, "POST /api/v1/ingest?v=1&key=pk_test HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n\x1f\x8b", u.Host, announce)
	tr := &trickler{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(tr.done)
		for {
			if _, err := conn.Write([]byte{0}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return tr
}

func (tr *trickler) stop() {
	tr.conn.Close()
	<-tr.done
}

// postFrom posts a batch from a loopback address of its own.
func (e *env) postFrom(t *testing.T, from string, body []byte) reply {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext}}
	defer c.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/ingest?v=1&key=pk_test", bytes.NewReader(body))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{Status: resp.StatusCode, Body: string(b), Header: resp.Header}
	var e2 struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(b, &e2)
	r.Code = e2.Error.Code
	return r
}

// waitOpen waits until address has n uploads open in the handler.
func (e *env) waitOpen(t *testing.T, address string, n int) {
	t.Helper()
	for range 6000 {
		if e.h.uploads.open(address) == n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s has %d uploads open, want %d", address, e.h.uploads.open(address), n)
}

// TestSlowUploadsLeaveTheBudget: forty uploads that announce the largest body allowed (8 MiB)
// and trickle it a byte at a time, from forty addresses, hold only what they have sent, so a
// normal batch is still stored while they trickle instead of waiting for a budget they took.
func TestSlowUploadsLeaveTheBudget(t *testing.T) {
	e := newEnv(t, Options{})
	var tricklers []*trickler
	var once sync.Once
	stop := func() {
		once.Do(func() {
			for _, tr := range tricklers {
				tr.stop()
			}
		})
	}
	defer stop()
	for i := range 40 {
		from := fmt.Sprintf("127.0.1.%d", i+1)
		tricklers = append(tricklers, trickle(t, e.srv.URL, from, int(DefaultLimits.MaxCompressed)))
	}
	for i := range 40 {
		e.waitOpen(t, fmt.Sprintf("127.0.1.%d", i+1), 1)
	}
	for seq := range 3 {
		if r := e.postFrom(t, "127.0.2.1", gz(t, batchJSON("s_session01", "t_tab00001", seq, metaEv, clickEv))); r.Status != 200 {
			t.Fatalf("a normal batch while forty uploads trickle = %d %s", r.Status, r.Body)
		}
	}
	stop()
	for i := range 40 {
		e.waitOpen(t, fmt.Sprintf("127.0.1.%d", i+1), 0)
	}
}

// TestOpenUploadsPerAddress: one address cannot have more than OpenPerIP uploads open at once;
// the next is told to retry later (429 with Retry-After) before its body is read, other
// addresses are served meanwhile, and the address is served again once its uploads end.
func TestOpenUploadsPerAddress(t *testing.T) {
	e := newEnv(t, Options{OpenPerIP: 4})
	var tricklers []*trickler
	for range 4 {
		tricklers = append(tricklers, trickle(t, e.srv.URL, "127.0.3.1", 1<<20))
	}
	e.waitOpen(t, "127.0.3.1", 4)
	batch := gz(t, batchJSON("s_session01", "t_tab00001", 0, metaEv, clickEv))
	r := e.postFrom(t, "127.0.3.1", batch)
	if r.Status != 429 || r.Code != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("a fifth upload from the address = %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if r := e.postFrom(t, "127.0.3.2", batch); r.Status != 200 {
		t.Fatalf("another address meanwhile = %d %s", r.Status, r.Body)
	}
	for _, tr := range tricklers {
		tr.stop()
	}
	e.waitOpen(t, "127.0.3.1", 0)
	if r := e.postFrom(t, "127.0.3.1", gz(t, batchJSON("s_session01", "t_tab00001", 1, metaEv, clickEv))); r.Status != 200 {
		t.Fatalf("the address once its uploads ended = %d %s", r.Status, r.Body)
	}
}
