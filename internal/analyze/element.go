package analyze

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ancestors yields the node and its ancestors, nearest first, at most 12 levels: a click lands
// on the innermost element (an icon, a span) of what the user meant (a button).
func (t *Timeline) ancestors(id int) []*Node {
	var out []*Node
	for n := t.nodes[id]; n != nil && len(out) < 12; n = t.nodes[n.Parent] {
		out = append(out, n)
		if n.Parent == 0 || n.Parent == n.ID {
			break
		}
	}
	return out
}

// text returns the visible text under a node, trimmed and shortened.
func (t *Timeline) text(id int) string {
	var b strings.Builder
	var walk func(int, int)
	walk = func(id, depth int) {
		if depth > 6 || b.Len() > 80 {
			return
		}
		for _, cid := range t.children[id] {
			n := t.nodes[cid]
			if n == nil || n.ID == id || n.Parent != id {
				continue
			}
			if n.Tag == "" {
				b.WriteString(n.Text)
			} else if n.Tag != "script" && n.Tag != "style" {
				walk(n.ID, depth+1)
			}
		}
	}
	walk(id, 0)
	return clip(b.String(), 40)
}

// clip makes text one line of at most n characters: whitespace (newlines, tabs) collapsed,
// bidirectional controls that could reorder the sentence around it dropped, and cut on a
// character boundary with "…".
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if bidiControl(r) || (unicode.IsControl(r) && !unicode.IsSpace(r)) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:n])) + "…"
	}
	return s
}

func bidiControl(r rune) bool {
	return r == '\u200e' || r == '\u200f' || r == '\u061c' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// escape writes s for a double-quoted part of a description: `"` and `\` escaped, so the
// text can be read back from the description whatever quotes it holds.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// Describe names an element the way a person would find it: tag, id or test id, classes, text.
func (t *Timeline) Describe(id int) string {
	n := t.nodes[id]
	if n == nil {
		return ""
	}
	if el := t.interactive(id); el != nil {
		n = el
	}
	var b strings.Builder
	b.WriteString(n.Tag)
	if v := n.Attrs["id"]; v != "" {
		b.WriteString("#" + v)
	} else if v := n.Attrs["data-testid"]; v != "" {
		b.WriteString(`[data-testid="` + escape(clip(v, 60)) + `"]`)
	} else if v := n.Attrs["class"]; v != "" {
		for _, c := range strings.Fields(v)[:min(2, len(strings.Fields(v)))] {
			b.WriteString("." + c)
		}
	}
	if txt := t.text(n.ID); txt != "" {
		b.WriteString(` "` + escape(txt) + `"`)
	}
	return b.String()
}

var clickableRoles = map[string]bool{"button": true, "link": true, "menuitem": true, "tab": true, "checkbox": true, "radio": true, "switch": true, "option": true}

// interactive returns the nearest element that looks clickable (a link, a button, a control),
// or nil when the click landed on plain content.
func (t *Timeline) interactive(id int) *Node {
	for _, n := range t.ancestors(id) {
		switch n.Tag {
		case "a", "button", "select", "summary", "label", "input", "textarea":
			return n
		}
		if clickableRoles[n.Attrs["role"]] || n.Attrs["onclick"] != "" || n.Attrs["tabindex"] == "0" {
			return n
		}
	}
	return nil
}

// editing reports whether the click is on a text-editing surface, where repeated clicks place
// the caret or select words and lines.
func (t *Timeline) editing(id int) bool {
	for _, n := range t.ancestors(id) {
		if n.Tag == "textarea" || n.Attrs["contenteditable"] == "true" || n.Attrs["contenteditable"] == "" && hasKey(n.Attrs, "contenteditable") {
			return true
		}
		if n.Tag == "input" {
			switch strings.ToLower(n.Attrs["type"]) {
			case "button", "submit", "reset", "checkbox", "radio", "image", "range", "color", "file":
				return false
			}
			return true
		}
	}
	return false
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// submitting reports whether a click is on something that sends a form.
func (t *Timeline) submitting(id int) bool {
	el := t.interactive(id)
	if el == nil {
		return false
	}
	typ := strings.ToLower(el.Attrs["type"])
	return (el.Tag == "button" && (typ == "" || typ == "submit")) || (el.Tag == "input" && (typ == "submit" || typ == "image"))
}

// handlerFrame finds an event listener in a V8 stack: the receiver of a listener is the element
// or the document it listens on ("at HTMLButtonElement.onShare", "at async
// HTMLButtonElement.loadReviews", a delegated "at HTMLDocument.dispatch"). Timers, promise
// callbacks and top-level scripts have no such frame.
var handlerFrame = regexp.MustCompile(`\bat (async )?(HTML[A-Za-z]*Element|HTMLDocument|Document)\.`)

// v8Frame is a frame of a V8 stack ("    at fn (url:line:col)"); Firefox and Safari write
// "fn@url:line:col", which names no receiver.
var v8Frame = regexp.MustCompile(`(?m)^\s+at `)

// v8StackFrames is how many frames V8 keeps by default (Error.stackTraceLimit): a stack of
// fewer is whole, down to the task that ran it.
const v8StackFrames = 10

// background reports whether stack is a whole V8 stack with no event listener in it: the error
// came from a timer, a promise callback or a script's own run, never from a click's handler,
// whatever click it followed.
func background(stack string) bool {
	n := len(v8Frame.FindAllStringIndex(stack, v8StackFrames))
	return n > 0 && n < v8StackFrames && !handlerFrame.MatchString(stack)
}

// clickableLook matches the class and id words apps give custom controls.
var clickableLook = regexp.MustCompile(`(?i)(^|[\s_-])(btn|button|cta|card|tile|chip|clickable|toggle|link)($|[\s_-])`)

// looksClickable reports whether a click landed on something a visitor expects to answer: a
// link, a button, a control, or an element styled as one (a `.btn` div, `cursor: pointer`).
// Form fields take focus instead, labels pass the click to their field, links that open a new
// tab or download a file answer outside the page, and a menu trigger whose menu opens on
// hover has answered before the click.
func (t *Timeline) looksClickable(id int) bool {
	if el := t.interactive(id); el != nil {
		switch el.Tag {
		case "input", "textarea", "select", "label":
			return false
		case "a":
			if tg := el.Attrs["target"]; tg != "" && tg != "_self" && tg != "_top" && tg != "_parent" {
				return false
			}
			if hasKey(el.Attrs, "download") || fileLink.MatchString(el.Attrs["href"]) {
				return false
			}
		}
		return !t.hoverMenu(el)
	}
	for i, n := range t.ancestors(id) {
		if i > 3 {
			break
		}
		switch n.Tag {
		case "body", "html", "main", "p", "article", "section":
			return false
		}
		if clickableLook.MatchString(n.Attrs["class"]) || clickableLook.MatchString(n.Attrs["id"]) ||
			strings.Contains(strings.ReplaceAll(n.Attrs["style"], " ", ""), "cursor:pointer") {
			return true
		}
	}
	return false
}

var fileLink = regexp.MustCompile(`(?i)\.(pdf|zip|csv|xlsx?|docx?|pptx?|dmg|exe|msi|apk|gz|tgz|7z|rar|mp3|mp4|ics)([?#].*)?$`)

// hoverMenu reports whether el opens a menu: it says so (aria-haspopup), or the list item it
// sits in holds a nested list, the shape of CSS-hover menus.
func (t *Timeline) hoverMenu(el *Node) bool {
	if v, ok := el.Attrs["aria-haspopup"]; ok && v != "false" {
		return true
	}
	for i, n := range t.ancestors(el.ID) {
		if i > 3 {
			break
		}
		if n.Tag != "li" {
			continue
		}
		for _, cid := range t.children[n.ID] {
			if c := t.nodes[cid]; c != nil && c.Parent == n.ID && (c.Tag == "ul" || c.Tag == "ol" || c.Tag == "menu" || c.Attrs["role"] == "menu") {
				return true
			}
		}
		return false
	}
	return false
}

// isDocument reports whether a scroll event's node is the page itself rather than an element
// with a scrollbar of its own (a carousel, a wide table).
func (t *Timeline) isDocument(id int) bool {
	n := t.nodes[id]
	return n == nil || n.Tag == "" || n.Tag == "html" || n.Tag == "body"
}

// fieldInfo says what a field typed into is part of.
type fieldInfo struct {
	form    int  // the form it belongs to: a <form>, or the nearest element holding two or more fields; 0 for none
	fields  int  // fillable fields in that form
	filling bool // typing here is filling in a form: a text-like field of a form with two or more fields
	aux     bool // a promo code or search field inside a form: typing only there is not starting the form
	element bool // the form is a <form> element (sent by its submit button)
}

var auxField = regexp.MustCompile(`(?i)search|coupon|promo|voucher|discount|gift|filter|query|^q$`)

// fillable is a field people fill in with text: not a checkbox, switch, slider, number
// spinner or search box, and not a cell of a grid.
func (t *Timeline) fillable(n *Node) bool {
	if n == nil {
		return false
	}
	switch n.Tag {
	case "textarea":
	case "input":
		switch strings.ToLower(n.Attrs["type"]) {
		case "", "text", "email", "tel", "password", "url", "date", "datetime-local", "month", "week", "time":
		default:
			return false
		}
	default:
		return false
	}
	if n.Attrs["role"] == "searchbox" || n.Attrs["role"] == "combobox" {
		return false
	}
	for i, a := range t.ancestors(n.ID) {
		if i > 0 && (a.Tag == "td" || a.Tag == "th" || a.Attrs["role"] == "grid" || a.Attrs["role"] == "gridcell" || a.Attrs["role"] == "search") {
			return false
		}
	}
	return true
}

// field describes the field id as it is now (cached: forms rarely change shape while typed in).
func (t *Timeline) field(id int) fieldInfo {
	if f, ok := t.formCache[id]; ok {
		return f
	}
	n := t.nodes[id]
	var f fieldInfo
	if t.fillable(n) {
		f.form = t.formOf(id)
		f.element = t.nodes[f.form] != nil && t.nodes[f.form].Tag == "form"
		if f.form != 0 {
			f.fields = t.countFillable(f.form, 1)
		}
		f.filling = f.fields >= 2
		for _, k := range []string{"name", "id", "placeholder", "aria-label", "autocomplete"} {
			if auxField.MatchString(n.Attrs[k]) {
				f.aux = true
			}
		}
	}
	t.formCache[id] = f
	return f
}

// formOf returns the form an element belongs to: its <form>, or, for apps that use none, the
// nearest ancestor holding two or more fillable fields.
func (t *Timeline) formOf(id int) int {
	anc := t.ancestors(id)
	for _, a := range anc {
		if a.Tag == "form" {
			return a.ID
		}
	}
	for i, a := range anc {
		if i == 0 {
			continue
		}
		if a.Tag == "body" || a.Tag == "html" || i > 6 {
			break
		}
		if t.countFillable(a.ID, 1) >= 2 {
			return a.ID
		}
	}
	return 0
}

// countFillable counts fillable fields under id (not inside a nested <form> of their own).
func (t *Timeline) countFillable(id, depth int) int {
	if depth > 20 {
		return 0
	}
	n := 0
	for _, cid := range t.children[id] {
		c := t.nodes[cid]
		if c == nil || c.Parent != id || c.ID == id {
			continue
		}
		if depth > 0 && c.Tag == "form" {
			continue
		}
		if t.fillable(c) {
			n++
		}
		n += t.countFillable(c.ID, depth+1)
	}
	return n
}
