package analyze

import (
	"regexp"
	"strings"
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
	s := strings.Join(strings.Fields(b.String()), " ")
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
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
		b.WriteString(`[data-testid="` + v + `"]`)
	} else if v := n.Attrs["class"]; v != "" {
		for _, c := range strings.Fields(v)[:min(2, len(strings.Fields(v)))] {
			b.WriteString("." + c)
		}
	}
	if txt := t.text(n.ID); txt != "" {
		b.WriteString(` "` + txt + `"`)
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

var stepperWords = regexp.MustCompile(`(?i)\b(increase|decrease|increment|decrement|plus|minus|add one|remove one|next|previous|prev)\b|qty|quantity|stepper|carousel|slider`)

// stepper reports whether the element is one where repeated clicks are the normal use: a
// quantity +/− button, a number spinner, a carousel arrow.
func (t *Timeline) stepper(id int) bool {
	el := t.interactive(id)
	if el == nil {
		return false
	}
	if el.Tag == "input" && strings.EqualFold(el.Attrs["type"], "number") {
		return true
	}
	switch strings.TrimSpace(t.text(el.ID)) {
	case "+", "-", "−", "–", "‹", "›", "<", ">", "«", "»", "▲", "▼", "◀", "▶":
		return true
	}
	for _, k := range []string{"aria-label", "title", "class", "data-testid", "name", "id"} {
		if stepperWords.MatchString(el.Attrs[k]) {
			return true
		}
	}
	return false
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
