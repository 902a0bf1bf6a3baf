package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// TestAnswersAreCompressed: a session's events, the dashboard and the SDK bundle travel
// compressed to a client that accepts zstd or gzip, and decode to exactly the plain answer;
// a client that accepts neither gets them plain; ingest answers are never compressed.
func TestAnswersAreCompressed(t *testing.T) {
	s := newStack(t)
	auth := []string{"Authorization", "Bearer " + adminToken}
	const t0 = 1764237600000
	css := strings.Repeat(".card{display:grid;gap:8px;padding:16px} ", 200)
	s.ingest(t, "s_zipped0001", "t_tabone01", 0,
		ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
		ev(2, t0+1, fmt.Sprintf(`{"node":{"type":0,"childNodes":[{"type":2,"tagName":"style","attributes":{"_cssText":%q},"childNodes":[],"id":2}],"id":1},"initialOffset":{"left":0,"top":0}}`, css)))
	var clicks []string
	for i := range 200 {
		clicks = append(clicks, ev(3, int64(t0+10+i), fmt.Sprintf(`{"source":2,"type":2,"id":2,"x":%d,"y":%d}`, i, i*2)))
	}
	s.ingest(t, "s_zipped0001", "t_tabone01", 1, clicks...)

	decode := map[string]func([]byte) ([]byte, error){
		"": func(b []byte) ([]byte, error) { return b, nil },
		"gzip": func(b []byte) ([]byte, error) {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		},
		"zstd": func(b []byte) ([]byte, error) {
			zr, err := zstd.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			defer zr.Close()
			return io.ReadAll(zr)
		},
	}
	for _, path := range []string{"/api/v1/sessions/s_zipped0001/events", "/api/v1/sessions/s_zipped0001/events?from=1764237600100", "/sdk/reel.js", "/assets/app.js", "/assets/app.css"} {
		plain := do(t, http.DefaultClient, "GET", s.srv.URL+path, nil, append(auth, "Accept-Encoding", "identity")...)
		if plain.Status != 200 || plain.Header.Get("Content-Encoding") != "" || len(plain.Body) < 2048 {
			t.Fatalf("GET %s plain = %d, encoding %q, %d bytes", path, plain.Status, plain.Header.Get("Content-Encoding"), len(plain.Body))
		}
		for _, tc := range []struct{ accept, want string }{
			{"gzip, deflate, br, zstd", "zstd"},
			{"gzip", "gzip"},
			{"br", ""},
		} {
			r := do(t, http.DefaultClient, "GET", s.srv.URL+path, nil, append(auth, "Accept-Encoding", tc.accept)...)
			if r.Status != 200 || r.Header.Get("Content-Encoding") != tc.want {
				t.Fatalf("GET %s accepting %q = %d, encoding %q, want %q", path, tc.accept, r.Status, r.Header.Get("Content-Encoding"), tc.want)
			}
			got, err := decode[tc.want](r.Body)
			if err != nil || !bytes.Equal(got, plain.Body) {
				t.Fatalf("GET %s in %s decodes to %d bytes (%v), want the %d plain bytes", path, tc.want, len(got), err, len(plain.Body))
			}
			if tc.want != "" && len(r.Body)*2 > len(plain.Body) {
				t.Errorf("GET %s in %s = %d bytes for %d plain", path, tc.want, len(r.Body), len(plain.Body))
			}
			if !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET %s: Vary = %q, want Accept-Encoding so caches keep the encodings apart", path, r.Header.Get("Vary"))
			}
		}
	}

	// The ingest answer is left alone, even to a client that accepts everything.
	r := s.ingestFrom(t, "", "s_zipped0002")
	if r.Status != 200 || r.Header.Get("Content-Encoding") != "" {
		t.Fatalf("ingest = %d, encoding %q", r.Status, r.Header.Get("Content-Encoding"))
	}
}
