package archive

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/reelhq/reel/internal/rrweb"
)

// ref is a resource a recording uses without carrying it.
type ref struct {
	url  string
	kind kind
}

// node is the part of an rrweb serialized node that can reference a resource. Only the
// attributes that can are decoded (a map of all of them costs several times more).
type node struct {
	Type       int    `json:"type"`
	ID         int    `json:"id"`
	TagName    string `json:"tagName"`
	Attributes *struct {
		Rel       json.RawMessage `json:"rel"`
		Href      json.RawMessage `json:"href"`
		Src       json.RawMessage `json:"src"`
		Style     json.RawMessage `json:"style"`
		CSSText   json.RawMessage `json:"_cssText"`
		RRDataURL json.RawMessage `json:"rr_dataURL"`
	} `json:"attributes"`
	ChildNodes  []*node         `json:"childNodes"`
	TextContent json.RawMessage `json:"textContent"`
	IsStyle     bool            `json:"isStyle"`
}

// incremental is the part of an incremental event's data that can reference a resource: DOM
// mutations, stylesheet rules inserted through CSSOM, declarations set through CSSOM, and
// adopted stylesheets.
type incremental struct {
	Source int `json:"source"`
	Adds   []struct {
		Node *node  `json:"node"`
		Rule string `json:"rule"`
	} `json:"adds"`
	Attributes []struct {
		ID         int                        `json:"id"`
		Attributes map[string]json.RawMessage `json:"attributes"`
	} `json:"attributes"`
	Replace     string `json:"replace"`
	ReplaceSync string `json:"replaceSync"`
	Set         *struct {
		Value string `json:"value"`
	} `json:"set"`
	Styles []struct {
		Rules []struct {
			Rule string `json:"rule"`
		} `json:"rules"`
	} `json:"styles"`
}

const (
	tagOther = iota
	tagImg
	tagSheet // <link rel=stylesheet>
)

// collector gathers a session's references, each once, by kind.
type collector struct {
	page   string // the first page recorded, sent (as its origin) as the Referer
	seen   map[string]bool
	refs   [3][]ref       // by kind
	tags   map[int]int    // node id → tagImg / tagSheet, for attribute mutations (per tab)
	sheets map[int]string // <link rel=stylesheet> without _cssText, by node id (per tab)
}

// collect finds what the tabs' events (markers resolved) reference but do not carry: the href
// of a <link rel=stylesheet> rrweb could not read (no _cssText: cross-origin without CORS), the
// url()s and @imports of recorded CSS, and <img> sources not inlined. Only absolute http(s)
// URLs are taken: rrweb makes the URLs it records absolute, and the player looks them up as
// written.
func collect(tabs [][]json.RawMessage) *collector {
	c := &collector{seen: map[string]bool{}}
	for _, events := range tabs {
		c.tags, c.sheets = map[int]int{}, map[int]string{}
		for _, raw := range events {
			ev, err := rrweb.FastParse(raw)
			if err != nil {
				continue
			}
			switch ev.Type {
			case rrweb.Meta:
				if c.page == "" {
					if m, err := rrweb.ParseMeta(ev.Data); err == nil {
						c.page = m.Href
					}
				}
			case rrweb.FullSnapshot:
				var d struct {
					Node *node `json:"node"`
				}
				if json.Unmarshal(ev.Data, &d) == nil {
					c.node(d.Node)
				}
			case rrweb.IncrementalSnapshot:
				if !bytes.Contains(ev.Data, []byte("http")) {
					continue
				}
				var d incremental
				if json.Unmarshal(ev.Data, &d) == nil {
					c.incremental(&d)
				}
			}
		}
		for _, id := range slices.Sorted(maps.Keys(c.sheets)) {
			c.add(c.sheets[id], kindStylesheet)
		}
	}
	return c
}

func (c *collector) add(u string, k kind) {
	key := Key(u)
	if key == "" || c.seen[key] {
		return
	}
	c.seen[key] = true
	c.refs[k] = append(c.refs[k], ref{url: key, kind: k})
}

func (c *collector) css(text string) {
	if !strings.Contains(text, "http") {
		return
	}
	for _, r := range scanCSS(text) {
		if r.isImport {
			c.add(r.url, kindStylesheet)
		} else {
			c.add(r.url, kindResource)
		}
	}
}

func str(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func hasToken(list, token string) bool {
	for _, t := range strings.Fields(strings.ToLower(list)) {
		if t == token {
			return true
		}
	}
	return false
}

func (c *collector) node(n *node) {
	if n == nil {
		return
	}
	switch a := n.Attributes; {
	case n.Type == 2 && a != nil: // element
		inlined := len(a.CSSText) > 0
		if css, ok := str(a.CSSText); ok {
			c.css(css)
		}
		if css, ok := str(a.Style); ok {
			c.css(css)
		}
		switch strings.ToLower(n.TagName) {
		case "link":
			rel, _ := str(a.Rel)
			if hasToken(rel, "stylesheet") {
				c.tags[n.ID] = tagSheet
				href, _ := str(a.Href)
				if !inlined && Key(href) != "" {
					c.sheets[n.ID] = href
				} else {
					delete(c.sheets, n.ID)
				}
			}
		case "img":
			c.tags[n.ID] = tagImg
			if len(a.RRDataURL) == 0 {
				if src, ok := str(a.Src); ok {
					c.add(src, kindImage)
				}
			}
		}
	case n.Type == 3 && n.IsStyle: // text of a <style>
		if css, ok := str(n.TextContent); ok {
			c.css(css)
		}
	}
	for _, ch := range n.ChildNodes {
		c.node(ch)
	}
}

func (c *collector) incremental(d *incremental) {
	switch rrweb.IncrementalSource(d.Source) {
	case rrweb.SourceMutation:
		for _, a := range d.Adds {
			c.node(a.Node)
		}
		for _, m := range d.Attributes {
			for _, name := range slices.Sorted(maps.Keys(m.Attributes)) {
				raw := m.Attributes[name]
				switch name {
				case "_cssText":
					// rrweb read the stylesheet once it loaded: nothing to fetch for it.
					delete(c.sheets, m.ID)
					if css, ok := str(raw); ok {
						c.css(css)
					}
				case "style":
					if css, ok := str(raw); ok {
						c.css(css)
					} else {
						// A style change recorded property by property: {prop: value | [value, priority] | false}.
						var props map[string]json.RawMessage
						if json.Unmarshal(raw, &props) == nil {
							for _, p := range slices.Sorted(maps.Keys(props)) {
								v := props[p]
								if s, ok := str(v); ok {
									c.css(s)
								} else {
									var pair []json.RawMessage
									if json.Unmarshal(v, &pair) == nil && len(pair) > 0 {
										if s, ok := str(pair[0]); ok {
											c.css(s)
										}
									}
								}
							}
						}
					}
				case "href":
					if c.tags[m.ID] == tagSheet {
						if href, ok := str(raw); ok && Key(href) != "" {
							c.sheets[m.ID] = href
						}
					}
				case "src":
					if c.tags[m.ID] == tagImg {
						if src, ok := str(raw); ok {
							c.add(src, kindImage)
						}
					}
				}
			}
		}
	case rrweb.SourceStyleSheetRule:
		for _, a := range d.Adds {
			c.css(a.Rule)
		}
		c.css(d.Replace)
		c.css(d.ReplaceSync)
	case rrweb.SourceStyleDeclaration:
		if d.Set != nil {
			c.css(d.Set.Value)
		}
	case rrweb.SourceAdoptedStyleSheet:
		for _, s := range d.Styles {
			for _, r := range s.Rules {
				c.css(r.Rule)
			}
		}
	}
}
