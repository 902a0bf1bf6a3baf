package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reelhq/reel/internal/export/playwright"
)

// TestPlaywrightExportPasses records a visit of the demo shop with the real SDK in Chromium
// (a masked search, a product into the cart, the cart, checkout with a name typed and the form
// sent incomplete), exports it with `reel export --format playwright` and runs it with `npx playwright test`
// against the same shop: it passes, and fails when what the page shows differs from what the
// user saw.
func TestPlaywrightExportPasses(t *testing.T) {
	if _, err := os.Stat("playwright/node_modules/@playwright/test"); err != nil {
		t.Fatalf("e2e/playwright has no node_modules (scripts/test runs npm ci there): %v", err)
	}
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	var sessionID string
	run(t, ctx, "walk the demo shop",
		chromedp.Navigate(r.URL+"/demo/"),
		waitFor(visible(`[data-testid=add-to-cart]`)),
		chromedp.SendKeys(`[data-testid=search]`, "tote", chromedp.ByQuery),
		waitFor(`document.querySelector("[data-testid=product-grid]").dataset.stockAnswers === "2"`),
		chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(`[data-testid=cart-link]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=checkout-link]`)),
		chromedp.Click(`[data-testid=checkout-link]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=field-name]`)),
		chromedp.SendKeys(`[data-testid=field-name]`, "Ada Lovelace", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("[data-testid=checkout-submit]").scrollIntoView({block: "center", behavior: "instant"})`, nil),
		chromedp.Sleep(150*time.Millisecond),
		chromedp.Click(`[data-testid=checkout-submit]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=validation-error]`)),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, &sessionID, awaitPromise),
	)
	// The test comes out of `reel export --format playwright`, as a person would run it.
	dir, err := os.MkdirTemp("playwright", "generated-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	env := []string{"REEL_SERVER=" + r.URL, "REEL_TOKEN=" + createToken(t, r)}
	if stdout, stderr, ok := reelCLI(t, env, "export", sessionID, "--format", "playwright", "-o", dir); !ok {
		t.Fatalf("reel export --format playwright: %s %s", stdout, stderr)
	}
	spec := filepath.Join(dir, sessionID+".spec.ts")
	source, err := os.ReadFile(spec)
	if err != nil {
		t.Fatalf("the export wrote no %s: %v", filepath.Base(spec), err)
	}
	// The generator's own view of the same events: what it found to assert.
	var events []json.RawMessage
	r.api(t, "/api/v1/sessions/"+sessionID+"/events", &events)
	test, err := playwright.Generate(events, playwright.Options{SessionID: sessionID})
	if err != nil {
		t.Fatal(err)
	}
	if string(test.Source) != string(source) {
		t.Errorf("reel export wrote another test than the generator makes of the events API's answer")
	}
	src := string(source)
	t.Logf("exported test:\n%s", src)
	// What a reader of the test should find in it: the pages, the masked fields as named
	// placeholders, the clicks by test id, and the errors the user saw.
	for _, want := range []string{
		`await page.goto(BASE + "/demo/");`,
		`await page.getByTestId("search").fill(process.env.REEL_INPUT_1 ?? "placeholder"); // typed 4 characters, masked in the recording`,
		`await page.waitForURL(BASE + "/demo/cart.html");`,
		`await page.waitForURL(BASE + "/demo/checkout.html");`,
		`.fill(process.env.REEL_INPUT_2 ?? "placeholder"); // typed 12 characters`,
		`await page.getByTestId("checkout-submit").click();`,
		`await expect(page).toHaveURL(BASE + "/demo/checkout.html");`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the exported test lacks %q", want)
		}
	}
	// The name was typed before the form was sent, though the SDK recorded it just after.
	if i, j := strings.Index(src, "REEL_INPUT_2 ??"), strings.Index(src, `getByTestId("checkout-submit").click()`); i < 0 || j < 0 || i > j {
		t.Error("the exported test sends the form before typing the name")
	}
	if len(test.Errors) == 0 {
		t.Fatalf("the export asserts no error text; the user saw the form's validation errors")
	}
	if strings.Contains(src, "Ada Lovelace") || strings.Contains(src, "tote") {
		t.Fatal("the export holds what was typed into masked fields")
	}

	runPW := func(timeoutMS string, env ...string) (string, error) {
		cmd := exec.Command("npx", "--no-install", "playwright", "test", "--config", "playwright.config.ts")
		cmd.Dir = "playwright"
		cmd.Env = append(os.Environ(), append([]string{
			"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1", "REEL_SPEC_DIR=" + filepath.Base(dir), "REEL_PW_TIMEOUT_MS=" + timeoutMS,
			"REEL_BASE_URL=" + r.URL, "REEL_INPUT_1=tote", "CI=1",
		}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := runPW("60000")
	if err != nil || !strings.Contains(out, "1 passed") {
		t.Fatalf("npx playwright test: %v\n%s", err, out)
	}
	// The same test against a page that shows something else fails: the shop's search finds
	// nothing for this, so there is no product to add.
	out, err = runPW("5000", "REEL_INPUT_1=no-such-product-at-all")
	if err == nil || !strings.Contains(out, "1 failed") {
		t.Fatalf("the exported test passed where the visit cannot happen: %v\n%s", err, out)
	}
}
