package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// exportSession is a recorded session made for the export tests: a page whose cross-origin
// stylesheet paints a green box from an image (only the archive keeps both), a status line
// that changes, and two bursts of pointer activity 25 s apart.
type exportSession struct {
	id       string
	t0       int64
	activeMS int64
}

// ingestExportSession sends the session through the real ingest endpoint.
func ingestExportSession(t *testing.T, r *reel, assets string, id string) exportSession {
	t.Helper()
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	d := &dom{}
	status := d.text("Status: step one")
	statusEl := d.el("p", map[string]any{"id": "status"}, status)
	head := d.el("head", nil,
		d.el("link", map[string]any{"rel": "stylesheet", "href": assets + "/site.css"}),
		d.el("style", nil, d.text("body{font:24px sans-serif;margin:20px;background:#fff}")))
	body := d.el("body", nil, d.el("h1", nil, d.text("Order 1234 confirmed")), statusEl, d.el("div", map[string]any{"class": "hero"}))
	html := d.el("html", nil, head, body)
	doc := node{"type": 0, "childNodes": []node{{"type": 1, "name": "html", "publicId": "", "systemId": "", "id": d.id()}, html}, "id": d.id()}

	first := []string{metaEv(t0, "https://shop.example/order"), fullEv(t0, doc)}
	for at := int64(500); at <= 5000; at += 500 {
		first = append(first, moveEv(t0+at, int(at/10), 300))
	}
	first = append(first, textEv(t0+3000, status["id"].(int), "Status: step two"))
	var second []string
	for at := int64(30000); at <= 34000; at += 500 {
		second = append(second, moveEv(t0+at, int(at/100), 400))
	}
	second = append(second, textEv(t0+32000, status["id"].(int), "Status: step three"))
	ingest(t, r, id, "t_exporttab01", 0, first)
	ingest(t, r, id, "t_exporttab01", 1, second)
	return exportSession{id: id, t0: t0, activeMS: 4500 + 4000}
}

// reelCLI runs the reel binary with env added to the test's, and returns its stdout, stderr
// and whether it exited 0.
func reelCLI(t *testing.T, env []string, args ...string) (string, string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, reelBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

func createToken(t *testing.T, r *reel) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/tokens", strings.NewReader(`{"name":"export","scope":"read","user":"`+adminEmail+`"}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || json.Unmarshal(b, &tok) != nil || tok.Token == "" {
		t.Fatalf("POST /api/v1/tokens = %d %s", resp.StatusCode, b)
	}
	return tok.Token
}

func exportAssets(t *testing.T) *httptest.Server {
	green := solidPNG(8, 8, color.RGBA{0, 200, 0, 255})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case "/site.css":
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, `.hero{width:400px;height:160px;background:url(img/green.png) repeat}`)
		case "/img/green.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(green)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// countGreen counts the pixels of a PNG that are the archived image's green.
func countGreen(t *testing.T, b []byte) (green, all int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding a screenshot: %v", err)
	}
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 < 40 && g>>8 > 160 && b>>8 < 40 {
				green++
			}
			all++
		}
	}
	return green, all
}

// TestExportRRwebHTMLAndVideo records a session, exports it in each format with the real
// binary against the running server, and checks each file as a person would use it: the rrweb
// JSON in rrweb's own Replayer, the HTML opened from disk with the network cut, the video with
// ffprobe and its frames. Then every kind of bad input.
func TestExportRRwebHTMLAndVideo(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "6s", "--archive-private")
	assets := exportAssets(t)
	token := createToken(t, r)
	env := []string{"REEL_SERVER=" + r.URL, "REEL_TOKEN=" + token}
	s := ingestExportSession(t, r, assets.URL, "s_export000001")
	out := t.TempDir()

	// Still recording (not compacted yet): said, and what is stored is exported.
	var sess struct {
		EndedAt     time.Time
		ActiveMS    int64 `json:"activeMs"`
		CompactedAt *time.Time
	}
	r.api(t, "/api/v1/sessions/"+s.id, &sess)
	stdout, stderr, ok := reelCLI(t, env, "export", s.id, "--format", "rrweb", "-o", out)
	if !ok {
		t.Fatalf("export of a session being recorded failed: %s %s", stdout, stderr)
	}
	want := fmt.Sprintf("%s: still recording: exported what is stored up to %s UTC", s.id, sess.EndedAt.UTC().Format(time.TimeOnly))
	if !strings.Contains(stdout, want) {
		t.Errorf("export of a session being recorded said %q, want %q", stdout, want)
	}
	if sess.ActiveMS != s.activeMS {
		t.Fatalf("the session's active time is %d ms, want %d", sess.ActiveMS, s.activeMS)
	}

	// Wait for compaction and the archive of the stylesheet and its image.
	deadline := time.Now().Add(90 * time.Second)
	for {
		var list struct{ Resources []struct{ URL, Path string } }
		r.api(t, "/api/v1/sessions/"+s.id+"/archive", &list)
		n := 0
		for _, x := range list.Resources {
			if x.Path != "" {
				n++
			}
		}
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive after 90 s = %+v; reel stderr:\n%s", list, r.logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
	// A second session that the query below leaves out (no activity).
	ingest(t, r, "s_export000002", "t_exporttab02", 0, []string{metaEv(s.t0, "https://shop.example/"), fullEv(s.t0, (&dom{}).page())})

	t.Run("rrweb", func(t *testing.T) {
		dir := t.TempDir()
		stdout, stderr, ok := reelCLI(t, env, "export", "--query", "active:>5s since:1d", "--format", "rrweb", "-o", dir)
		if !ok {
			t.Fatalf("export --query: %s %s", stdout, stderr)
		}
		if strings.Contains(stdout, "still recording") || strings.Contains(stdout, "\r") {
			t.Errorf("plain output of a compacted session = %q", stdout)
		}
		if want := fmt.Sprintf("1/1 %s: %s.rrweb.json, %s.meta.json\n", s.id, s.id, s.id); stdout != want {
			t.Errorf("output = %q, want %q (one plain line per session)", stdout, want)
		}
		got, err := os.ReadFile(filepath.Join(dir, s.id+".rrweb.json"))
		if err != nil {
			t.Fatal(err)
		}
		var api json.RawMessage
		r.api(t, "/api/v1/sessions/"+s.id+"/events", &api)
		if !bytes.Equal(got, api) {
			t.Errorf("exported events (%d bytes) differ from the API's (%d bytes)", len(got), len(api))
		}
		var meta struct {
			Session struct{ ID string }
			Tabs    []struct{ File string }
		}
		if b, err := os.ReadFile(filepath.Join(dir, s.id+".meta.json")); err != nil || json.Unmarshal(b, &meta) != nil || meta.Session.ID != s.id || len(meta.Tabs) != 1 {
			t.Errorf("meta = %+v (%v)", meta, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "s_export000002.rrweb.json")); err == nil {
			t.Errorf("the query's export holds a session it does not match")
		}

		// rrweb's own Replayer, not Reel's player, replays the file.
		rrwebJS, err := os.ReadFile("../web/node_modules/rrweb/dist/rrweb.umd.min.cjs")
		if err != nil {
			t.Fatal(err)
		}
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			switch req.URL.Path {
			case "/rrweb.js":
				w.Header().Set("Content-Type", "text/javascript")
				w.Write(rrwebJS)
			case "/events.json":
				w.Header().Set("Content-Type", "application/json")
				w.Write(got)
			default:
				fmt.Fprint(w, `<!doctype html><html><body><div id="root"></div><script src="/rrweb.js"></script></body></html>`)
			}
		}))
		defer page.Close()
		ctx := browser(t)
		var early, late string
		run(t, ctx, "replay in rrweb",
			chromedp.Navigate(page.URL+"/"),
			waitFor(`window.rrweb && window.rrweb.Replayer`),
			chromedp.Evaluate(`fetch("/events.json").then(r => r.json()).then(evs => { window.rp = new rrweb.Replayer(evs, { root: document.getElementById("root") }); window.rp.pause(1000); return true })`, nil, awaitPromise),
			chromedp.Evaluate(`window.rp.iframe.contentDocument.body.innerText`, &early),
			chromedp.Evaluate(`window.rp.pause(33000), window.rp.iframe.contentDocument.body.innerText`, &late),
		)
		if !strings.Contains(early, "Order 1234 confirmed") || !strings.Contains(early, "step one") || !strings.Contains(late, "step three") {
			t.Errorf("rrweb's Replayer shows %q at 1 s and %q at 33 s", early, late)
		}
	})

	t.Run("html", func(t *testing.T) {
		dir := t.TempDir()
		if stdout, stderr, ok := reelCLI(t, env, "export", s.id, "--format", "html", "-o", dir); !ok {
			t.Fatalf("export html: %s %s", stdout, stderr)
		}
		file := filepath.Join(dir, s.id+".html")
		if st, err := os.Stat(file); err == nil {
			t.Logf("the HTML export is %d kB", st.Size()/1024)
		}
		ctx := browser(t)
		var mu sync.Mutex
		var requests []string
		chromedp.ListenTarget(ctx, func(ev any) {
			if e, ok := ev.(*network.EventRequestWillBeSent); ok {
				u := e.Request.URL
				if !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
					mu.Lock()
					requests = append(requests, u)
					mu.Unlock()
				}
			}
		})
		frame := `(() => { const f = document.querySelector('.stage iframe'); return f && f.contentDocument && f.contentDocument.body ? f.contentDocument.body.innerText : "" })()`
		var shot []byte
		var timeText string
		run(t, ctx, "open the file offline",
			network.Enable(),
			network.EmulateNetworkConditions(true, 0, 0, 0),
			chromedp.Navigate("file://"+file),
			waitFor(contains(frame, "step one")),
			waitFor(contains(frame, "Order 1234 confirmed")),
		)
		run(t, ctx, "play",
			chromedp.Click(`button.play`, chromedp.ByQuery),
			waitFor(`document.querySelector('button.play').textContent === 'Pause'`),
			waitFor(`!document.querySelector('.time').textContent.startsWith('0:00 ')`),
			waitFor(contains(frame, "step two")),
			chromedp.Click(`button.play`, chromedp.ByQuery),
		)
		run(t, ctx, "seek",
			chromedp.Evaluate(`(() => { const b = document.querySelector('.seek'); b.value = "33000"; b.dispatchEvent(new Event("input")); return true })()`, nil),
			waitFor(contains(frame, "step three")),
			chromedp.Text(`.time`, &timeText, chromedp.ByQuery),
			chromedp.Sleep(500*time.Millisecond),
			chromedp.CaptureScreenshot(&shot),
		)
		if !strings.HasPrefix(timeText, "0:33") {
			t.Errorf("after seeking to 33 s the time reads %q", timeText)
		}
		g, all := countGreen(t, shot)
		// The archived image paints the 400×160 box (scaled to fit the window): without the
		// inlined stylesheet and image there would be none.
		if g < 20000 {
			t.Errorf("the replay shows %d green pixels of %d: the archived stylesheet or image is missing", g, all)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(requests) > 0 {
			t.Errorf("the exported file made network requests: %q", requests)
		}
	})

	t.Run("video", func(t *testing.T) {
		dir := t.TempDir()
		if stdout, stderr, ok := reelCLI(t, env, "export", s.id, "--format", "video", "-o", dir); !ok {
			t.Fatalf("export video: %s %s", stdout, stderr)
		}
		file := filepath.Join(dir, s.id+".webm")
		w, h, dur := probe(t, file)
		if w != 1000 || h != 640 {
			t.Errorf("video is %dx%d, want the recording's viewport 1000x640", w, h)
		}
		// One frame per 100 ms of activity: the two bursts (4.5 s and 4 s) without the 25 s
		// gap between them. Each burst may end up to a frame short or long.
		if active := float64(s.activeMS) / 1000; math.Abs(dur-active) > 0.3 {
			t.Errorf("video lasts %.2f s, want the active %.2f s (± 0.3)", dur, active)
		}
		a, b := frameAt(t, file, 1), frameAt(t, file, 7.5)
		d := differing(a, b)
		t.Logf("video %dx%d, %.2f s for %.2f s active of a %.0f s session; frames at 1 s and 7.5 s differ in %d pixels", w, h, dur, float64(s.activeMS)/1000, 34.0, d)
		if d < 200 {
			t.Errorf("frames at 1 s and 7.5 s differ in %d pixels: the video does not move", d)
		}
		if g, _ := countGreen(t, pngOf(t, b)); g < 20000 {
			t.Errorf("a video frame shows %d green pixels: the archived assets are missing", g)
		}
	})

	t.Run("tabs", func(t *testing.T) {
		// A session in two tabs: a file per tab, and the HTML player switches between them.
		id := "s_export2tabs1"
		for i, text := range []string{"First tab page", "Second tab page"} {
			d := &dom{}
			doc := d.page(d.el("h1", nil, d.text(text)))
			at := s.t0 + int64(i)*2000
			ingest(t, r, id, fmt.Sprintf("t_exporttab%d0", i+1), 0, []string{metaEv(at, "https://shop.example/"), fullEv(at, doc), moveEv(at+500, 10, 10)})
		}
		dir := t.TempDir()
		if stdout, stderr, ok := reelCLI(t, env, "export", id, "-o", dir); !ok {
			t.Fatalf("export rrweb: %s %s", stdout, stderr)
		}
		for i, want := range []string{"First tab page", "Second tab page"} {
			b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s.tab%d.rrweb.json", id, i+1)))
			if err != nil || !strings.Contains(string(b), want) || strings.Contains(string(b), []string{"Second", "First"}[i]) {
				t.Errorf("tab %d's file: %v %.200s", i+1, err, b)
			}
		}
		if stdout, stderr, ok := reelCLI(t, env, "export", id, "--format", "html", "-o", dir); !ok {
			t.Fatalf("export html: %s %s", stdout, stderr)
		}
		ctx := browser(t)
		frame := `(() => { const f = document.querySelector('.stage iframe'); return f && f.contentDocument && f.contentDocument.body ? f.contentDocument.body.innerText : "" })()`
		run(t, ctx, "switch tabs",
			chromedp.Navigate("file://"+filepath.Join(dir, id+".html")),
			waitFor(contains(frame, "First tab page")),
			chromedp.SetValue(`select.tabs`, "1", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('select.tabs').dispatchEvent(new Event('change')), true`, nil),
			waitFor(contains(frame, "Second tab page")),
		)
	})

	t.Run("terminal", func(t *testing.T) {
		dir := t.TempDir()
		// script(1) gives the command a terminal: the bar is drawn in place.
		cmd := exec.Command("script", "-qec", fmt.Sprintf("%s export %s --format video -o %s", reelBin, s.id, dir), "/dev/null")
		cmd.Env = append(os.Environ(), env...)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("export under a terminal: %v %s", err, b)
		}
		// The bar follows the video's frames: 45 and 40 of the two bursts.
		if !strings.Contains(string(b), "\r\x1b[K[") || !strings.Contains(string(b), " 0/1 "+s.id+" writing video 85/85") || !strings.Contains(string(b), "] 1/1 "+s.id+" done") {
			t.Errorf("on a terminal the export printed %q, want a bar following the frames", b)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "a-file")
		os.WriteFile(file, nil, 0o600)
		noFFmpeg := t.TempDir()
		for _, tc := range []struct {
			name string
			env  []string
			args []string
			want string
		}{
			{"unknown session", env, []string{"export", "s_nosuch000001", "-o", t.TempDir()}, "session s_nosuch000001: not found on " + r.URL},
			{"query that does not parse", env, []string{"export", "--query", "active:>", "-o", t.TempDir()}, `--query "active:>": `},
			{"401", []string{"REEL_SERVER=" + r.URL, "REEL_TOKEN=not-a-token"}, []string{"export", s.id, "-o", t.TempDir()}, "set REEL_TOKEN"},
			{"no token", []string{"REEL_SERVER=" + r.URL, "REEL_TOKEN="}, []string{"export", s.id, "-o", t.TempDir()}, "set REEL_TOKEN"},
			{"output dir under a file", env, []string{"export", s.id, "-o", filepath.Join(file, "out")}, "output directory " + filepath.Join(file, "out")},
			{"unknown format", env, []string{"export", s.id, "--format", "gif", "-o", t.TempDir()}, `unknown format "gif"`},
			{"playwright", env, []string{"export", s.id, "--format", "playwright", "-o", t.TempDir()}, "playwright export is not built yet"},
			{"no ffmpeg", append(env, "PATH="+noFFmpeg), []string{"export", s.id, "--format", "video", "-o", t.TempDir()}, "reel: install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg)\n"},
			{"no server", []string{"REEL_SERVER=http://127.0.0.1:9", "REEL_TOKEN=x"}, []string{"export", s.id, "-o", t.TempDir()}, "cannot reach the Reel server at http://127.0.0.1:9"},
		} {
			stdout, stderr, ok := reelCLI(t, tc.env, tc.args...)
			if ok || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s: exit ok=%v, stderr %q, want an error with %q (stdout %q)", tc.name, ok, stderr, tc.want, stdout)
			}
		}
	})
}

// probe reads a video's size and duration with ffprobe.
func probe(t *testing.T, file string) (w, h int, seconds float64) {
	t.Helper()
	b, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height:format=duration", "-of", "json", file).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", file, err)
	}
	var p struct {
		Streams []struct{ Width, Height int }
		Format  struct{ Duration string }
	}
	if err := json.Unmarshal(b, &p); err != nil || len(p.Streams) != 1 {
		t.Fatalf("ffprobe %s: %s %v", file, b, err)
	}
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil {
		t.Fatalf("ffprobe %s: duration %q", file, p.Format.Duration)
	}
	return p.Streams[0].Width, p.Streams[0].Height, d
}

// frameAt extracts the video's frame at sec seconds with ffmpeg.
func frameAt(t *testing.T, file string, sec float64) image.Image {
	t.Helper()
	b, err := exec.Command("ffmpeg", "-v", "error", "-ss", fmt.Sprint(sec), "-i", file, "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-").Output()
	if err != nil || len(b) == 0 {
		t.Fatalf("ffmpeg frame at %v s of %s: %v", sec, file, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func pngOf(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// differing counts the pixels whose colour differs clearly between two images of one size.
func differing(a, b image.Image) int {
	n := 0
	bd := a.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if absDiff(r1, r2)+absDiff(g1, g2)+absDiff(b1, b2) > 3*40<<8 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestPlayerDownloadClip clicks "Download clip" in the dashboard's player and gets a video the
// server rendered of the chosen range, which ffprobe reads at the recording's viewport.
func TestPlayerDownloadClip(t *testing.T) {
	r := startReelWith(t, t.TempDir())
	s := ingestExportSession(t, r, "http://127.0.0.1:9", "s_clipdl000001")
	ctx := browser(t)
	dir := t.TempDir()
	done := make(chan string, 1)
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok && e.State == cdpbrowser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	run(t, ctx, "log in", loginActions(r)...)
	run(t, ctx, "open the player",
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Navigate(r.URL+"/sessions/"+s.id),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Click(`[data-testid=clip]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=clip-popover]`)),
		chromedp.Evaluate(`(() => {
			for (const [sel, v] of [["[data-testid=clip-from]", "1"], ["[data-testid=clip-to]", "4"]]) {
				const i = document.querySelector(sel); i.value = v; i.dispatchEvent(new Event("input", { bubbles: true }));
			}
			return true })()`, nil),
		chromedp.Click(`[data-testid=clip-download]`, chromedp.ByQuery),
	)
	var guid string
	select {
	case guid = <-done:
	case <-time.After(3 * time.Minute):
		var msg string
		chromedp.Run(ctx, chromedp.Evaluate(`(document.querySelector('[data-testid=clip-error]') || {}).textContent || ""`, &msg))
		t.Fatalf("no download within 3 minutes (error shown: %q); reel stderr:\n%s", msg, r.logs)
	}
	w, h, dur := probe(t, filepath.Join(dir, guid))
	if w != 1000 || h != 640 || math.Abs(dur-3) > 0.2 {
		t.Errorf("the clip is %dx%d lasting %.2f s, want 1000x640 lasting 3 s", w, h, dur)
	}
}
