package archive

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestScanCSS(t *testing.T) {
	tests := []struct {
		name string
		css  string
		want []string // url, with "import " in front for imports
	}{
		{"forms of url()", `a{background:url(x.png)} b{background:URL( "y.png" )} c{background:url('z.png')}`, []string{"x.png", "y.png", "z.png"}},
		{"imports", `@import "a.css"; @import url(b.css) screen; @IMPORT 'c.css';`, []string{"import a.css", "import b.css", "import c.css"}},
		{"font-face sources", `@font-face{font-family:F;src:url(f.woff2) format("woff2"),url(f.ttf) format("truetype")}`, []string{"f.woff2", "f.ttf"}},
		{"comments are skipped", `/* url(no.png) */ a{b:url(yes.png)} /* @import "no.css"; */`, []string{"yes.png"}},
		{"strings are not urls", `a::after{content:"url(no.png)"} a{b:url(yes.png)}`, []string{"yes.png"}},
		{"identifiers ending in url are not urls", `a{b:myurl(no.png)}`, nil},
		{"escaped urls are skipped", `a{b:url(we\(ird.png)}`, nil},
		{"a url() does not make a later string an import", `@import url(a.css); a{content:"b.css"}`, []string{"import a.css"}},
		{"unterminated", `a{b:url(x.png`, nil},
		{"empty", `a{b:url()}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range scanCSS(tc.css) {
				s := r.url
				if r.isImport {
					s = "import " + s
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("scanCSS = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestStylesheetFor checks what the replay gets for an archived sheet: references relative to
// the sheet's URL resolved against it, archived ones pointed at their copies (fragment kept),
// the rest absolute, data: untouched.
func TestStylesheetFor(t *testing.T) {
	css := `@import "more.css"; @font-face{src:url(../fonts/a.woff2#iefix) format("woff2")} .h{background:url('img/b.png')}` +
		` .d{background:url(data:image/png;base64,AA==)} .e{background:url(https://other.example/e.png)} .f{filter:url(#f)}`
	archived := map[string]bool{"https://cdn.example/css/more.css": true, "https://cdn.example/fonts/a.woff2": true}
	got := StylesheetFor(css, "https://cdn.example/css/app.css?v=3", func(abs string) string {
		if archived[abs] {
			return "/copy?url=" + url.QueryEscape(abs)
		}
		return ""
	})
	want := `@import "/copy?url=https%3A%2F%2Fcdn.example%2Fcss%2Fmore.css"; @font-face{src:url("/copy?url=https%3A%2F%2Fcdn.example%2Ffonts%2Fa.woff2#iefix") format("woff2")}` +
		` .h{background:url("https://cdn.example/css/img/b.png")} .d{background:url(data:image/png;base64,AA==)} .e{background:url("https://other.example/e.png")} .f{filter:url(#f)}`
	if got != want {
		t.Fatalf("StylesheetFor =\n%s\nwant\n%s", got, want)
	}
}

func FuzzScanCSS(f *testing.F) {
	for _, s := range []string{`@import "a.css"; a{b:url(x.png)}`, `a{b:url( 'y' )}/* url(z) */`, `url(`, `@import`, `"unterminated`, `a{b:url(x\)y)}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, css string) {
		refs := scanCSS(css)
		last := 0
		for _, r := range refs {
			if r.start < last || r.end <= r.start || r.end > len(css) || r.url == "" {
				t.Fatalf("bad span %+v in %q", r, css)
			}
			last = r.end
		}
		// Rewriting nothing leaves the sheet as it was.
		if got := rewriteCSS(css, refs, func(cssRef) string { return "" }); got != css {
			t.Fatalf("identity rewrite changed %q to %q", css, got)
		}
		// Rewriting every reference finds the same number of references again.
		out := rewriteCSS(css, refs, func(cssRef) string { return "https://x.example/a" })
		if n := len(scanCSS(out)); n != len(refs) && !strings.Contains(css, "/*") {
			t.Fatalf("%d references became %d: %q -> %q", len(refs), n, css, out)
		}
	})
}

func events(t *testing.T, evs ...string) [][]json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for _, e := range evs {
		if !json.Valid([]byte(e)) {
			t.Fatalf("invalid test event %s", e)
		}
		out = append(out, json.RawMessage(e))
	}
	return [][]json.RawMessage{out}
}

func TestCollect(t *testing.T) {
	const meta = `{"type":4,"timestamp":1,"data":{"href":"https://shop.example/p","width":800,"height":600}}`
	snap := func(children string) string {
		return `{"type":2,"timestamp":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[` + children + `]}]}}}`
	}
	tests := []struct {
		name   string
		events []string
		want   []string // "kind url"
	}{
		{"cross-origin stylesheet link", []string{meta, snap(`{"type":2,"id":3,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://cdn.example/app.css"},"childNodes":[]}`)},
			[]string{"sheet https://cdn.example/app.css"}},
		{"inlined stylesheet: its urls only", []string{meta, snap(`{"type":2,"id":3,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://shop.example/a.css","_cssText":"@font-face{src:url(https://shop.example/f.woff2)} @import url(\"https://fonts.example/x.css\");"},"childNodes":[]}`)},
			[]string{"sheet https://fonts.example/x.css", "resource https://shop.example/f.woff2"}},
		{"style text, style attribute, images", []string{meta, snap(`{"type":2,"id":3,"tagName":"style","attributes":{},"childNodes":[{"type":3,"id":4,"isStyle":true,"textContent":".a{background:url(https://shop.example/a.png)}"}]},` +
			`{"type":2,"id":5,"tagName":"div","attributes":{"style":"background-image: url(\"https://shop.example/b.png\")"},"childNodes":[]},` +
			`{"type":2,"id":6,"tagName":"img","attributes":{"src":"https://shop.example/c.png#x"},"childNodes":[]},` +
			`{"type":2,"id":7,"tagName":"img","attributes":{"src":"https://shop.example/inlined.png","rr_dataURL":"data:image/png;base64,AA=="},"childNodes":[]},` +
			`{"type":2,"id":8,"tagName":"img","attributes":{"src":"data:image/png;base64,AA=="},"childNodes":[]},` +
			`{"type":2,"id":9,"tagName":"a","attributes":{"href":"https://shop.example/not-a-resource"},"childNodes":[]}`)},
			[]string{"resource https://shop.example/a.png", "resource https://shop.example/b.png", "image https://shop.example/c.png"}},
		{"relative and odd URLs are not taken", []string{meta, snap(`{"type":2,"id":3,"tagName":"style","attributes":{"_cssText":".a{background:url(/rel.png)} .b{background:url(data:image/png;base64,AA==)} .c{background:url(blob:https://shop.example/1)}"},"childNodes":[]}`)},
			nil},
		{"a link rrweb read once it loaded", []string{meta, snap(`{"type":2,"id":3,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://shop.example/late.css"},"childNodes":[]}`),
			`{"type":3,"timestamp":3,"data":{"source":0,"texts":[],"adds":[],"removes":[],"attributes":[{"id":3,"attributes":{"_cssText":"body{color:red} /* https */"}}]}}`},
			nil},
		{"mutations", []string{meta, snap(`{"type":2,"id":3,"tagName":"img","attributes":{"src":"https://shop.example/1.png"},"childNodes":[]}`),
			`{"type":3,"timestamp":3,"data":{"source":0,"texts":[],"removes":[],"attributes":[{"id":3,"attributes":{"src":"https://shop.example/2.png"}},{"id":3,"attributes":{"style":{"background":"url(https://shop.example/3.png)","color":["red","important"],"border-image":["url(https://shop.example/4.png)",""]}}}],` +
				`"adds":[{"parentId":2,"nextId":null,"node":{"type":2,"id":10,"tagName":"link","attributes":{"rel":"preload stylesheet","href":"https://cdn.example/added.css"},"childNodes":[]}}]}}`},
			[]string{"sheet https://cdn.example/added.css", "resource https://shop.example/3.png", "resource https://shop.example/4.png", "image https://shop.example/1.png", "image https://shop.example/2.png"}},
		{"CSSOM rules and declarations", []string{meta,
			`{"type":3,"timestamp":3,"data":{"source":8,"id":4,"adds":[{"rule":".x{background:url(https://shop.example/rule.png)}","index":0}]}}`,
			`{"type":3,"timestamp":4,"data":{"source":13,"id":4,"index":[0],"set":{"property":"background","value":"url(https://shop.example/decl.png)"}}}`,
			`{"type":3,"timestamp":5,"data":{"source":15,"id":1,"styleIds":[1],"styles":[{"styleId":1,"rules":[{"rule":"@import url(https://cdn.example/adopted.css);","index":0}]}]}}`},
			[]string{"sheet https://cdn.example/adopted.css", "resource https://shop.example/rule.png", "resource https://shop.example/decl.png"}},
	}
	names := map[kind]string{kindStylesheet: "sheet", kindResource: "resource", kindImage: "image"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := collect(events(t, tc.events...))
			var got []string
			for _, list := range c.refs {
				for _, r := range list {
					got = append(got, names[r.kind]+" "+r.url)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("collect = %q\nwant %q", got, tc.want)
			}
			if c.page != "https://shop.example/p" {
				t.Fatalf("page = %q", c.page)
			}
		})
	}
}
