package analyze

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/reelhq/reel/internal/measure"
)

// Facts are what the index knows about a session that its events do not say directly.
type Facts struct {
	UserID     string
	Browser    string // "Firefox 131"
	OS         string
	Device     string
	DurationMS int64
}

// Report is the analysis of one session.
type Report struct {
	Signals []Signal     `json:"signals"`
	Counts  map[Kind]int `json:"counts"`
	Errors  []string     `json:"errors"`
	Pages   []string     `json:"pages"` // the session's pages (measure.Pages), by path
	// ActiveMS is the session's active time (measure.ActiveMS) over all its tabs.
	ActiveMS int64  `json:"activeMs"`
	Summary  string `json:"summary"`
	Score    int    `json:"score"`
	// ErrorEvents are the JS errors with where and when they happened.
	ErrorEvents []ErrorEvent `json:"errorEvents"`
}

// ErrorEvent is one JS error of the session.
type ErrorEvent struct {
	At      int64  `json:"at"`
	URL     string `json:"url"`
	Message string `json:"message"`
}

// Path is the path of a URL, for grouping pages.
func Path(raw string) string { return path(raw) }

// Fingerprint groups a finding with the same finding in other sessions: the same kind on the
// same element of the same page.
func Fingerprint(s Signal) string {
	return string(s.Kind) + "|" + path(s.URL) + "|" + s.Target
}

var (
	numbers = regexp.MustCompile(`\b(0x[0-9a-fA-F]+|\d+)\b`)
	quoted  = regexp.MustCompile(`'[^']*'|"[^"]*"`)
)

// ErrorFingerprint groups errors whose messages differ only in numbers and quoted values
// ("Cannot read 'x' of undefined at 12:7" and "… 'y' … 14:3" are the same bug).
func ErrorFingerprint(msg string) string {
	m := numbers.ReplaceAllString(msg, "N")
	m = quoted.ReplaceAllString(m, "'…'")
	if len(m) > 200 {
		m = m[:200]
	}
	return "js_error|" + m
}

// Analyze runs the detectors over each tab's events and summarises the session.
func Analyze(tabs [][]json.RawMessage, facts Facts, th Thresholds) Report {
	ts := make([]*Timeline, len(tabs))
	for i, events := range tabs {
		ts[i] = Build(events)
	}
	return Whole(ts, facts, th)
}

// Whole analyses a session from its tabs' timelines, every event read: the final word on a
// session that has ended.
func Whole(tabs []*Timeline, facts Facts, th Thresholds) Report {
	return report(tabs, facts, th, false)
}

// Live analyses a session still being recorded from what its tabs' timelines have read so far.
// It is Whole less the findings that later events could still take back: a dead click whose
// wait has not run out by the latest event its tab has read, and a form left unsubmitted on the
// page its tab is still on. Every finding Live reports, the whole-session pass over the same
// events plus any later ones reports too (the same kind, moment and element).
func Live(tabs []*Timeline, facts Facts, th Thresholds) Report { return report(tabs, facts, th, true) }

func report(tabs []*Timeline, facts Facts, th Thresholds, live bool) Report {
	r := Report{Signals: []Signal{}, Counts: map[Kind]int{}, Errors: []string{}, Pages: []string{}, ErrorEvents: []ErrorEvent{}}
	var visits []measure.View
	var active []int64
	// The visit ended in the tab that was last used, on that tab's last page: another tab's
	// later page load (a link opened in a new tab, then left) is not where the visitor was.
	end, endAt, used := "", int64(0), 0
	var endSignals []Signal
	for _, t := range tabs {
		sigs := Detect(t, th)
		if live {
			sigs = settled(t, sigs, th)
		}
		if len(t.pages) > 0 {
			used++
			last := t.pages[len(t.pages)-1].at
			if len(t.active) > 0 {
				last = max(last, t.active[len(t.active)-1])
			}
			if end == "" || last > endAt {
				end, endAt, endSignals = path(t.pages[len(t.pages)-1].url), last, sigs
			}
		}
		r.Signals = append(r.Signals, sigs...)
		for i, m := range t.messages {
			if m != "" && !contains(r.Errors, m) {
				r.Errors = append(r.Errors, m)
			}
			r.ErrorEvents = append(r.ErrorEvents, ErrorEvent{At: t.errors[i], URL: t.urlAt(t.errors[i]), Message: m})
		}
		for _, p := range t.pages {
			visits = append(visits, measure.View{At: p.at, URL: p.url})
		}
		active = append(active, t.active...)
	}
	sort.SliceStable(r.Signals, func(i, j int) bool { return r.Signals[i].At < r.Signals[j].At })
	for _, v := range measure.Pages(visits) {
		r.Pages = append(r.Pages, path(v.URL))
	}
	r.ActiveMS = measure.ActiveMS(active)
	for _, s := range r.Signals {
		r.Counts[s.Kind]++
	}
	r.Summary = summarize(r, facts, ending{page: end, signals: endSignals, tabs: used})
	r.Score = score(r, facts)
	return r
}

// settled keeps the findings of a tab that no later event can take back.
func settled(t *Timeline, found []Signal, th Thresholds) []Signal {
	out := found[:0:0]
	for _, s := range found {
		switch {
		case s.Kind == DeadClick && s.At+th.DeadWaitMS > t.last:
		case s.Kind == DeadClick && t.loading(s):
		case s.Kind == FormAbandon && s.URL == t.url:
		default:
			out = append(out, s)
		}
	}
	return out
}

// loading reports whether dead click s was on a link or a submit button and no page has loaded
// since: the page it leads to may still be on its way, which would answer it.
func (t *Timeline) loading(s Signal) bool {
	for _, c := range t.clicks {
		if c.at == s.At && c.id == s.NodeID && (c.href != "" || c.submit) {
			_, ok := t.nextPage(c.at)
			return !ok
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func path(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return raw
	}
	return u.Path
}

// quote names a target for a sentence: by its text when it has one
// (`button[data-testid="pay"] "Pay now"` → ‘Pay now’), as "a masked button" when its text was
// masked on the page, else by the selector. The text is the description's last quoted part,
// read back with its escapes (Describe escapes `"` and `\`), so quotes of any kind in it
// neither cut it short nor leak selector text into the sentence; text in a right-to-left script
// is isolated so it cannot reorder the words around it.
func quote(target string) string {
	sel, text, ok := splitTarget(target)
	if !ok {
		return clip(target, 80)
	}
	if strings.Trim(text, "*• ") == "" || strings.Trim(strings.TrimSuffix(text, "…"), "*• ") == "" {
		tag := sel
		if k := strings.IndexAny(tag, "#.[ "); k > 0 {
			tag = tag[:k]
		}
		if tag == "" {
			return "a masked element"
		}
		return "a masked " + tag
	}
	text = clip(text, 40)
	if rtl(text) {
		text = "\u2068" + text + "\u2069"
	}
	return "‘" + text + "’"
}

// splitTarget reads Describe's `selector "text"` back into its parts.
func splitTarget(target string) (sel, text string, ok bool) {
	if !strings.HasSuffix(target, `"`) || len(target) < 2 {
		return "", "", false
	}
	// Walk back to the opening quote: the first `"` not escaped by an odd run of backslashes.
	for i := len(target) - 2; i >= 0; i-- {
		if target[i] != '"' {
			continue
		}
		n := 0
		for k := i - 1; k >= 0 && target[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			continue
		}
		if i > 0 && target[i-1] != ' ' {
			return "", "", false // the closing quote of a selector's attribute: no text
		}
		raw := target[i+1 : len(target)-1]
		return strings.TrimSpace(target[:i]), strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(raw), true
	}
	return "", "", false
}

func rtl(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Hebrew, unicode.Arabic, unicode.Syriac, unicode.Thaana, unicode.Nko) {
			return true
		}
	}
	return false
}

// summarize says in one sentence who did what, what went wrong and how it ended, built only
// from the timeline (no external service).
// ending is where a visit ended: the last page of the tab used last, that tab's findings, and
// how many tabs had pages.
type ending struct {
	page    string
	signals []Signal
	tabs    int
}

func summarize(r Report, f Facts, e ending) string {
	last, tabs := e.page, e.tabs
	who := "An anonymous visitor"
	if f.UserID != "" {
		who = "User " + f.UserID
	}
	env := browserName(f.Browser)
	if env != "" && f.OS != "" && f.OS != "Other" {
		env += "/" + f.OS
	}
	if f.Device == "mobile" || f.Device == "tablet" {
		env += " " + f.Device
	}
	var parts []string
	head := who
	if env != "" {
		head += " on " + env
	}
	switch n := len(r.Pages); {
	case n == 0:
		head += " left no page views"
	case n == 1:
		head += " stayed on " + r.Pages[0]
	default:
		head += fmt.Sprintf(" visited %d pages", n)
		if tabs > 1 {
			head += fmt.Sprintf(" in %d tabs", tabs)
		}
	}
	parts = append(parts, head)
	seen := map[Kind]bool{}
	for _, s := range r.Signals {
		if seen[s.Kind] {
			continue
		}
		seen[s.Kind] = true
		switch s.Kind {
		case RageClick:
			parts = append(parts, fmt.Sprintf("rage-clicked %s on %s", quote(s.Target), path(s.URL)))
		case DeadClick:
			if !seen[RageClick] {
				parts = append(parts, fmt.Sprintf("clicked %s on %s with no effect", quote(s.Target), path(s.URL)))
			}
		case QuickBack:
			parts = append(parts, "turned straight back from "+path(s.URL))
		}
	}
	if len(r.Errors) > 0 {
		msg := clip(r.Errors[0], 60)
		if rtl(msg) {
			msg = "\u2068" + msg + "\u2069"
		}
		parts = append(parts, "hit “"+msg+"”")
	}
	end := ""
	if len(r.Pages) > 1 && last != "" {
		end = "ended on " + last
	}
	if r.Counts[FormAbandon] > 0 {
		for _, s := range r.Signals {
			if s.Kind != FormAbandon {
				continue
			}
			inEndTab := last == ""
			for _, x := range e.signals {
				inEndTab = inEndTab || x == s
			}
			if inEndTab {
				end = "left " + path(s.URL) + " without submitting the form"
			} else {
				end = "left a form unsent on " + path(s.URL) + " in another tab and ended on " + last
			}
		}
	}
	if end != "" {
		parts = append(parts, end)
	}
	if len(parts) == 1 {
		return parts[0] + "."
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + "."
}

// browserName drops the version: "Firefox 131" → "Firefox".
func browserName(b string) string {
	f := strings.Fields(b)
	if len(f) > 1 {
		last := f[len(f)-1]
		if last == "?" || strings.Trim(last, "0123456789.") == "" {
			f = f[:len(f)-1]
		}
	}
	if len(f) == 1 && f[0] == "Other" {
		return ""
	}
	return strings.Join(f, " ")
}

// weights say how much each finding makes a session worth watching (docs/friction.md).
var weights = map[Kind]int{
	ErrorClick: 14, RageClick: 12, FormAbandon: 10, DeadClick: 6, QuickBack: 4,
	ThrashedCursor: 4, ExcessiveScroll: 3, FieldHesitation: 3,
}

// score ranks sessions worth watching, 0–100: errors and frustration raise it, each kind with
// diminishing returns, and sessions too short to show anything are halved.
func score(r Report, f Facts) int {
	s := 0
	for k, n := range r.Counts {
		w := weights[k]
		for i := 0; i < n && i < 3; i++ {
			s += w >> i
		}
	}
	s += min(len(r.Errors), 3) * 12
	if len(r.Pages) >= 4 {
		s += 5 // a longer journey has more to learn from
	}
	if f.DurationMS > 0 && f.DurationMS < 10_000 {
		s /= 2
	}
	return min(s, 100)
}
