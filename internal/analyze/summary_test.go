package analyze

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// page is a recording of one page with a single button whose text is text and whose test id
// is testid, clicked rapidly four times (a rage click) at `at`.
func hostilePage(url, testid, text string, at int64) *rec {
	r := &rec{}
	r.add(4, at, fmt.Sprintf(`{"href":%q,"width":1280,"height":800}`, url))
	attrs, _ := json.Marshal(map[string]string{"data-testid": testid})
	tj, _ := json.Marshal(text)
	r.add(2, at+1, fmt.Sprintf(`{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":10,"tagName":"button","attributes":%s,"childNodes":[{"type":3,"id":11,"textContent":%s}]}]}]},"initialOffset":{"left":0,"top":0}}`, attrs, tj))
	for i := range 4 {
		r.click(at+1000+int64(i)*150, 11, 100, 200)
	}
	return r
}

// TestSummaryQuotesHostileText: whatever a clicked element's text holds (quotes of every
// kind, newlines, right-to-left script, emoji, 10 kB, masked text), the summary quotes it whole
// up to 40 characters, on one line, in valid UTF-8, without selector text leaking in.
func TestSummaryQuotesHostileText(t *testing.T) {
	cases := []struct {
		name, testid, text string
		want               string // the quoted part of the summary
	}{
		{"double quotes", `apply-coupon"] "x`, `Apply "best" coupon`, `rage-clicked ‘Apply "best" coupon’ on /cart`},
		{"quote at the end", "pay", `Say "hi"`, `rage-clicked ‘Say "hi"’ on /cart`},
		{"single and curly quotes", "q", `It’s ‘fine’ 'really' «ok» „ja“`, `rage-clicked ‘It’s ‘fine’ 'really' «ok» „ja“’ on /cart`},
		{"backslashes", `a\"b`, `C:\path\"x\\`, `rage-clicked ‘C:\path\"x\\’ on /cart`},
		{"newlines and tabs", "n", "Apply\n\tcoupon\r\nnow", `rage-clicked ‘Apply coupon now’ on /cart`},
		{"right to left", "rtl", "החל קופון", "rage-clicked ‘\u2068החל קופון\u2069’ on /cart"},
		{"bidi override", "bidi", "Pay\u202e yrros", `rage-clicked ‘Pay yrros’ on /cart`},
		{"emoji", "e", "🛒 Add 👩‍👩‍👧 to cart 🎉", `rage-clicked ‘🛒 Add 👩‍👩‍👧 to cart 🎉’ on /cart`},
		{"10 kB", "long", strings.Repeat("déjà vu ", 1280), `rage-clicked ‘déjà vu déjà vu déjà vu déjà vu déjà vu…’ on /cart`},
		{"masked", "secret", "*******", `rage-clicked a masked button on /cart`},
		{"masked long", "secret", strings.Repeat("*", 500), `rage-clicked a masked button on /cart`},
		{"no text", `x"y`, "", `rage-clicked button[data-testid="x\"y"] on /cart`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := hostilePage("http://shop/cart", tc.testid, tc.text, 0)
			rep := Analyze([][]json.RawMessage{r.events}, Facts{UserID: "u-1", Browser: "Chrome 156", OS: "Linux"}, Defaults)
			if !strings.Contains(rep.Summary, tc.want) {
				t.Fatalf("summary:\n%s\nwant it to contain\n%s", rep.Summary, tc.want)
			}
			if !utf8.ValidString(rep.Summary) || strings.ContainsAny(rep.Summary, "\n\r\t\u202e") || len(rep.Summary) > 400 {
				t.Fatalf("summary is not one short clean line: %q", rep.Summary)
			}
			if len(rep.Signals) != 1 || Fingerprint(rep.Signals[0]) == "" {
				t.Fatalf("signals %+v", rep.Signals)
			}
		})
	}
}

// TestSummaryAttributesPagesToTheirTab: a form left in one tab while the visitor went on in
// another is said to be in the other tab, and the visit ends where it ended.
func TestSummaryAttributesPagesToTheirTab(t *testing.T) {
	checkout := visit("http://shop/checkout", 0)
	checkout.typed(1000, 80)
	checkout.typed(1500, 90)
	help := visit("http://shop/help", 3000).then(visit("http://shop/help/returns", 8000))
	help.scrollTo(9000, 600)
	rep := Analyze([][]json.RawMessage{checkout.events, help.events}, Facts{}, Defaults)
	want := "An anonymous visitor visited 3 pages in 2 tabs and left a form unsent on /checkout in another tab and ended on /help/returns."
	if rep.Summary != want {
		t.Fatalf("summary =\n%s\nwant\n%s", rep.Summary, want)
	}
	// The same visit in one tab: the form was left for the help pages.
	one := visit("http://shop/checkout", 0)
	one.typed(1000, 80)
	one.then(visit("http://shop/help", 4000))
	rep = Analyze([][]json.RawMessage{one.events}, Facts{}, Defaults)
	if want := "An anonymous visitor visited 2 pages and left /checkout without submitting the form."; rep.Summary != want {
		t.Fatalf("summary =\n%s\nwant\n%s", rep.Summary, want)
	}
}
