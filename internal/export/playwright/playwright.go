// Package playwright turns one tab of a recorded session into a Playwright test: the visit's
// navigations, clicks by stable locators, typing (masked values as named placeholders read
// from the environment), waits for each page, and assertions of what the user saw at the end
// (the page reached, the error texts shown). Run with `npx playwright test` against the site
// (docs/export.md; docs/decisions.md, "Playwright export").
package playwright

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Options name the session in the test.
type Options struct {
	SessionID string
	// BaseURL is where the test runs by default; REEL_BASE_URL overrides it when the test
	// runs. Empty: the origin of the first page recorded.
	BaseURL string
}

// Input is one placeholder the test reads from the environment.
type Input struct {
	Env     string // REEL_INPUT_1, …
	Field   string // the locator, for the comment
	Page    string
	Length  int // characters the user typed (masked: the value is not known)
	Default string
}

// Test is a generated spec.
type Test struct {
	Source []byte // the .spec.ts text
	Steps  int
	Inputs []Input
	URL    string // the last page
	Errors []string
}

// step is one line of the test body.
type step struct {
	at    int64
	code  string
	click bool
}

// Generate writes the test for events, one tab's rrweb events in time order.
func Generate(events []json.RawMessage, opt Options) (Test, error) {
	g := &gen{dom: newDOM(), opt: opt, typed: map[int]int{}}
	for _, raw := range events {
		var ev struct {
			Type      int             `json:"type"`
			Timestamp int64           `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}
		if json.Unmarshal(raw, &ev) != nil {
			continue
		}
		g.event(ev.Type, ev.Timestamp, ev.Data)
	}
	g.flushTyping()
	if g.first == "" {
		return Test{}, fmt.Errorf("playwright: the recording has no page (no rrweb Meta event)")
	}
	return g.write(), nil
}

type gen struct {
	opt    Options
	dom    *dom
	first  string // first URL
	origin string // its scheme://host
	url    string // current URL
	steps  []step
	inputs []Input
	typed  map[int]int // node id → index of its Input placeholder
	// typing in progress: the last input event of a run on one field is what is typed
	pending   *typing
	lastAt    int64
	lastClick int // node id of the element last clicked
	start     int64
}

type typing struct {
	at      int64
	id      int
	text    string
	checked *bool
}

func (g *gen) event(typ int, at int64, data json.RawMessage) {
	if g.start == 0 {
		g.start = at
	}
	switch typ {
	case 4: // Meta: a page (re)loaded
		var m struct {
			Href string `json:"href"`
		}
		if json.Unmarshal(data, &m) != nil || m.Href == "" {
			return
		}
		g.navigate(at, m.Href, false)
	case 2: // FullSnapshot
		g.dom.snapshot(data)
	case 3:
		var d struct {
			Source  int    `json:"source"`
			Type    int    `json:"type"`
			ID      int    `json:"id"`
			Text    string `json:"text"`
			Checked *bool  `json:"isChecked"`
		}
		if json.Unmarshal(data, &d) != nil {
			return
		}
		switch {
		case d.Source == 0:
			g.dom.mutation(data)
		case d.Source == 2 && d.Type == 2: // click
			g.click(at, d.ID)
		case d.Source == 5: // input
			if g.pending != nil && g.pending.id != d.ID {
				g.flushTyping()
			}
			g.pending = &typing{at: at, id: d.ID, text: d.Text, checked: d.Checked}
		}
	case 5:
		var c struct {
			Tag     string `json:"tag"`
			Payload struct {
				URL string `json:"url"`
			} `json:"payload"`
		}
		if json.Unmarshal(data, &c) == nil && c.Tag == "reel.navigation" && c.Payload.URL != "" {
			g.navigate(at, c.Payload.URL, true)
		}
	}
}

// navigate: the first page is opened; later ones are waited for (the click before caused them).
func (g *gen) navigate(at int64, href string, spa bool) {
	g.flushTyping()
	if g.first == "" {
		g.first, g.url = href, href
		if u, err := url.Parse(href); err == nil {
			g.origin = u.Scheme + "://" + u.Host
		}
		g.add(at, fmt.Sprintf("await page.goto(%s);", g.urlExpr(href)))
		return
	}
	if sameURL(href, g.url) {
		return
	}
	g.url = href
	what := "page"
	if spa {
		what = "route"
	}
	g.add(at, fmt.Sprintf("await page.waitForURL(%s); // the next %s", g.urlExpr(href), what))
}

func sameURL(a, b string) bool { return strings.TrimSuffix(a, "#") == strings.TrimSuffix(b, "#") }

// urlExpr writes a URL of the recorded site relative to BASE, so the test runs against another
// host of the same site.
func (g *gen) urlExpr(href string) string {
	if g.origin != "" && strings.HasPrefix(href, g.origin) {
		rest := strings.TrimPrefix(href, g.origin)
		if rest == "" {
			rest = "/"
		}
		return "BASE + " + js(rest)
	}
	return js(href)
}

func (g *gen) click(at int64, id int) {
	n := g.dom.nodes[id]
	if n == nil {
		return
	}
	el := g.dom.clickable(n)
	if el == nil {
		return
	}
	// A click into a field is how typing starts; the fill that follows clicks it anyway.
	if el.tag == "input" || el.tag == "textarea" || el.tag == "select" {
		switch el.attrs["type"] {
		case "checkbox", "radio", "submit", "button", "reset", "image":
		default:
			return
		}
	}
	g.flushTyping()
	loc := g.locator(el)
	name := g.dom.textOf(el)
	note := ""
	if name != "" {
		note = " // " + comment(clip(name, 60))
	}
	g.add(at, fmt.Sprintf("await %s.click();%s", loc, note))
	g.steps[len(g.steps)-1].click = true
	g.lastClick = el.id
}

func (g *gen) flushTyping() {
	p := g.pending
	g.pending = nil
	if p == nil {
		return
	}
	n := g.dom.nodes[p.id]
	if n == nil {
		return
	}
	loc := g.locator(n)
	switch {
	case n.tag == "input" && (n.attrs["type"] == "checkbox" || n.attrs["type"] == "radio"):
		if p.checked != nil && *p.checked {
			g.add(p.at, fmt.Sprintf("await %s.check();", loc))
		} else if n.attrs["type"] == "checkbox" {
			g.add(p.at, fmt.Sprintf("await %s.uncheck();", loc))
		}
		return
	case n.tag == "select":
		if masked(p.text) {
			g.add(p.at, fmt.Sprintf("await %s.selectOption({ index: 0 }); // the choice was masked", loc))
		} else {
			g.add(p.at, fmt.Sprintf("await %s.selectOption(%s);", loc, js(p.text)))
		}
		return
	}
	if !masked(p.text) {
		g.addTyping(p, fmt.Sprintf("await %s.fill(%s);", loc, js(p.text)))
		return
	}
	i, ok := g.typed[p.id]
	if !ok {
		i = len(g.inputs)
		g.typed[p.id] = i
		g.inputs = append(g.inputs, Input{Env: fmt.Sprintf("REEL_INPUT_%d", i+1), Field: loc, Page: g.url, Default: placeholderFor(n)})
	}
	g.inputs[i].Length = utf8.RuneCountInString(p.text)
	in := g.inputs[i]
	g.addTyping(p, fmt.Sprintf("await %s.fill(process.env.%s ?? %s); // typed %d characters, masked in the recording", loc, in.Env, js(in.Default), in.Length))
}

// heldInput is how long the SDK holds typed values before recording them, stamped with the
// time they are recorded (sdk/src/index.ts, INPUT_MS and release).
const heldInput = 250

// addTyping adds a fill. The SDK records typed values 250 ms after the first keystroke it
// holds, stamped then, so typing followed at once by a click elsewhere (a name, then "Place
// order") is recorded just after that click. A value recorded less than 250 ms after a click
// was being typed before it (its timer started before the click), so its fill goes first.
func (g *gen) addTyping(p *typing, code string) {
	if n := len(g.steps); n > 0 && g.lastClick != p.id && g.steps[n-1].click && p.at-g.steps[n-1].at < heldInput {
		g.steps = append(g.steps[:n-1], step{at: p.at, code: code}, g.steps[n-1])
		return
	}
	g.add(p.at, code)
}

// masked says whether the recorded text is the SDK's mask (every character replaced by *).
func masked(s string) bool {
	return s != "" && strings.Trim(s, "*") == ""
}

// placeholderFor is a value of the field's kind, so a form's own checks have a chance.
func placeholderFor(n *node) string {
	switch n.attrs["type"] {
	case "email":
		return "placeholder@example.com"
	case "number":
		return "1"
	case "tel":
		return "+15555550100"
	case "url":
		return "https://example.com/"
	}
	return "placeholder"
}

func (g *gen) add(at int64, code string) {
	g.steps = append(g.steps, step{at: at, code: code})
	g.lastAt = at
}

// locator names an element so the test finds the same one: by id, else by test id, else by
// name, else by its text among elements of its tag, else by its position under the body;
// .nth(i) picks it when others on the page share the name.
func (g *gen) locator(n *node) string {
	all := g.dom.order()
	nth := func(match func(*node) bool) (int, int) {
		idx, count := 0, 0
		for _, o := range all {
			if match(o) {
				if o == n {
					idx = count
				}
				count++
			}
		}
		return idx, count
	}
	pick := func(base string, match func(*node) bool) string {
		i, c := nth(match)
		if c > 1 {
			return fmt.Sprintf("%s.nth(%d)", base, i)
		}
		return base
	}
	if v := n.attrs["id"]; v != "" {
		return pick(fmt.Sprintf("page.locator(%s)", js(`[id="`+cssString(v)+`"]`)), func(o *node) bool { return o.attrs["id"] == v })
	}
	if v, ok := n.attrs["data-testid"]; ok && v != "" {
		return pick(fmt.Sprintf("page.getByTestId(%s)", js(v)), func(o *node) bool { return o.attrs["data-testid"] == v })
	}
	if v := n.attrs["name"]; v != "" {
		sel := n.tag + `[name="` + cssString(v) + `"]`
		return pick(fmt.Sprintf("page.locator(%s)", js(sel)), func(o *node) bool { return o.tag == n.tag && o.attrs["name"] == v })
	}
	if txt := g.dom.textOf(n); txt != "" && len(txt) <= 80 {
		return pick(fmt.Sprintf("page.locator(%s, { hasText: %s })", js(n.tag), js(txt)), func(o *node) bool {
			return o.tag == n.tag && strings.Contains(g.dom.textOf(o), txt)
		})
	}
	// tag:nth-of-type steps up to the body, as the SDK's click selector.
	var parts []string
	for c, depth := n, 0; c != nil && c.tag != "" && c.tag != "body" && c.tag != "html" && depth < 12; depth++ {
		p := g.dom.nodes[c.parent]
		i := 1
		if p != nil {
			for _, sid := range p.children {
				if sid == c.id {
					break
				}
				if s := g.dom.nodes[sid]; s != nil && s.tag == c.tag {
					i++
				}
			}
		}
		parts = append([]string{fmt.Sprintf("%s:nth-of-type(%d)", c.tag, i)}, parts...)
		c = p
	}
	return fmt.Sprintf("page.locator(%s)", js("body > "+strings.Join(parts, " > ")))
}

func cssString(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// errorsShown are the texts of elements that look like error messages and are visible at the
// end: role=alert, or an id, class or test id with "error" in it.
func (g *gen) errorsShown() []struct{ loc, text string } {
	var out []struct{ loc, text string }
	seen := map[string]bool{}
	for _, n := range g.dom.order() {
		if len(out) == 3 {
			break
		}
		isErr := n.attrs["role"] == "alert"
		for _, a := range []string{"id", "class", "data-testid"} {
			if strings.Contains(strings.ToLower(n.attrs[a]), "error") {
				isErr = true
			}
		}
		if !isErr || !g.dom.visible(n) || n.tag == "input" || !leaf(g.dom, n) {
			continue
		}
		txt := g.dom.textOf(n)
		if txt == "" || len(txt) > 200 || seen[txt] || masked(strings.ReplaceAll(txt, " ", "")) {
			continue
		}
		seen[txt] = true
		out = append(out, struct{ loc, text string }{g.locator(n), txt})
	}
	return out
}

// leaf says whether n holds only text, the message itself rather than a block around it.
func leaf(d *dom, n *node) bool {
	for _, c := range n.children {
		if cn := d.nodes[c]; cn != nil && cn.tag != "" {
			return false
		}
	}
	return true
}

func (g *gen) write() Test {
	base := g.opt.BaseURL
	if base == "" {
		base = g.origin
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Generated by Reel from session %s, recorded %s on %s.\n", comment(g.opt.SessionID), time.UnixMilli(g.start).UTC().Format("2006-01-02 15:04 UTC"), comment(g.first))
	b.WriteString("// Run it with `npx playwright test` against the site; REEL_BASE_URL points it at another host.\n")
	if len(g.inputs) > 0 {
		b.WriteString("// What the user typed was masked in the recording; set these to the values to type:\n")
		for _, in := range g.inputs {
			fmt.Fprintf(&b, "//   %s: %s on %s (%d characters)\n", in.Env, comment(in.Field), comment(in.Page), in.Length)
		}
	}
	b.WriteString("import { test, expect } from \"@playwright/test\";\n\n")
	fmt.Fprintf(&b, "const BASE = process.env.REEL_BASE_URL ?? %s;\n\n", js(base))
	fmt.Fprintf(&b, "test(%s, async ({ page }) => {\n", js("replays session "+g.opt.SessionID))
	for _, s := range g.steps {
		fmt.Fprintf(&b, "  %s\n", s.code)
	}
	t := Test{Steps: len(g.steps), Inputs: g.inputs, URL: g.url}
	b.WriteString("  // What the user saw at the end.\n")
	fmt.Fprintf(&b, "  await expect(page).toHaveURL(%s);\n", g.urlExpr(g.url))
	for _, e := range g.errorsShown() {
		fmt.Fprintf(&b, "  await expect(%s).toContainText(%s);\n", e.loc, js(e.text))
		t.Errors = append(t.Errors, e.text)
	}
	b.WriteString("});\n")
	t.Source = b.Bytes()
	return t
}

// comment makes recorded text safe inside a // comment: JavaScript ends a comment at any line
// terminator (\n, \r, U+2028, U+2029), and a page's text or URL may hold one to write code
// into the test.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
}

// js is a JavaScript string literal (JSON's, which escapes what JavaScript needs).
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
