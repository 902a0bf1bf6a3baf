package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// appSite serves the third-party app pages of testdata/apps (each records itself with the SDK:
// {{ENDPOINT}} and {{KEY}} filled in) and their stylesheets and, under /npm/, the files of the npm packages they use,
// installed in e2e/apps (scripts/test runs npm ci there), on an origin of their own.
func appSite(t *testing.T, endpoint, key string) *httptest.Server {
	t.Helper()
	modules, err := filepath.Abs("apps/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, ".package-lock.json")); err != nil {
		t.Fatalf("e2e/apps has no node_modules (run npm ci in e2e/apps; scripts/test does): %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/npm/", http.StripPrefix("/npm/", http.FileServer(http.Dir(modules))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if strings.Contains(name, "..") || !strings.HasSuffix(name, ".html") && !strings.HasSuffix(name, ".css") {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", "apps", name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(name, ".css") {
			w.Header().Set("Content-Type", "text/css; charset=utf-8")
			w.Write(b)
			return
		}
		b = bytes.ReplaceAll(b, []byte("{{ENDPOINT}}"), []byte(endpoint))
		b = bytes.ReplaceAll(b, []byte("{{KEY}}"), []byte(key))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// rect is a region of the browser's viewport, in CSS pixels.
type rect struct{ X, Y, W, H float64 }

// shotOf screenshots a region of the viewport: what a person sees there.
func shotOf(t *testing.T, ctx context.Context, step string, r rect) image.Image {
	t.Helper()
	var buf []byte
	run(t, ctx, step, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		buf, err = page.CaptureScreenshot().WithFormat(page.CaptureScreenshotFormatPng).
			WithClip(&page.Viewport{X: r.X, Y: r.Y, Width: r.W, Height: r.H, Scale: 1}).Do(ctx)
		return err
	}))
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return img
}

// liveRect is the viewport region of the first element matching sel in the page.
func liveRect(t *testing.T, ctx context.Context, sel string) rect {
	t.Helper()
	var r rect
	run(t, ctx, "measure "+sel, chromedp.Evaluate(fmt.Sprintf(`(() => {
		const b = document.querySelector(%q).getBoundingClientRect();
		return { X: b.left, Y: b.top, W: b.width, H: b.height };
	})()`, sel), &r))
	return r
}

// replayRect is the viewport region, in the dashboard, of the first element matching sel in the
// player's replay frame (at 1:1, the frame is not scaled).
func replayRect(t *testing.T, ctx context.Context, sel string) rect {
	t.Helper()
	var r rect
	run(t, ctx, "measure replayed "+sel, chromedp.Evaluate(fmt.Sprintf(`(() => {
		const f = document.querySelector('[data-testid=player] iframe');
		const s = f.closest('.replayer-wrapper').getBoundingClientRect();
		const k = s.width / f.offsetWidth;
		const fr = f.getBoundingClientRect();
		const b = f.contentDocument.querySelector(%q).getBoundingClientRect();
		return { X: fr.left + b.left * k, Y: fr.top + b.top * k, W: b.width * k, H: b.height * k };
	})()`, sel), &r))
	return r
}

// pixelDiff compares two pictures of the same size: the share of pixels whose colour differs
// by more than tol in some channel (0..255), and whether the sizes match.
func pixelDiff(a, b image.Image, tol int) (float64, bool) {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return 1, false
	}
	differ := 0
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			d := max(chanDiff(r1, r2), chanDiff(g1, g2), chanDiff(b1, b2)) >> 8
			if int(d) > tol {
				differ++
			}
		}
	}
	return float64(differ) / float64(ab.Dx()*ab.Dy()), true
}

func chanDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// inked is the share of pixels that are not near white: how much of a picture is drawn.
func inked(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if math.Min(float64(r), math.Min(float64(g), float64(bl)))/257 < 230 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

// savePNG writes a picture into $REEL_E2E_SHOTS when it is set, for people to look at.
func savePNG(t *testing.T, name string, img image.Image) {
	t.Helper()
	dir := os.Getenv("REEL_E2E_SHOTS")
	if dir == "" {
		return
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
