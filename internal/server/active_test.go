package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// Active time is the time with a person at the page: a person's events less than 10 s apart,
// summed over the session's batches, shown in the list and searchable.
func TestActiveTime(t *testing.T) {
	s := newSearchStack(t)
	const t0 = 1764237600000
	move := func(ts int64) string {
		return ev(3, ts, `{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":0}]}`)
	}
	mutation := func(ts int64) string {
		return ev(3, ts, `{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[]}`)
	}
	ua := "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"
	// 2 s of moving, a 20 s pause (idle, not counted), 1 s more; the page's own mutations in
	// between are not a person.
	s.post(t, "s_active0001", ua, "", 0, page(t0, "http://shop/"), move(t0+1000), move(t0+2000), move(t0+3000),
		mutation(t0+5000), mutation(t0+9000), move(t0+23000), move(t0+24000))
	// A second batch: a click and a scroll 4 s apart.
	s.post(t, "s_active0001", ua, "", 1, ev(3, t0+30000, `{"source":2,"type":2,"id":3,"x":1,"y":2}`), ev(3, t0+34000, `{"source":3,"id":1,"x":0,"y":300}`))
	// Only the page changing by itself: no active time.
	s.post(t, "s_active0002", ua, "", 0, page(t0, "http://shop/"), mutation(t0+1000), mutation(t0+2000), mutation(t0+3000))

	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_active0001", nil, "Authorization", "Bearer "+adminToken)
	var got struct{ ActiveMs int64 }
	if err := json.Unmarshal(r.Body, &got); err != nil || got.ActiveMs != 7000 {
		t.Fatalf("activeMs = %d (%s), want 2000 + 1000 + 4000", got.ActiveMs, r.Body)
	}
	for q, want := range map[string]string{"active:>5s": "s_active0001", "active:<1s": "s_active0002"} {
		r, l := s.search(t, url.Values{"q": {q}})
		if ids := ids(l); r.Status != 200 || len(ids) != 1 || ids[0] != want {
			t.Errorf("%s = %d %v, want [%s]", q, r.Status, ids, want)
		}
	}
	if r, _ := s.search(t, url.Values{"q": {"active:>lots"}}); r.Status != 400 {
		t.Errorf("active:>lots = %d, want 400", r.Status)
	}
}
