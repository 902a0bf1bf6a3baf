package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// loneSurrogate finds a \uD800–\uDFFF escape in JSON text that is not half of a high-low pair
// (and not the letters after an escaped backslash): what strict JSON readers refuse.
func loneSurrogate(b []byte) string {
	escape := regexp.MustCompile(`(?i)(\\+)u(d[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2}|d[89a-f][0-9a-f]{2})`)
	for _, m := range escape.FindAllSubmatch(b, -1) {
		if len(m[1])%2 == 1 && len(m[2]) == 4 {
			return string(m[0])
		}
	}
	return ""
}

// TestServedJSONIsValidUTF8: a batch carrying bytes that are not UTF-8 and escapes of lone
// UTF-16 surrogates inside its strings is stored with each replaced by U+FFFD, so what the API
// serves back is valid UTF-8 JSON that strict readers accept; pairs and escaped backslashes are
// left as they were.
func TestServedJSONIsValidUTF8(t *testing.T) {
	s := newStack(t)
	auth := []string{"Authorization", "Bearer " + adminToken}
	const t0 = 1764237600000
	text := "caf\xe9 \xff\xfe cut emoji \\ud83d, low \\udc00, pair \\ud83d\\ude00, literal \\\\ud800, surrogate bytes \xed\xa0\x80"
	s.ingest(t, "s_utf800001", "t_tab00001", 0,
		ev(4, t0, `{"href":"http://shop.example/caf`+"\xe9"+`","width":1280,"height":720}`),
		ev(2, t0+1, fmt.Sprintf(`{"node":{"type":0,"childNodes":[{"type":3,"textContent":"%s","id":2}],"id":1},"initialOffset":{"left":0,"top":0}}`, text)),
		ev(5, t0+2, `{"tag":"reel.track","payload":{"name":"buy \ud800","props":{"k`+"\xff"+`":"v\udfff"}}}`),
	)
	for _, path := range []string{"s_utf800001/events", "s_utf800001", "s_utf800001/tabs"} {
		r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/"+path, nil, auth...)
		if r.Status != 200 {
			t.Fatalf("GET %s = %d %s", path, r.Status, r.Body)
		}
		if !utf8.Valid(r.Body) || !json.Valid(r.Body) {
			t.Errorf("GET %s is not valid UTF-8 JSON: %q", path, r.Body)
		}
		if l := loneSurrogate(r.Body); l != "" {
			t.Errorf("GET %s holds the lone surrogate escape %s: %s", path, l, r.Body)
		}
	}
	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_utf800001/events", nil, auth...)
	var events []struct {
		Data struct {
			Node struct {
				ChildNodes []struct {
					TextContent string `json:"textContent"`
				} `json:"childNodes"`
			} `json:"node"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &events); err != nil || len(events) != 3 || len(events[1].Data.Node.ChildNodes) != 1 {
		t.Fatalf("events = %v: %s", err, r.Body)
	}
	want := "caf\uFFFD \uFFFD\uFFFD cut emoji \uFFFD, low \uFFFD, pair \U0001F600, literal \\ud800, surrogate bytes \uFFFD\uFFFD\uFFFD"
	if got := events[1].Data.Node.ChildNodes[0].TextContent; got != want {
		t.Errorf("text served = %q\nwant %q", got, want)
	}
	if !strings.Contains(string(r.Body), `\ud83d\ude00`) {
		t.Errorf("the surrogate pair was not kept as sent: %s", r.Body)
	}
}
