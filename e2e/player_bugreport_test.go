package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestBugReportCopied: "Bug report" in the player puts Markdown on the clipboard (read back
// through the page's own Clipboard API, permission granted as a person would) and shows the
// same text: the replay link at the moment, the steps up to it with elements named and typing
// without what was typed, the errors and the failed request before it, and the browser. What
// happened after the moment (the rage clicks) is not in it.
func TestBugReportCopied(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	t0 := time.Now().Add(-10 * time.Minute).UnixMilli()
	id := richSession(t, r, t0)

	run(t, ctx, "log in", loginActions(r)...)
	run(t, ctx, "grant the clipboard", chromedp.ActionFunc(func(ctx context.Context) error {
		return cdpbrowser.GrantPermissions([]cdpbrowser.PermissionType{cdpbrowser.PermissionTypeClipboardReadWrite, cdpbrowser.PermissionTypeClipboardSanitizedWrite}).WithOrigin(r.URL).Do(ctx)
	}))
	var shown, clipboard, status string
	run(t, ctx, "copy a bug report at 0:05",
		chromedp.Navigate(r.URL+"/sessions/"+id+"?t=5000"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Payment failed")),
		waitFor(`!document.querySelector("[data-testid=bug-report]").disabled`),
		chromedp.Click(`[data-testid=bug-report]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=bug-report-text]`)),
		waitFor(contains(`document.querySelector("[data-testid=bug-report-status]").innerText`, "Copied as Markdown")),
		chromedp.Text(`[data-testid=bug-report-status]`, &status, chromedp.ByQuery),
		chromedp.Value(`[data-testid=bug-report-text]`, &shown, chromedp.ByQuery),
		chromedp.Evaluate(`navigator.clipboard.readText()`, &clipboard, awaitPromise),
	)
	if clipboard != shown {
		t.Fatalf("the clipboard holds\n%s\nthe popover shows\n%s", clipboard, shown)
	}
	t.Logf("status %q, report:\n%s", status, clipboard)
	link := regexp.MustCompile(`(?m)^\*\*Replay:\*\* (\S+) \(at 0:05\)$`).FindStringSubmatch(clipboard)
	if link == nil || link[1] != r.URL+"/sessions/"+id+"?t=5000" {
		t.Errorf("replay link = %q, want %s/sessions/%s?t=5000", link, r.URL, id)
	}
	for _, want := range []string{
		"## Bug on `/checkout` at 0:05 of a recorded visit\n",
		"**Page:** `https://shop.example/checkout`\n",
		"**Browser:** Chrome 156 · Linux · desktop",
		"**User:** `ada@example.com`",
		"### Steps\n\n1. Opened `https://shop.example/checkout` (0:00)\n2. Clicked `input` (0:01)\n3. Typed into `input` (0:01)\n4. Clicked `input` (0:03)\n",
		"### Console errors\n\n- `console.error: payment failed` (0:04)\n- `TypeError: Cannot read properties of undefined (reading 'total')` (0:04)\n",
		"### Failed requests\n\n- `POST https://shop.example/api/pay` → 500 (0:03)\n",
		"_Recorded with Reel, session `" + id + "`._",
	} {
		if !strings.Contains(clipboard, want) {
			t.Errorf("the report lacks\n%s", want)
		}
	}
	// After the moment: four clicks on the heading at 0:06. Typed text is never quoted.
	steps := clipboard[strings.Index(clipboard, "### Steps"):]
	if strings.Contains(steps, "h1") || strings.Contains(clipboard, "****") {
		t.Errorf("the report holds what came after its moment, or the masked text")
	}

	// Later in the recording the report follows the moment: the rage clicks are one step.
	run(t, ctx, "copy again at 0:07",
		chromedp.Click(`[data-testid=bug-report]`, chromedp.ByQuery), // closes
		chromedp.Navigate(r.URL+"/sessions/"+id+"?t=7000"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(`!document.querySelector("[data-testid=bug-report]").disabled`),
		chromedp.Click(`[data-testid=bug-report]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector("[data-testid=bug-report-status]").innerText`, "Copied as Markdown")),
		chromedp.Evaluate(`navigator.clipboard.readText()`, &clipboard, awaitPromise),
	)
	if !strings.Contains(clipboard, "5. Clicked `h1 \"Step one\"` (×4) (0:06)") && !strings.Contains(clipboard, "Clicked `h1 \"Payment failed\"` (×4) (0:06)") {
		t.Errorf("the rage clicks are not one step:\n%s", clipboard)
	}
}
