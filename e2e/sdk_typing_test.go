package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReplayedInputFollowsTyping types into fields of a page the SDK records, keeping the
// focus in the field (a search box is never left), and then scrubs the replay across the
// typing: at every moment the replayed field must show what the live field showed at most
// 0.5 s earlier, after a seek back from the end as after one forward. A plain field is
// compared by value; a card number field, masked whatever the options say, by the length of
// its asterisks, and its keystrokes must not each be recorded.
func TestReplayedInputFollowsTyping(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	ctx := browser(t)

	run(t, ctx, "open the recorded page",
		chromedp.Navigate(sdkPage(site, "sdk.html", `{"maskAllInputs": false}`)),
		waitFor(`window.Reel && Reel.getSessionId()`),
		// The live page notes each value its fields take, on its own clock (the SDK's).
		chromedp.Evaluate(`window.typed = {name: [], cc: []};
			for (const f of ["name", "cc"]) document.getElementById(f).addEventListener("input", (e) => typed[f].push([Date.now(), e.target.value]));`, nil),
	)
	typeSlowly := func(sel, text string, gap time.Duration) {
		run(t, ctx, "focus "+sel, chromedp.Focus(sel, chromedp.ByQuery))
		for _, c := range text {
			run(t, ctx, "type into "+sel, chromedp.KeyEvent(string(c)), chromedp.Sleep(gap))
		}
	}
	typeSlowly("#name", "shoes red", 180*time.Millisecond)
	// The field keeps the focus: nothing is sent on change or blur.
	run(t, ctx, "pause with the focus in the field", chromedp.Sleep(time.Second))
	typeSlowly("#cc", "4111111111111111", 40*time.Millisecond)
	run(t, ctx, "pause again", chromedp.Sleep(time.Second))

	var typedJSON string
	run(t, ctx, "read what the live page showed", chromedp.Evaluate(`JSON.stringify(typed)`, &typedJSON))
	var typed map[string][][2]any
	if err := json.Unmarshal([]byte(typedJSON), &typed); err != nil {
		t.Fatal(err)
	}
	id := flushSession(t, ctx, "flush")

	// The masked field's keystrokes were thinned: fewer Input events than keys typed.
	evs, _ := sessionEvents(t, r, id)
	stars := regexp.MustCompile(`^\*+$`)
	masked := 0
	for _, e := range evs {
		var d struct {
			Source int     `json:"source"`
			Text   *string `json:"text"`
		}
		if e.Type == 3 && json.Unmarshal(e.Data, &d) == nil && d.Source == 5 && d.Text != nil && stars.MatchString(*d.Text) {
			masked++
		}
	}
	if masked == 0 || masked >= len(typed["cc"]) {
		t.Fatalf("%d Input events recorded for the masked field over %d keystrokes, want at least one and fewer than the keystrokes", masked, len(typed["cc"]))
	}
	t.Logf("masked field: %d keystrokes, %d recorded values", len(typed["cc"]), masked)

	var s struct {
		StartedAt time.Time `json:"startedAt"`
	}
	r.api(t, "/api/v1/sessions/"+id, &s)
	base := s.StartedAt.UnixMilli()
	// The recording's first page, a few ms after its start: a seek before it shows it.
	firstPage := base
	for _, e := range evs {
		if e.Type == 2 {
			firstPage = e.Timestamp
			break
		}
	}

	run(t, ctx, "open the replay, paused",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/"+id+"?t=1"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			waitFor(`(() => { const f = document.querySelector('[data-testid=player] iframe'); return !!(f && f.contentDocument && f.contentDocument.getElementById("name")); })()`),
		)...)
	var totalMs int64
	run(t, ctx, "read the length", chromedp.Evaluate(`Number(document.querySelector('[data-testid=time]').dataset.totalMs)`, &totalMs))

	// liveAt returns the live field's value at epoch ms at (what it held before its first
	// input event is "").
	liveAt := func(field string, at int64) string {
		v := ""
		for _, e := range typed[field] {
			if int64(e[0].(float64)) <= at {
				v = e[1].(string)
			}
		}
		return v
	}
	clickAt := func(ms int64) chromedp.Action {
		return chromedp.ActionFunc(func(c context.Context) error {
			var box []float64
			if err := chromedp.Evaluate(`(() => { const r = document.querySelector('[data-testid=scrubber]').getBoundingClientRect(); return [r.left, r.top, r.width, r.height, Number(document.querySelector('[data-testid=time]').dataset.totalMs)]; })()`, &box).Do(c); err != nil {
				return err
			}
			// The scrubber's right edge is outside it (a click there hits its neighbour): the
			// last moment is clicked one pixel in, a few ms before the end.
			x := min(box[0]+box[2]*float64(ms)/box[4], box[0]+box[2]-1)
			return chromedp.MouseClickXY(x, box[1]+box[3]/2).Do(c)
		})
	}
	read := `(() => { const d = document.querySelector('[data-testid=player] iframe').contentDocument;
		return JSON.stringify([` + playerTime + `, d.getElementById("name").value, d.getElementById("cc").value]); })()`

	check := func(field string, first, last int64, same func(replayed, live string) bool) {
		checked := 0
		// From just before the first keystroke, but never before the recording's first page.
		for at := max(first-200, firstPage); at <= min(last+800, base+totalMs); at += 100 {
			target := at - base
			run(t, ctx, fmt.Sprintf("seek to %d ms", target), clickAt(target), waitFor(fmt.Sprintf(`Math.abs(%s - %d) < 60`, playerTime, target)))
			var out string
			run(t, ctx, "read the replayed field", chromedp.Evaluate(read, &out))
			var got [3]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			now := base + int64(got[0].(float64))
			replayed := got[1].(string)
			if field == "cc" {
				replayed = got[2].(string)
			}
			// The replay may be up to 0.5 s behind the live page, never ahead of it.
			ok := false
			var seen []string
			for back := int64(0); back <= 500; back += 10 {
				live := liveAt(field, now-back)
				seen = append(seen, live)
				if same(replayed, live) {
					ok = true
					break
				}
			}
			if !ok {
				t.Fatalf("at %d ms the replayed %s shows %q; the live field showed %q in the 0.5 s before", now-base, field, replayed, strings.Join(unique(seen), `", "`))
			}
			checked++
		}
		t.Logf("%s: %d moments checked", field, checked)
	}
	first := func(f string) int64 { return int64(typed[f][0][0].(float64)) }
	last := func(f string) int64 { return int64(typed[f][len(typed[f])-1][0].(float64)) }
	// From the end, where the fields are full, the checks start by seeking back to the start.
	run(t, ctx, "seek to the end", clickAt(totalMs), waitFor(fmt.Sprintf(`Math.abs(%s - %d) < 60`, playerTime, totalMs)))
	check("name", first("name"), last("name"), func(a, b string) bool { return a == b })
	look(t, ctx, "replay-typing.png")
	check("cc", first("cc"), last("cc"), func(a, b string) bool { return stars.MatchString(a) && len(a) == len(b) || a == "" && b == "" })

	var shown string
	run(t, ctx, "the replay shows the typed text", chromedp.Evaluate(`document.querySelector('[data-testid=player] iframe').contentDocument.getElementById("name").value`, &shown))
	if shown != "shoes red" {
		t.Fatalf("replayed name field shows %q at the end, want %q", shown, "shoes red")
	}
}

func unique(xs []string) []string {
	var out []string
	for _, x := range xs {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
