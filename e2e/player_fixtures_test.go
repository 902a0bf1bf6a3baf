package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// dom builds rrweb serialized nodes (rrweb-snapshot's format) with ids from one counter, so a
// test can write a page and then mutations that refer to its nodes.
type dom struct{ next int }

type node = map[string]any

func (d *dom) id() int { d.next++; return d.next }

func (d *dom) el(tag string, attrs map[string]any, children ...node) node {
	if attrs == nil {
		attrs = map[string]any{}
	}
	if children == nil {
		children = []node{}
	}
	return node{"type": 2, "tagName": tag, "attributes": attrs, "childNodes": children, "id": d.id()}
}

func (d *dom) text(s string) node { return node{"type": 3, "textContent": s, "id": d.id()} }

// page is a document whose body holds children (built first: Go evaluates them before the call).
func (d *dom) page(children ...node) node {
	head := d.el("head", nil, d.el("style", nil, d.text("body{font:16px sans-serif;margin:20px}")))
	body := d.el("body", nil, children...)
	html := d.el("html", nil, head, body)
	doctype := node{"type": 1, "name": "html", "publicId": "", "systemId": "", "id": d.id()}
	return node{"type": 0, "childNodes": []node{doctype, html}, "id": d.id()}
}

// bodyOf returns the body node of a page built by page.
func bodyOf(doc node) node { return doc["childNodes"].([]node)[1]["childNodes"].([]node)[1] }

func evJSON(typ int, ts int64, data any) string {
	b, err := json.Marshal(map[string]any{"type": typ, "timestamp": ts, "data": data})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func metaEv(ts int64, href string) string {
	return evJSON(4, ts, map[string]any{"href": href, "width": 1000, "height": 640})
}

func fullEv(ts int64, doc node) string {
	return evJSON(2, ts, map[string]any{"node": doc, "initialOffset": map[string]int{"left": 0, "top": 0}})
}

func textEv(ts int64, id int, value string) string {
	return evJSON(3, ts, map[string]any{"source": 0, "texts": []any{map[string]any{"id": id, "value": value}}, "attributes": []any{}, "removes": []any{}, "adds": []any{}})
}

func moveEv(ts int64, x, y int) string {
	return evJSON(3, ts, map[string]any{"source": 1, "positions": []any{map[string]any{"x": x, "y": y, "id": 1, "timeOffset": 0}}})
}

func clickEv(ts int64, id, x, y int) string {
	return evJSON(3, ts, map[string]any{"source": 2, "type": 2, "id": id, "x": x, "y": y})
}

func customEv(ts int64, tag string, payload any) string {
	return evJSON(5, ts, map[string]any{"tag": tag, "payload": payload})
}

// ingest sends one batch through the real ingest endpoint, as the SDK would.
func ingest(t *testing.T, r *reel, session, tab string, seq int, events []string) {
	t.Helper()
	key := publicKey(t, r)
	status, body, err := post(http.DefaultClient, r.URL+"/api/v1/ingest?v=1&key="+key, gzipBatchMeta(session, tab, seq, events))
	if err != nil || status != 200 {
		t.Fatalf("ingest %s/%s/%d = %d %s %v", session, tab, seq, status, body, err)
	}
}

// gzipBatchMeta is a batch as the SDK sends it, with the page's user agent and viewport.
func gzipBatchMeta(session, tab string, seq int, events []string) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	fmt.Fprintf(zw, `{"session":%q,"tab":%q,"seq":%d,"meta":{"sdk":"reel-js/test","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"},"events":[%s]}`,
		session, tab, seq, strings.Join(events, ","))
	zw.Close()
	return buf.Bytes()
}

// loginActions sign the browser in to the dashboard.
func loginActions(r *reel) []chromedp.Action {
	return []chromedp.Action{
		chromedp.Navigate(r.URL + "/login"),
		waitFor(visible(`[data-testid=login-email]`)),
		chromedp.SendKeys(`[data-testid=login-email]`, adminEmail, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=login-password]`, adminPassword, chromedp.ByQuery),
		chromedp.Click(`[data-testid=login-submit]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/"`),
	}
}

// frameText is a JavaScript expression: the replay frame's body text ("" before it exists).
const frameText = `(() => { const f = document.querySelector('[data-testid=player] iframe'); return f && f.contentDocument && f.contentDocument.body ? f.contentDocument.body.innerText : ""; })()`

// playerTime is a JavaScript expression: the player's current time in ms.
const playerTime = `Number(document.querySelector('[data-testid=time]').dataset.currentMs)`

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

func contains(cond string, s string) string {
	return fmt.Sprintf(`(%s).includes(%s)`, cond, jsString(s))
}
