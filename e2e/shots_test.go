package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// shoot saves the page into $REEL_SCREENSHOTS when it is set: scripts/screenshots uses it to
// refresh the pictures in docs/screenshots, so only the pictures docs show are shot.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	save(t, ctx, os.Getenv("REEL_SCREENSHOTS"), name)
}

// look saves the page into $REEL_E2E_SHOTS when it is set, for people to look at what a test
// saw.
func look(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	save(t, ctx, os.Getenv("REEL_E2E_SHOTS"), name)
}

func save(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	var png []byte
	run(t, ctx, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
