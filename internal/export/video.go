package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ErrNoFFmpeg and ErrNoChromium say what to install when a video cannot be made.
var (
	ErrNoFFmpeg   = errors.New("install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg)")
	ErrNoChromium = errors.New("install chromium (Debian/Ubuntu: apt-get install chromium)")
)

// FPS is the frame rate of exported videos: enough to follow a pointer, few frames to render.
const FPS = 10

// VideoOptions choose what of a session a video shows.
type VideoOptions struct {
	// From and To bound a clip, ms from the start of the tab's recording; To 0: a whole
	// session, its inactivity skipped. A clip shows its range as it happened, idle or not.
	From, To int64
	// Chromium is the browser's path; empty: found on PATH (chromium, chromium-browser,
	// google-chrome) or $CHROMIUM.
	Chromium string
	// Progress, when set, hears frames rendered out of all.
	Progress func(done, all int)
}

// Tools checks that ffmpeg and a Chromium are installed and returns their paths.
func Tools(chromium string) (ffmpeg, browser string, err error) {
	ffmpeg, err = exec.LookPath("ffmpeg")
	if err != nil {
		return "", "", ErrNoFFmpeg
	}
	if chromium == "" {
		chromium = os.Getenv("CHROMIUM")
	}
	if chromium != "" {
		if _, err := os.Stat(chromium); err != nil {
			return "", "", fmt.Errorf("%w: %s: %v", ErrNoChromium, chromium, err)
		}
		return ffmpeg, chromium, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return ffmpeg, p, nil
		}
	}
	return "", "", ErrNoChromium
}

// Video renders the first tab of s as a WebM (VP8) video into the file out (a file, so ffmpeg
// can write the duration and seek index into its header): the exported HTML player is
// opened in headless Chromium at the recording's viewport, shown paused at each frame's moment
// (FPS frames a second of the recording), and the screenshots are encoded by ffmpeg. Frames
// are taken at moments, not in real time, so a loaded machine makes a video slower to render,
// never a different one.
func Video(ctx context.Context, s *Session, out string, o VideoOptions) error {
	ffmpeg, chromium, err := Tools(o.Chromium)
	if err != nil {
		return err
	}
	if len(s.Tabs) == 0 {
		return fmt.Errorf("export: session %s has no events", s.Info.ID)
	}
	one := *s
	one.Tabs = s.Tabs[:1]
	doc, err := HTML(&one, true)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "reel-video-")
	if err != nil {
		return fmt.Errorf("export: video: %w", err)
	}
	defer func() {
		// Chromium's helpers may still be writing the profile for a moment after it exits.
		for i := 0; os.RemoveAll(tmp) != nil && i < 40; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	}()
	file := filepath.Join(tmp, "session.html")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		return fmt.Errorf("export: video: %w", err)
	}
	width, height := firstViewport(s.Tabs[0].Events)
	if width <= 0 || height <= 0 {
		width, height = s.Info.Viewport.Width, s.Info.Viewport.Height
	}
	if width <= 0 || height <= 0 {
		width, height = 1280, 720
	}
	// A recorded size is the visitor's word: a video is at most 4K's width and height.
	width, height = min(width, 3840), min(height, 2160)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Flag("hide-scrollbars", true),
		// The page is a file holding everything; nothing it shows may come from a network.
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
	)
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()

	var spans [][2]float64
	var total float64
	// The browser starts on bctx itself: a first Run on a context with a deadline would stop
	// the whole browser when that deadline passes.
	if err := chromedp.Run(bctx); err != nil {
		return fmt.Errorf("export: starting %s: %w", chromium, err)
	}
	// Each step is bounded, so a page that never shows a frame fails rather than hangs.
	octx, cancelO := context.WithTimeout(bctx, 2*time.Minute)
	defer cancelO()
	err = chromedp.Run(octx,
		emulation.SetDeviceMetricsOverride(int64(width), int64(height), 1, false),
		chromedp.Navigate("file://"+file),
		chromedp.Evaluate(`window.reelExport.ready.then(() => true)`, nil, awaitPromise),
		chromedp.Evaluate(`window.reelExport.active()`, &spans),
		chromedp.Evaluate(`window.reelExport.duration()`, &total),
	)
	if err != nil {
		return fmt.Errorf("export: video of %s: opening the player: %w", s.Info.ID, err)
	}
	times := FrameTimes(spans, int64(total), o.From, o.To)
	if len(times) == 0 {
		return fmt.Errorf("export: video of %s: nothing to show", s.Info.ID)
	}

	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
		"-f", "image2pipe", "-framerate", fmt.Sprint(FPS), "-c:v", "mjpeg", "-i", "-",
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "2M", "-pix_fmt", "yuv420p",
		"-f", "webm", out)
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("export: ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("export: starting ffmpeg: %w", err)
	}
	renderErr := func() error {
		defer in.Close()
		for i, t := range times {
			var shot []byte
			fctx, cancelF := context.WithTimeout(bctx, time.Minute)
			err := chromedp.Run(fctx,
				chromedp.Evaluate(fmt.Sprintf(`window.reelExport.show(%d).then(() => true)`, t), nil, awaitPromise),
				chromedp.ActionFunc(func(ctx context.Context) error {
					var err error
					shot, err = page.CaptureScreenshot().WithFormat(page.CaptureScreenshotFormatJpeg).WithQuality(90).
						WithClip(&page.Viewport{X: 0, Y: 0, Width: float64(width), Height: float64(height), Scale: 1}).Do(ctx)
					return err
				}),
			)
			cancelF()
			if err != nil {
				return fmt.Errorf("export: video of %s: frame at %s: %w", s.Info.ID, time.Duration(t)*time.Millisecond, err)
			}
			if _, err := in.Write(shot); err != nil {
				return fmt.Errorf("export: ffmpeg stopped: %w", err)
			}
			if o.Progress != nil {
				o.Progress(i+1, len(times))
			}
		}
		return nil
	}()
	waitErr := cmd.Wait()
	if renderErr != nil {
		return renderErr
	}
	if waitErr != nil {
		return fmt.Errorf("export: ffmpeg: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// firstViewport is the size the tab's first Meta event recorded (0, 0 without one).
func firstViewport(events []byte) (width, height int) {
	var evs []struct {
		Type int `json:"type"`
		Data struct {
			Width  int `json:"width"`
			Height int `json:"height"`
		} `json:"data"`
	}
	if json.Unmarshal(events, &evs) != nil {
		return 0, 0
	}
	for _, e := range evs {
		if e.Type == 4 { // rrweb Meta
			return e.Data.Width, e.Data.Height
		}
	}
	return 0, 0
}

// FrameTimes are the moments (ms from the start) a video shows, one every 1000/FPS ms: through
// the active spans of a whole session (idle gaps skipped; all of it when nothing was active),
// or through [from, to] of a clip as it happened.
func FrameTimes(spans [][2]float64, total, from, to int64) []int64 {
	step := int64(1000 / FPS)
	var out []int64
	if to > 0 {
		for t := from; t < to; t += step {
			out = append(out, t)
		}
		return out
	}
	if len(spans) == 0 {
		spans = [][2]float64{{0, float64(total)}}
	}
	for _, sp := range spans {
		for t := int64(sp[0]); t < int64(sp[1]); t += step {
			out = append(out, t)
		}
	}
	return out
}

func writeVideo(ctx context.Context, s *Session, dir string) ([]string, error) {
	name := s.Info.ID + ".webm"
	// Rendered beside its final name and renamed, so a file of that name is always whole.
	part := filepath.Join(dir, "."+name+".part")
	defer os.Remove(part)
	if err := Video(ctx, s, part, VideoOptions{Progress: progressOf(ctx)}); err != nil {
		return nil, err
	}
	if err := os.Rename(part, filepath.Join(dir, name)); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return []string{name}, nil
}
