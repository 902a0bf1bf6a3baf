package rrweb

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	el := func(id int, tag, attrs string, kids ...string) string {
		return fmt.Sprintf(`{"type":2,"tagName":%q,"attributes":{%s},"childNodes":[%s],"id":%d}`, tag, attrs, strings.Join(kids, ","), id)
	}
	txt := func(id int, s string) string { return fmt.Sprintf(`{"type":3,"textContent":%q,"id":%d}`, s, id) }
	doc := func(kids ...string) string {
		return `{"node":{"type":0,"childNodes":[` + strings.Join(kids, ",") + `],"id":1},"initialOffset":{"left":0,"top":0}}`
	}
	cases := []struct {
		name      string
		snapshot  string
		mutations []string
		want      []string
	}{
		{"text nodes in order, whitespace collapsed", doc(el(2, "html", "", el(3, "body", "",
			el(4, "h1", "", txt(5, "  Payment\n  declined ")), el(6, "p", "", txt(7, "Try another card"))))),
			nil, []string{"Payment declined", "Try another card"}},
		{"head, script, style, noscript and template are not on screen", doc(el(2, "html", "",
			el(3, "head", "", el(4, "title", "", txt(5, "Shop title"))),
			el(6, "body", "", el(7, "script", "", txt(8, "var secret = 1")), el(9, "style", "", `{"type":3,"textContent":"body{color:red}","isStyle":true,"id":10}`),
				el(11, "noscript", "", txt(12, "enable js")), el(13, "template", "", txt(14, "tpl")), txt(15, "Visible")))),
			nil, []string{"Visible"}},
		{"masked text and masked classes are left out", doc(el(2, "body", "",
			txt(3, "*** *****"), el(4, "div", `"class":"card reel-mask"`, txt(5, "Alice Smith")), el(6, "div", `"class":"reel-block"`, txt(7, "blocked")),
			txt(8, "Order total"))),
			nil, []string{"Order total"}},
		{"placeholders and button labels, never input values", doc(el(2, "form", "",
			el(3, "input", `"type":"text","value":"4111 1111 1111 1111","placeholder":"Card number"`),
			el(4, "input", `"type":"submit","value":"Pay now"`),
			el(5, "textarea", `"value":"my private note","placeholder":"Notes"`),
			el(6, "input", `"type":"password","value":"hunter2"`))),
			nil, []string{"Card number", "Pay now", "Notes"}},
		{"punctuation only and duplicates are left out", doc(el(2, "body", "", txt(3, " – "), txt(4, "Buy"), txt(5, "Buy"), txt(6, "|"))),
			nil, []string{"Buy"}},
		{"escaped strings", doc(el(2, "body", "", `{"type":3,"textContent":"Caf\u00e9 \"Noir\"\ttoday","id":3}`)),
			nil, []string{`Café "Noir" today`}},
		{"mutations: added nodes, changed text and placeholders", doc(el(2, "body", "", el(3, "style", "", txt(4, "a{}")))),
			[]string{
				`{"source":0,"texts":[{"id":9,"value":"3 items in cart"},{"id":4,"value":"b{color:red}"},{"id":10,"value":null}],"attributes":[{"id":11,"attributes":{"placeholder":"Search products","class":"x"}}],"removes":[],"adds":[{"parentId":2,"nextId":null,"node":` + el(20, "div", `"class":"toast"`, txt(21, "Payment declined")) + `},{"parentId":3,"nextId":null,"node":{"type":3,"textContent":".x{}","isStyle":true,"id":22}}]}`,
				`{"source":0,"texts":[{"id":9,"value":"*****"}],"attributes":[],"removes":[],"adds":[{"parentId":20,"nextId":null,"node":` + el(30, "div", `"class":"reel-mask"`, txt(31, "secret")) + `}]}`,
			},
			[]string{"3 items in cart", "Search products", "Payment declined"}},
		{"attributes before or after children", `{"node":{"type":2,"childNodes":[{"type":3,"textContent":"hidden","id":2}],"tagName":"script","attributes":{},"id":1}}`,
			nil, nil},
		{"asset markers resolve when known", doc(el(2, "body", "", `{"type":3,"textContent":"\u0000reel:a:known","id":3}`, `{"type":3,"textContent":"\u0000reel:a:unknown","id":4}`)),
			nil, []string{"A long paragraph"}},
		{"malformed input keeps what was read", `{"node":{"type":2,"tagName":"p","childNodes":[{"type":3,"textContent":"kept","id":2},{"type":`, nil, []string{"kept"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := &Text{Max: 1 << 16, Resolve: func(m string) (string, bool) {
				return "A long paragraph", m == "\x00reel:a:known"
			}}
			x.Snapshot([]byte(tc.snapshot))
			for _, m := range tc.mutations {
				x.Mutation([]byte(m))
			}
			got := x.Pieces()
			if !slices.Equal(got, tc.want) && (len(got) != 0 || len(tc.want) != 0) {
				t.Errorf("pieces = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTextBounded(t *testing.T) {
	var kids []string
	for i := range 5000 {
		kids = append(kids, fmt.Sprintf(`{"type":3,"textContent":"line number %d of a long page","id":%d}`, i, i+2))
	}
	x := &Text{Max: 4096}
	x.Snapshot([]byte(`{"node":{"type":2,"tagName":"body","childNodes":[` + strings.Join(kids, ",") + `],"id":1}}`))
	size := 0
	for _, p := range x.Pieces() {
		size += len(p)
	}
	if size < 4000 || size > 4096+maxPiece {
		t.Errorf("collected %d bytes, want about 4096", size)
	}
	long := &Text{}
	long.Snapshot([]byte(`{"node":{"type":3,"textContent":"` + strings.Repeat("word ", 10000) + `","id":1}}`))
	if p := long.Pieces(); len(p) != 1 || len(p[0]) > maxPiece {
		t.Errorf("a long text gives %d pieces of %d bytes", len(p), len(p[0]))
	}
}

// FuzzText checks that no input panics and that nothing collected is masked or blank.
func FuzzText(f *testing.F) {
	f.Add([]byte(`{"node":{"type":2,"tagName":"p","attributes":{"class":"reel-mask"},"childNodes":[{"type":3,"textContent":"x","id":2}],"id":1}}`))
	f.Add([]byte(`{"source":0,"texts":[{"id":1,"value":"a"}],"adds":[{"parentId":1,"node":{"type":3,"textContent":"b","id":3}}]}`))
	f.Add([]byte(`{"node":{"type":3,"textContent":"\u00e9\"","id":-1.5e3}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		x := &Text{Max: 1 << 12}
		x.Snapshot(data)
		x.Mutation(data)
		for _, p := range x.Pieces() {
			if strings.TrimSpace(p) != p || p == "" || strings.Trim(p, "* ") == "" || len(p) > maxPiece {
				t.Fatalf("piece %q", p)
			}
		}
	})
}

func BenchmarkTextSnapshot(b *testing.B) {
	var kids []string
	for i := range 2000 {
		kids = append(kids, fmt.Sprintf(`{"type":2,"tagName":"div","attributes":{"class":"product card-%d","data-id":"%d","style":"display:flex;gap:8px"},"childNodes":[{"type":3,"textContent":"Product %d, now only %d.99","id":%d}],"id":%d}`, i, i, i, i, 2*i+3, 2*i+2))
	}
	data := []byte(`{"node":{"type":0,"childNodes":[{"type":2,"tagName":"body","attributes":{},"childNodes":[` + strings.Join(kids, ",") + `],"id":1}],"id":0}}`)
	b.SetBytes(int64(len(data)))
	loop(b, func() {
		x := &Text{Max: 1 << 16}
		x.Snapshot(data)
	})
}
