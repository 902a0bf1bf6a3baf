package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/reelhq/reel/internal/datascan"
	"github.com/reelhq/reel/internal/layout"
)

// crashUser is one person the crash test records and then erases: the needles are what of
// them must be gone from every file afterwards.
type crashUser struct {
	id, email, word string
}

func (u crashUser) needles() []string { return []string{u.id, u.email, u.word} }

// crashEvents is a batch of a user's session: the first holds a page whose text names them;
// every one identifies them (the hostile switch names other as well) and carries their email
// and word in a track event, an error message and padding, so packs, the search index and the
// on-screen text index all hold them.
func crashEvents(u crashUser, other *crashUser, seq int, at int64) []string {
	var evs []string
	if seq == 0 {
		evs = append(evs,
			fmt.Sprintf(`{"type":4,"timestamp":%d,"data":{"href":"http://shop.example/account","width":1280,"height":720}}`, at),
			fmt.Sprintf(`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","attributes":{},"id":2,"childNodes":[{"type":2,"tagName":"body","attributes":{},"id":3,"childNodes":[{"type":3,"textContent":"Hello %s, your code word is %s","id":4}]}]}]},"initialOffset":{"left":0,"top":0}}}`,
				at, u.email, u.word))
	}
	evs = append(evs, fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"reel.identify","payload":{"userId":%q,"traits":{"email":%q}}}}`, at+1, u.id, u.email))
	if other != nil {
		// Someone holding the public key and the session id identifies it as another user.
		evs = append(evs, fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"reel.identify","payload":{"userId":%q}}}`, at+2, other.id))
	}
	evs = append(evs,
		fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"reel.track","payload":{"name":"profile_saved","props":{"email":%q}}}}`, at+3, u.email),
		fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"reel.error","payload":{"kind":"error","message":"cannot save %s for %s"}}}`, at+4, u.word, u.email))
	for i := range 20 {
		evs = append(evs, fmt.Sprintf(`{"type":5,"timestamp":%d,"data":{"tag":"test.note","payload":{"seq":%d,"i":%d,"note":"%s wrote %s %s"}}}`,
			at+5+int64(i), seq, i, u.email, u.word, strings.Repeat("z", 150)))
	}
	return evs
}

// TestEraseEveryUserAfterKill9 is the erasure proof of issue 15: the real binary ingests
// several users' sessions from several goroutines, is killed with SIGKILL mid-load, restarts on
// the same data directory (sweeping what the crash left before it listens), every user is
// erased through the API, and then no file under the data directory, read raw and with every
// zstd/gzip stream decompressed, holds any of their ids, emails or words. A user who is not
// erased is found, before and after, so the scan is shown to see what is there.
//
// A SIGKILL lands wherever it lands, so the test also leaves what the worst moment would: a
// pack written and renamed whose index commit never happened, and a temporary file of a write
// cut short, both holding a user's text.
func TestEraseEveryUserAfterKill9(t *testing.T) {
	dir := t.TempDir()
	r := startReel(t, dir)
	key := publicKey(t, r)
	ingestURL := r.URL + "/api/v1/ingest?v=1&key=" + key

	var users []crashUser
	for i := range 6 {
		users = append(users, crashUser{id: fmt.Sprintf("crash-user-%d", i), email: fmt.Sprintf("person%d.erasetest@mail.example", i), word: fmt.Sprintf("quorblax%dvetch", i)})
	}
	keep := crashUser{id: "kept-user", email: "kept.erasetest@mail.example", word: "plimsoqkept"}
	all := append(append([]crashUser{}, users...), keep)

	var mu sync.Mutex
	acked := map[string]int{} // user id → batches acknowledged
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{Timeout: 20 * time.Second}
	start := time.Now().UnixMilli()
	for w, u := range all {
		wg.Go(func() {
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				for k := range 2 { // two sessions per user
					session := fmt.Sprintf("s_erase%02d%d%s", w, k, strings.Repeat("x", 4))
					var other *crashUser
					if u != keep && k == 1 && seq >= 2 {
						other = &users[(w+1)%len(users)] // the hostile switch
					}
					status, _, err := post(client, ingestURL, gzipBatch(t, session, "t_erasetab", seq, crashEvents(u, other, seq, start+int64(seq)*200)))
					if err != nil {
						return // the server is gone
					}
					if status == 200 {
						mu.Lock()
						acked[u.id]++
						mu.Unlock()
					}
				}
			}
		})
	}
	// Load long enough for packs to be written, then kill mid-load.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		enough := len(acked) == len(all)
		for _, n := range acked {
			enough = enough && n >= 6
		}
		mu.Unlock()
		if enough || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	r.cmd.Process.Signal(syscall.SIGKILL)
	r.cmd.Wait()
	close(stop)
	wg.Wait()
	for _, u := range all {
		if acked[u.id] == 0 {
			t.Fatalf("no batch of %s was acknowledged before the kill; the test proves nothing (%v)", u.id, acked)
		}
	}
	t.Logf("batches acknowledged before SIGKILL: %v", acked)

	// The worst moment of a kill: a pack renamed into place before its index commit, and a
	// temporary file of a write cut short, each with the first user's text compressed as
	// Reel writes it.
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	leftover := enc.EncodeAll([]byte(strings.Join(crashEvents(users[0], nil, 0, start), ",")), nil)
	orphanPack := filepath.Join(dir, "blobs", filepath.FromSlash(layout.PackKey(time.Now())))
	if _, err := os.Stat(filepath.Join(dir, "blobs")); err != nil {
		t.Fatalf("the blob store is not where the test looks: %v", err)
	}
	for _, p := range []string{orphanPack, filepath.Join(filepath.Dir(orphanPack), ".tmp-killed-write")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, leftover, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Before erasure the scan finds every user: it sees what is on disk.
	hits, err := datascan.Find(dir, append(users[0].needles(), keep.needles()...)...)
	if err != nil {
		t.Fatal(err)
	}
	if found := hitNeedles(hits); !found[users[0].email] || !found[keep.email] || !found[users[0].word] {
		t.Fatalf("before erasure the scan finds %v; it cannot see the users' data", found)
	}

	r2 := startReel(t, dir)
	for _, p := range []string{orphanPack, filepath.Join(filepath.Dir(orphanPack), ".tmp-killed-write")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("crash leftover %s is still there after the restart (%v)", p, err)
		}
	}
	var ps struct{ Projects []struct{ ID string } }
	r2.api(t, "/api/v1/projects", &ps)
	project := ps.Projects[0].ID
	erased := 0
	for _, u := range users {
		req, _ := http.NewRequest(http.MethodDelete, r2.URL+"/api/v1/projects/"+project+"/users/"+url.PathEscape(u.id), nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var rep struct{ Erased struct{ Sessions int } }
		if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil {
			t.Fatalf("erasing %s = %d %s", u.id, resp.StatusCode, body)
		}
		erased += rep.Erased.Sessions
	}
	if erased < 2*len(users) {
		t.Fatalf("the erasures removed %d sessions; want every one of the %d users' two", erased, len(users))
	}
	// Every erased user's ids, emails and words are gone from every file; the kept user's are
	// still there, and their sessions still play.
	var needles []string
	for _, u := range users {
		needles = append(needles, u.needles()...)
	}
	hits, err = datascan.Find(dir, append(needles, keep.email)...)
	if err != nil {
		t.Fatal(err)
	}
	found := hitNeedles(hits)
	if !found[keep.email] {
		t.Errorf("the kept user's email is nowhere on disk after the others' erasure; the scan or the erasure is wrong")
	}
	for _, h := range hits {
		if h.Needle != keep.email {
			t.Errorf("erased data on disk: %s", h)
		}
	}
	var events []struct{ Type int }
	r2.api(t, "/api/v1/sessions/s_erase060xxxx/events", &events)
	if len(events) == 0 {
		t.Errorf("the kept user's session has no events after the others' erasure")
	}
}

// hitNeedles is the set of needles the hits found.
func hitNeedles(hits []datascan.Hit) map[string]bool {
	out := map[string]bool{}
	for _, h := range hits {
		out[h.Needle] = true
	}
	return out
}
