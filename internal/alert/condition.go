package alert

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// kindPlurals name each kind a rule may watch as a person would count it.
var kindPlurals = map[string]string{
	"rage_click": "rage clicks", "dead_click": "dead clicks", "error_click": "error clicks",
	"thrashed_cursor": "thrashed cursors", "quick_back": "quick backs", "excessive_scroll": "excessive scrolling",
	"form_abandonment": "abandoned forms", "field_hesitation": "field hesitations", "js_error": "JS errors",
}

func kindPlural(kind string) string {
	if p, ok := kindPlurals[kind]; ok {
		return p
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// Condition says what a rule watches in one line, the way the Alerts page and a test message
// show it: "rage clicks on /checkout ≥ 5 sessions in 1 h".
func Condition(r store.AlertRule) string {
	return fmt.Sprintf("%s ≥ %s in %s", watched(r), sessions(r.Threshold), Window(r.Window))
}

// watched is what a rule counts sessions of.
func watched(r store.AlertRule) string {
	switch {
	case r.SavedSearchID != 0 && r.SavedQuery == "":
		return "every session (saved search)"
	case r.SavedSearchID != 0:
		return "sessions matching “" + r.SavedQuery + "”"
	case r.Fingerprint != "":
		// analyze.Fingerprint: kind|path|target, or js_error|message.
		parts := strings.SplitN(r.Fingerprint, "|", 3)
		if len(parts) == 2 && parts[0] == "js_error" {
			return "JS error “" + parts[1] + "”"
		}
		if len(parts) != 3 {
			return "issue " + r.Fingerprint
		}
		s := kindPlural(parts[0])
		if parts[1] != "" {
			s += " on " + parts[1]
		}
		if parts[2] != "" {
			s += " at " + parts[2]
		}
		return s
	case r.Kind != "":
		return kindPlural(r.Kind) + " on any page"
	}
	return "friction or errors"
}

// sessions is "1 session" or "n sessions".
func sessions(n int) string {
	if n == 1 {
		return "1 session"
	}
	return strconv.Itoa(n) + " sessions"
}

// Window is a rule's window as people say it: "30 min", "1 h", "2 days".
func Window(d time.Duration) string {
	switch m := int(d / time.Minute); {
	case m%(24*60) == 0 && m >= 24*60:
		if m == 24*60 {
			return "1 day"
		}
		return strconv.Itoa(m/(24*60)) + " days"
	case m%60 == 0 && m >= 60:
		return strconv.Itoa(m/60) + " h"
	default:
		return strconv.Itoa(m) + " min"
	}
}
