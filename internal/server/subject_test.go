package server

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/audit"
)

// readZip opens a zip answer and returns its entries by name, failing t when it is not one.
func readZip(t *testing.T, body []byte) (map[string][]byte, []string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the answer is not a zip: %v", err)
	}
	files := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = b
		names = append(names, f.Name)
	}
	return files, names
}

// TestSubjectAccessExport: GET /api/v1/projects/{project}/users/{user}/export answers a zip of
// every session ever identified as the user (one whose user changed to someone else
// included), each with its events, metadata and findings, and a README; nothing of another
// user; an audit entry naming the user by hash. On both backends, over loopback.
func TestSubjectAccessExport(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			s := newStackFrom(t, stackConfig{postgres: backend == "postgres"})
			testSubjectAccessExport(t, s)
		})
	}
}

func testSubjectAccessExport(t *testing.T, s *stack) {
	const t0 = 1764237600000
	meta := ev(4, t0, `{"href":"http://shop.example/account","width":1280,"height":720}`)
	snapshot := func(text string) string {
		return ev(2, t0+1, fmt.Sprintf(`{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","attributes":{},"id":2,"childNodes":[{"type":3,"textContent":%q,"id":3}]}]},"initialOffset":{"left":0,"top":0}}`, text))
	}
	identify := func(at int64, user string) string {
		return ev(5, at, fmt.Sprintf(`{"tag":"reel.identify","payload":{"userId":%q,"traits":{"plan":"pro"}}}`, user))
	}
	s.ingest(t, "s_alice0001", "t_tabone01", 0, meta, snapshot("Hello Alice, card ending 4242"), identify(t0+2, "alice@x.test"))
	// An account switch: alice first, then bob on the same session.
	s.ingest(t, "s_switch001", "t_tabone01", 0, meta, snapshot("Switching accounts"), identify(t0+2, "alice@x.test"))
	s.ingest(t, "s_switch001", "t_tabone01", 1, identify(t0+5000, "bob@x.test"))
	s.ingest(t, "s_bobonly01", "t_tabone01", 0, meta, snapshot("Bob's private page"), identify(t0+2, "bob@x.test"))
	s.ingest(t, "s_anon00001", "t_tabone01", 0, meta, snapshot("Nobody in particular"))
	// A user id that looks like a path.
	s.ingest(t, "s_tricky001", "t_tabone01", 0, meta, snapshot("Tricky"), identify(t0+2, "../../etc/passwd"))

	auth := []string{"Authorization", "Bearer " + adminToken}
	get := func(user string) resp {
		t.Helper()
		return do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects/default/users/"+url.PathEscape(user)+"/export", nil, auth...)
	}

	r := get("alice@x.test")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export = %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="reel-subject-default-`) || strings.Contains(cd, "alice") {
		t.Errorf("Content-Disposition = %q; want a name without the user id", cd)
	}
	files, names := readZip(t, r.Body)
	slices.Sort(names)
	want := []string{"README.txt",
		"sessions/001-s_alice0001/events.json", "sessions/001-s_alice0001/findings.json", "sessions/001-s_alice0001/metadata.json",
		"sessions/002-s_switch001/events.json", "sessions/002-s_switch001/findings.json", "sessions/002-s_switch001/metadata.json"}
	if !slices.Equal(names, want) {
		t.Fatalf("zip entries = %q\nwant %q", names, want)
	}
	readme := string(files["README.txt"])
	for _, w := range []string{"subject access", "User id:   alice@x.test", "Sessions:  2", "events.json", "metadata.json", "findings.json", "Made:"} {
		if !strings.Contains(readme, w) {
			t.Errorf("README.txt lacks %q:\n%s", w, readme)
		}
	}
	var events []struct {
		Type int
		Data json.RawMessage
	}
	if err := json.Unmarshal(files["sessions/001-s_alice0001/events.json"], &events); err != nil || len(events) != 3 || !strings.Contains(string(files["sessions/001-s_alice0001/events.json"]), "card ending 4242") {
		t.Errorf("events.json of s_alice0001 = %d events, %v: %s", len(events), err, files["sessions/001-s_alice0001/events.json"])
	}
	var switched struct {
		ID      string
		UserID  string                `json:"userId"`
		UserIDs []struct{ ID string } `json:"userIds"`
		Traits  map[string]string
		Pages   []struct{ URL string } `json:"pageViews"`
	}
	if err := json.Unmarshal(files["sessions/002-s_switch001/metadata.json"], &switched); err != nil {
		t.Fatal(err)
	}
	if switched.ID != "s_switch001" || switched.UserID != "bob@x.test" || len(switched.UserIDs) != 2 || switched.UserIDs[0].ID != "alice@x.test" ||
		switched.UserIDs[1].ID != "bob@x.test" || switched.Traits["plan"] != "pro" || len(switched.Pages) != 1 {
		t.Errorf("metadata.json of the switched session = %+v", switched)
	}
	var findings struct {
		Analyzed bool
		Findings []any
	}
	if err := json.Unmarshal(files["sessions/001-s_alice0001/findings.json"], &findings); err != nil || findings.Findings == nil {
		t.Errorf("findings.json = %s (%v)", files["sessions/001-s_alice0001/findings.json"], err)
	}
	for name, b := range files {
		for _, other := range []string{"Bob's private page", "s_bobonly01", "Nobody in particular", "s_anon00001"} {
			if bytes.Contains(b, []byte(other)) {
				t.Errorf("%s holds %q, which is not alice's", name, other)
			}
		}
	}
	// bob's export has his own session and the switched one.
	if files, _ := readZip(t, get("bob@x.test").Body); len(files) != 7 || files["sessions/001-s_bobonly01/events.json"] == nil || files["sessions/002-s_switch001/events.json"] == nil {
		t.Errorf("bob's export holds %d files: %v", len(files), keysOf(files))
	}

	// The audit log names the user by hash only.
	var log struct {
		Entries []struct {
			Action, Target, Project string
			Detail                  json.RawMessage
		}
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/audit?action=user.export", nil, auth...); r.Status != 200 || json.Unmarshal(r.Body, &log) != nil {
		t.Fatalf("audit = %d %s", r.Status, r.Body)
	} else if bytes.Contains(r.Body, []byte("alice@x.test")) {
		t.Errorf("the audit log holds the user id: %s", r.Body)
	}
	if len(log.Entries) != 2 || log.Entries[1].Target != audit.UserRef("default", "alice@x.test") || log.Entries[1].Project != "default" || string(log.Entries[1].Detail) != `{"sessions":2}` {
		t.Errorf("audit entries = %+v", log.Entries)
	}

	// Nobody by that id: a valid zip with the README saying so.
	r = get("nobody@x.test")
	files, names = readZip(t, r.Body)
	if r.Status != 200 || !slices.Equal(names, []string{"README.txt"}) || !strings.Contains(string(files["README.txt"]), "Sessions:  0") ||
		!strings.Contains(string(files["README.txt"]), "holds no recording") {
		t.Errorf("unknown user = %d %q %s", r.Status, names, files["README.txt"])
	}

	// A path in the user id never becomes an entry path.
	r = get("../../etc/passwd")
	files, names = readZip(t, r.Body)
	if r.Status != 200 || len(names) != 4 {
		t.Fatalf("tricky user = %d %q", r.Status, names)
	}
	for _, n := range names {
		if strings.Contains(n, "..") || strings.HasPrefix(n, "/") || strings.Contains(n, "passwd") || !(n == "README.txt" || strings.HasPrefix(n, "sessions/001-s_tricky001/")) {
			t.Errorf("zip entry %q", n)
		}
	}
	if cd := r.Header.Get("Content-Disposition"); strings.Contains(cd, "/") || strings.Contains(cd, "..") {
		t.Errorf("Content-Disposition = %q", cd)
	}

	// Bad input: a clear 400, and nothing else changes.
	for name, user := range map[string]string{"10 kB": strings.Repeat("u", 10<<10), "blank": " "} {
		if r := get(user); r.Status != 400 || r.code() != "bad_request" || !strings.Contains(string(r.Body), "user id must be") {
			t.Errorf("%s user id = %d %s", name, r.Status, r.Body)
		}
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects/nope/users/alice/export", nil, auth...); r.Status != 404 {
		t.Errorf("unknown project = %d %s", r.Status, r.Body)
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects/default/users/alice/export", nil); r.Status != 401 {
		t.Errorf("anonymous export = %d", r.Status)
	}
	if r := get("alice@x.test"); r.Status != 200 {
		t.Errorf("export after bad requests = %d", r.Status)
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestEraseByAnyUserID is the hostile case of issue 15 through the real ingest and erasure
// endpoints, on both backends: a session identified as alice, then identified as mallory by a
// batch anyone holding the public key and the session id can send, is erased with alice (its
// current id is mallory's); one identified as alice then mallory is erased with mallory too.
// user: search finds a session by any id it had until then.
func TestEraseByAnyUserID(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			s := newStackFrom(t, stackConfig{postgres: backend == "postgres"})
			const t0 = 1764237600000
			meta := ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`)
			identify := func(at int64, user string) string {
				return ev(5, at, fmt.Sprintf(`{"tag":"reel.identify","payload":{"userId":%q}}`, user))
			}
			s.ingest(t, "s_hostile01", "t_tabone01", 0, meta, identify(t0+1, "alice"))
			s.ingest(t, "s_hostile01", "t_tabtwo01", 0, meta, identify(t0+2, "mallory")) // the hostile batch
			s.ingest(t, "s_hostile02", "t_tabone01", 0, meta, identify(t0+1, "alice"))
			s.ingest(t, "s_hostile02", "t_tabone01", 1, identify(t0+5, "mallory"))
			s.ingest(t, "s_bystander", "t_tabone01", 0, meta, identify(t0+1, "carol"))
			auth := []string{"Authorization", "Bearer " + adminToken}
			list := func(q string) string {
				t.Helper()
				r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions?q="+url.QueryEscape(q), nil, auth...)
				var page struct{ Sessions []struct{ ID, UserID string } }
				if r.Status != 200 || json.Unmarshal(r.Body, &page) != nil {
					t.Fatalf("list %q = %d %s", q, r.Status, r.Body)
				}
				var ids []string
				for _, x := range page.Sessions {
					ids = append(ids, x.ID+"="+x.UserID)
				}
				slices.Sort(ids)
				return strings.Join(ids, " ")
			}
			if got := list("user:alice"); got != "s_hostile01=mallory s_hostile02=mallory" {
				t.Fatalf("user:alice = %q; want both sessions, showing their current id", got)
			}
			var one struct {
				UserIDs []struct{ ID string } `json:"userIds"`
			}
			r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_hostile02", nil, auth...)
			if json.Unmarshal(r.Body, &one) != nil || len(one.UserIDs) != 2 || one.UserIDs[0].ID != "alice" || one.UserIDs[1].ID != "mallory" {
				t.Fatalf("session JSON = %s; want userIds alice then mallory", r.Body)
			}
			erase := func(user string) string {
				t.Helper()
				r := do(t, http.DefaultClient, "DELETE", s.srv.URL+"/api/v1/projects/default/users/"+user, nil, auth...)
				if r.Status != 200 {
					t.Fatalf("erase %s = %d %s", user, r.Status, r.Body)
				}
				return string(r.Body)
			}
			if got := erase("alice"); !strings.Contains(got, `"sessions":2`) {
				t.Fatalf("erasing alice = %s; want both sessions", got)
			}
			for _, id := range []string{"s_hostile01", "s_hostile02"} {
				if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/"+id, nil, auth...); r.Status != 404 {
					t.Errorf("%s after erasing alice = %d", id, r.Status)
				}
			}
			if got := list("user:mallory"); got != "" {
				t.Errorf("user:mallory after erasing alice = %q", got)
			}
			// The other way round: a session alice then mallory is erased with mallory.
			s.ingest(t, "s_hostile03", "t_tabone01", 0, meta, identify(t0+1, "dave"))
			s.ingest(t, "s_hostile03", "t_tabone01", 1, identify(t0+5, "mallory"))
			if got := erase("mallory"); !strings.Contains(got, `"sessions":1`) {
				t.Fatalf("erasing mallory = %s", got)
			}
			if got := list(""); got != "s_bystander=carol" {
				t.Errorf("sessions left = %q; want only the bystander's", got)
			}
		})
	}
}
