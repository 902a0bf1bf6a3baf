package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const testAdminToken = "import-test-admin-token-0123"

// testServer is `reel serve` running in this process on a loopback port.
type testServer struct {
	base, key string
	data      string
	stop      func() error
}

// startServer runs serveUntil on data with the admin token set and compaction after a second
// of quiet, and waits for its banner.
func startServer(t *testing.T, data string, extra ...string) *testServer {
	t.Helper()
	t.Setenv("REEL_ADMIN_TOKEN", testAdminToken)
	t.Setenv("REEL_ADMIN_PASSWORD", "import-test-password-1")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	args := append([]string{"--addr", "127.0.0.1:0", "--data", data, "--archive-assets=false", "--demo=false", "--compact-idle", "1s", "--log-level", "warn"}, extra...)
	go func() { done <- serveUntil(ctx, args, &stdout, &stderr) }()
	banner := regexp.MustCompile(`Dashboard\s+(http://\S+)/\n(?s:.*)Public key\s+(\S+)`)
	s := &testServer{data: data}
	stopped := false
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := banner.FindStringSubmatch(stdout.String()); m != nil {
			s.base, s.key = m[1], m[2]
			return s
		}
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("serve ended: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner in 60 s:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
}

// get fetches an API path as the admin and decodes the JSON answer into v.
func (s *testServer) get(t *testing.T, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

type sessionList struct {
	Sessions []struct {
		ID         string `json:"id"`
		Pages      int    `json:"pages"`
		Tabs       int    `json:"tabs"`
		EntryURL   string `json:"entryUrl"`
		Errors     int    `json:"errors"`
		Events     int    `json:"events"`
		Compacted  string `json:"compactedAt"`
		DurationMS int64  `json:"durationMs"`
	} `json:"sessions"`
}

func (s *testServer) sessions(t *testing.T, q string) sessionList {
	t.Helper()
	var l sessionList
	s.get(t, "/api/v1/sessions?project=default&limit=200&q="+url.QueryEscape(q), &l)
	return l
}

// Each format imports as a session with its pages, tabs, errors and, once compaction has
// analysed it, its rage click: the same as a live recording.
func TestImportEachFormat(t *testing.T) {
	s := startServer(t, t.TempDir())
	t.Setenv("REEL_TOKEN", testAdminToken)
	cases := []struct {
		file  string
		tabs  int
		pages int
	}{
		{"rrweb.json", 1, 2},
		{"sentry.json", 1, 2},
		{"posthog.json", 2, 4}, // two windows, each on both pages
		{"reel.json", 1, 2},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		var out, errOut strings.Builder
		path := filepath.Join("..", "..", "internal", "replayfile", "testdata", tc.file)
		if err := run([]string{"import", "--server", s.base, path}, &out, &errOut); err != nil {
			t.Fatalf("import %s: %v\n%s%s", tc.file, err, out.String(), errOut.String())
		}
		m := regexp.MustCompile(`session (s_imp\w+)\n\s+(\S+)`).FindStringSubmatch(out.String())
		if m == nil || m[2] != s.base+"/sessions/"+m[1] {
			t.Fatalf("import %s printed %q", tc.file, out.String())
		}
		if !strings.Contains(out.String(), tc.file+": checking") || strings.Contains(out.String(), "\r") {
			t.Errorf("not on a terminal, progress should be plain lines: %q", out.String())
		}
		ids[tc.file] = m[1]
	}
	// rrweb.json and reel.json hold the same events but are different files: two sessions.
	if len(map[string]bool{ids["rrweb.json"]: true, ids["sentry.json"]: true, ids["posthog.json"]: true, ids["reel.json"]: true}) != 4 {
		t.Fatalf("session ids = %v", ids)
	}
	var rage sessionList
	for deadline := time.Now().Add(90 * time.Second); ; {
		rage = s.sessions(t, "rage:>0")
		if len(rage.Sessions) == len(cases) || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	found := map[string]bool{}
	for _, r := range rage.Sessions {
		found[r.ID] = true
	}
	for _, tc := range cases {
		id := ids[tc.file]
		if !found[id] {
			t.Errorf("%s: session %s not found by rage:>0 (compaction's analysis)", tc.file, id)
			continue
		}
		var one struct {
			Pages    int      `json:"pages"`
			Tabs     int      `json:"tabs"`
			Errors   int      `json:"errors"`
			URLs     []string `json:"urls"`
			EntryURL string   `json:"entryUrl"`
		}
		s.get(t, "/api/v1/sessions/"+id, &one)
		if one.Pages != tc.pages || one.Tabs != tc.tabs || one.Errors < 1 || one.EntryURL != "https://shop.example/shop/" || len(one.URLs) == 0 || one.URLs[len(one.URLs)-1] != "https://shop.example/shop/cart.html" {
			t.Errorf("%s: session = %+v", tc.file, one)
		}
		var sig struct {
			Counts map[string]int `json:"counts"`
			Errors []string       `json:"errors"`
		}
		s.get(t, "/api/v1/sessions/"+id+"/signals", &sig)
		if sig.Counts["rage_click"] < 1 || len(sig.Errors) == 0 || sig.Errors[0] != "TypeError: coupon is undefined" {
			t.Errorf("%s: signals = %+v", tc.file, sig)
		}
		// Search entries: on-screen text of the imported page is found.
		if l := s.sessions(t, `text:"Free shipping"`); !containsSession(l, id) {
			t.Errorf("%s: not found by its on-screen text", tc.file)
		}
	}
	// The same file again completes (here: repeats) the same session, not a second one.
	before := len(s.sessions(t, "").Sessions)
	var out, errOut strings.Builder
	if err := run([]string{"import", "--server", s.base, filepath.Join("..", "..", "internal", "replayfile", "testdata", "rrweb.json")}, &out, &errOut); err != nil || !strings.Contains(out.String(), ids["rrweb.json"]) {
		t.Fatalf("import again: %v %q", err, out.String())
	}
	if after := len(s.sessions(t, "").Sessions); after != before {
		t.Fatalf("importing the same file again made %d sessions of %d", after, before)
	}
}

func containsSession(l sessionList, id string) bool {
	for _, s := range l.Sessions {
		if s.ID == id {
			return true
		}
	}
	return false
}

// Files that are not rrweb events, truncated, or 2 GB of nothing stop with the file's name and
// the event where reading stopped, and nothing of them reaches the server, while a good file
// given with them is still imported.
func TestImportRefusesBadFiles(t *testing.T) {
	s := startServer(t, t.TempDir())
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "internal", "replayfile", "testdata", "rrweb.json"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notEvents := write("users.json", []byte(`[{"id":1,"name":"Ann"},{"id":2,"name":"Bob"}]`))
	// Cut in the middle of the ninth event: the first eight are good and must not be sent.
	var evs []json.RawMessage
	if err := json.Unmarshal(good, &evs); err != nil {
		t.Fatal(err)
	}
	prefix := "["
	for _, e := range evs[:8] {
		prefix += string(e) + ","
	}
	cut := []byte(prefix + string(evs[8][:30]))
	truncated := write("truncated.json", cut)
	// 2 GB that take no disk: good events, then a hole of zero bytes inside a string.
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	head := `[{"type":4,"timestamp":1764237600000,"data":{"href":"https://shop.example/","width":1280,"height":800}},{"type":3,"timestamp":1764237600100,"data":{"source":5,"id":3,"text":"`
	fmt.Fprint(f, head)
	if err := f.Truncate(2 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	zeros := filepath.Join(dir, "zeros.json")
	if err := os.WriteFile(zeros, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(zeros, 2<<30); err != nil {
		t.Fatal(err)
	}
	goodPath := write("good.json", good)

	var out, errOut strings.Builder
	err = run([]string{"import", "--server", s.base, "--key", s.key, notEvents, truncated, huge, zeros, goodPath}, &out, &errOut)
	if err == nil || err.Error() != "4 of 5 files not imported" {
		t.Fatalf("err = %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{
		notEvents + ": event 0 (byte 1): not an rrweb event: invalid rrweb event: missing type; nothing of it was imported",
		fmt.Sprintf("%s: event 8 (byte %d): the file ends in the middle of the JSON (truncated?); nothing of it was imported", truncated, len(prefix)),
		fmt.Sprintf("%s: event 1 (byte %d): not valid JSON: invalid character '\\x00' in string literal; nothing of it was imported", huge, strings.Index(head, `{"type":3`)),
		zeros + ": event 0 (byte 0): not valid JSON: invalid character '\\x00' looking for beginning of value; nothing of it was imported",
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	l := s.sessions(t, "")
	if len(l.Sessions) != 1 || !strings.Contains(out.String(), l.Sessions[0].ID) || l.Sessions[0].Events != 11 {
		t.Fatalf("sessions = %+v, want only good.json's with its 11 events\n%s", l, out.String())
	}
	// Without a key or a token the command says what to set.
	t.Setenv("REEL_TOKEN", "")
	t.Setenv("REEL_KEY", "")
	if err := run([]string{"import", "--server", s.base, goodPath}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "REEL_TOKEN") {
		t.Fatalf("no token: %v", err)
	}
	t.Setenv("REEL_TOKEN", testAdminToken)
	if err := run([]string{"import", "--server", s.base, "--project", "nope", goodPath}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), `no project "nope"`) {
		t.Fatalf("unknown project: %v", err)
	}
}

// Reel's own rrweb export (the events API's array, which `reel export --format rrweb` writes
// per tab) imports into another project as the same events, byte for byte.
func TestImportRoundTrip(t *testing.T) {
	s := startServer(t, t.TempDir())
	t.Setenv("REEL_TOKEN", testAdminToken)
	var out, errOut strings.Builder
	if err := run([]string{"import", "--server", s.base, filepath.Join("..", "..", "internal", "replayfile", "testdata", "posthog.json")}, &out, &errOut); err != nil {
		t.Fatalf("import: %v %s", err, errOut.String())
	}
	first := regexp.MustCompile(`session (s_imp\w+)`).FindStringSubmatch(out.String())[1]
	var tabs struct {
		Tabs []struct{ ID string } `json:"tabs"`
	}
	s.get(t, "/api/v1/sessions/"+first+"/tabs", &tabs)
	if len(tabs.Tabs) != 2 {
		t.Fatalf("tabs = %+v", tabs)
	}
	req, _ := http.NewRequest(http.MethodPost, s.base+"/api/v1/projects", strings.NewReader(`{"name":"Other"}`))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create project: %v %v", err, resp)
	}
	resp.Body.Close()
	dir := t.TempDir()
	for i, tab := range tabs.Tabs {
		events := s.raw(t, "/api/v1/sessions/"+first+"/events?tab="+tab.ID)
		path := filepath.Join(dir, fmt.Sprintf("%s.tab%d.rrweb.json", first, i+1))
		if err := os.WriteFile(path, events, 0o600); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := run([]string{"import", "--server", s.base, "--project", "other", path}, &out, &errOut); err != nil {
			t.Fatalf("import the export: %v %s", err, errOut.String())
		}
		again := regexp.MustCompile(`session (s_imp\w+)`).FindStringSubmatch(out.String())[1]
		if back := s.raw(t, "/api/v1/sessions/"+again+"/events"); string(back) != string(events) {
			t.Fatalf("tab %d came back different:\n%s\nwas\n%s", i+1, back, events)
		}
		var one struct {
			ProjectID string `json:"projectId"`
			Pages     int    `json:"pages"`
		}
		s.get(t, "/api/v1/sessions/"+again, &one)
		if one.ProjectID != "other" || one.Pages != 2 {
			t.Fatalf("re-imported session = %+v", one)
		}
	}
}

// raw fetches an API path as the admin and returns the body.
func (s *testServer) raw(t *testing.T, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
	}
	return body
}

// On a terminal the progress is one line redrawn in place; elsewhere a plain line per phase.
func TestProgressBar(t *testing.T) {
	var b strings.Builder
	p := &progressBar{w: &b, terminal: true}
	p.show("a.json", "check", 50, 100)
	p.show("a.json", "send", 100, 100)
	p.done()
	if got := b.String(); got != "\rchecking [===============               ]  50% a.json\rsending  [==============================] 100% a.json\r\033[K" {
		t.Fatalf("terminal: %q", got)
	}
	b.Reset()
	p = &progressBar{w: &b}
	p.show("a.json", "check", 50, 3<<20)
	p.show("a.json", "check", 100, 3<<20)
	p.show("a.json", "send", 100, 3<<20)
	p.done()
	if got := b.String(); got != "a.json: checking 3.0 MB\na.json: sending 3.0 MB\n" {
		t.Fatalf("plain: %q", got)
	}
}
