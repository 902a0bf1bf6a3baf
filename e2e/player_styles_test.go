package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerReplaysHoverStyles checks the player's own stylesheet adaptation (CSSOM instead of
// rrweb's postcss pass): :hover rules get their .\:hover twins, selector lists with commas
// inside :is() stay whole, and the rest of the sheet is untouched.
func TestPlayerReplaysHoverStyles(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	const css = `.plain{color:rgb(1, 2, 3)} .btn:hover{color:rgb(255, 0, 0)} :is(.a, .b):hover > span, .c{color:rgb(0, 128, 0)} @media (min-width: 10px){.m:hover{color:rgb(0, 0, 255)}}` +
		// Braces and semicolons inside strings are not rule boundaries.
		` .q[title="x{y};"]:hover{color:rgb(0, 0, 7)} .z::after{content:"a:hover{"} .z:hover{color:rgb(0, 0, 9)}`
	// A comment in a selector list takes the CSSOM path; the result must be the same.
	const commented = `/* note */ .k:hover{color:rgb(0, 0, 11)}`
	var d dom
	doc := d.page(
		d.el("style", map[string]any{"_cssText": css}),
		d.el("button", map[string]any{"class": "btn :hover", "id": "b"}, d.text("hovered button")),
		d.el("div", map[string]any{"class": "a :hover"}, d.el("span", map[string]any{"id": "s"}, d.text("inside"))),
		d.el("p", map[string]any{"class": "plain", "id": "p"}, d.text("plain")),
		d.el("p", map[string]any{"class": "m :hover", "id": "m"}, d.text("media")),
		d.el("style", map[string]any{"_cssText": commented}),
		d.el("p", map[string]any{"class": "q :hover", "title": "x{y};", "id": "q"}, d.text("quoted")),
		d.el("p", map[string]any{"class": "z :hover", "id": "z"}, d.text("after")),
		d.el("p", map[string]any{"class": "k :hover", "id": "k"}, d.text("commented")),
	)
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	ingest(t, r, "s_hoverstyles1", "t_tab00000001", 0, []string{metaEv(t0, "https://shop.example/"), fullEv(t0+1, doc), moveEv(t0+500, 1, 1)})

	color := func(id string) string {
		return `getComputedStyle(document.querySelector('[data-testid=player] iframe').contentDocument.getElementById('` + id + `')).color`
	}
	var got []string
	run(t, ctx, "open and read the replayed styles",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/s_hoverstyles1?t=100"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			waitFor(contains(frameText, "hovered button")),
			chromedp.Evaluate(`[`+color("b")+`, `+color("s")+`, `+color("p")+`, `+color("m")+`, `+color("q")+`, `+color("z")+`, `+color("k")+`]`, &got),
		)...)
	want := []string{"rgb(255, 0, 0)", "rgb(0, 128, 0)", "rgb(1, 2, 3)", "rgb(0, 0, 255)", "rgb(0, 0, 7)", "rgb(0, 0, 9)", "rgb(0, 0, 11)"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("replayed colours = %v, want %v (hover twins missing or sheet changed)", got, want)
		}
	}
}
