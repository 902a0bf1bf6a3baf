package server

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestVideoClip renders part of a session through GET /api/v1/sessions/{id}/video, in real
// headless Chromium and ffmpeg, and checks what ffprobe says of it; bad ranges, an unknown
// session and the endpoint turned off are clear errors.
func TestVideoClip(t *testing.T) {
	s := newStack(t)
	const t0 = 1764237600000
	meta := ev(4, t0, `{"href":"http://shop/clip","width":800,"height":500}`)
	full := ev(2, t0, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
		{"type":2,"id":3,"tagName":"head","attributes":{},"childNodes":[]},
		{"type":2,"id":4,"tagName":"body","attributes":{"style":"background:#fff;font:40px sans-serif"},"childNodes":[
			{"type":2,"id":5,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":6,"textContent":"Clip starts"}]}]}]}]},"initialOffset":{"left":0,"top":0}}`)
	full = strings.Join(strings.Fields(full), " ")
	move := func(at int64, x int) string {
		return ev(3, t0+at, fmt.Sprintf(`{"source":1,"positions":[{"x":%d,"y":100,"id":4,"timeOffset":0}]}`, x))
	}
	events := []string{meta, full, move(500, 10), move(1500, 200), ev(3, t0+2000, `{"source":0,"texts":[{"id":6,"value":"Clip ends"}],"attributes":[],"removes":[],"adds":[]}`), move(4000, 400)}
	s.ingest(t, "s_videoclip01", "t_clip0001", 0, events...)
	get := func(q string) resp {
		return do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/"+q, nil, "Authorization", "Bearer "+adminToken)
	}

	if r := get("s_videoclip01/video?from=0&to=3000"); r.Status != 503 || r.code() != "video_off" {
		t.Errorf("with clips off = %d %s, want 503 video_off", r.Status, r.Body)
	}
	s.api.SetVideoClips(1)
	for q, want := range map[string]int{
		"s_videoclip01/video":                    400,
		"s_videoclip01/video?from=a&to=3000":     400,
		"s_videoclip01/video?from=3000&to=3000":  400,
		"s_videoclip01/video?from=-1&to=3000":    400,
		"s_videoclip01/video?from=0&to=60001":    400,
		"s_videoclip01/video?from=9000&to=10000": 400, // past the end
		"s_videoclip01/video?from=0&to=10&tab=x": 400,
		"s_nosuchclip1/video?from=0&to=3000":     404,
	} {
		if r := get(q); r.Status != want || !strings.Contains(string(r.Body), `"message":"`) {
			t.Errorf("GET %s = %d %s, want %d with a message", q, r.Status, r.Body, want)
		}
	}

	r := get("s_videoclip01/video?from=1000&to=3000")
	if r.Status != 200 || r.Header.Get("Content-Type") != "video/webm" || !strings.Contains(r.Header.Get("Content-Disposition"), `filename="s_videoclip01-1000-3000.webm"`) {
		t.Fatalf("clip = %d %v %.200s", r.Status, r.Header, r.Body)
	}
	file := filepath.Join(t.TempDir(), "clip.webm")
	os.WriteFile(file, r.Body, 0o600)
	b, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height:format=duration", "-of", "json", file).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var p struct {
		Streams []struct{ Width, Height int }
		Format  struct{ Duration string }
	}
	json.Unmarshal(b, &p)
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	// A clip is its range as it happened: 2 s, 20 frames.
	if len(p.Streams) != 1 || p.Streams[0].Width != 800 || p.Streams[0].Height != 500 || math.Abs(d-2) > 0.15 {
		t.Errorf("clip is %s, want 800x500 lasting 2 s", b)
	}
}
