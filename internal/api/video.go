package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/export"
)

// MaxClip is the longest clip the video endpoint renders: a minute is 600 frames, rendered
// in well under the two minutes a request may take on a busy two-core machine.
const MaxClip = 60 * time.Second

// SetVideoClips turns the video endpoint on with at most n clips rendered at once (each runs
// a headless Chromium and an ffmpeg); n 0 leaves it off (--video-clips=false).
func (a *API) SetVideoClips(n int) {
	if n > 0 {
		a.clips = make(chan struct{}, n)
	}
}

var (
	errClipsOff  = apierror.New(http.StatusServiceUnavailable, "video_off", "this server does not render videos (reel serve --video-clips=false)")
	errClipsBusy = &apierror.Error{Status: http.StatusServiceUnavailable, Code: "busy", Message: "the server is rendering other clips; try again in a moment", RetryAfter: 10}
)

// Video renders part of a session as a WebM video for the player's "Download clip"
// (docs/export.md): ?from=&to= in ms from the session's start (the player's timeline), at
// most MaxClip apart, of the tab named by tab= (default the first).
func (a *API) Video(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	q := r.URL.Query()
	from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(q.Get("to"), 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		return apierror.New(http.StatusBadRequest, "bad_request", "from and to must be ms from the session's start (whole numbers)")
	case from < 0 || to <= from:
		return apierror.New(http.StatusBadRequest, "bad_request", "the range must have 0 ≤ from < to")
	case time.Duration(to-from)*time.Millisecond > MaxClip:
		return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("a clip is at most %s long", MaxClip))
	}
	if a.clips == nil {
		return errClipsOff
	}
	if _, _, err := export.Tools(""); err != nil {
		return apierror.New(http.StatusServiceUnavailable, "video_unavailable", "this server cannot render videos: "+err.Error())
	}
	select {
	case a.clips <- struct{}{}:
		defer func() { <-a.clips }()
	default:
		return errClipsBusy
	}
	ctx := r.Context()
	s, err := export.Load(ctx, selfGetter{a, r}, id, true)
	if err != nil {
		// A missing session or a project the caller does not see answers as its own endpoint does.
		var ae *apierror.Error
		if errors.As(err, &ae) {
			return ae
		}
		return err
	}
	if tab := q.Get("tab"); tab != "" {
		i := -1
		for j, t := range s.Tabs {
			if t.ID == tab {
				i = j
			}
		}
		if i < 0 {
			return apierror.New(http.StatusBadRequest, "bad_request", "no tab "+tab+" in this session")
		}
		s.Tabs[0], s.Tabs[i] = s.Tabs[i], s.Tabs[0]
	}
	// The player's time is from the session's start; the renderer's from the tab's first event.
	shift := s.Info.StartedAt.UnixMilli() - firstTimestamp(s.Tabs[0].Events)
	if end := s.Info.DurationMS; from >= end && end > 0 {
		return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("from is past the session's end (%d ms)", end))
	}
	tmp, err := os.CreateTemp("", "reel-clip-*.webm")
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	// Rendering takes longer than most answers may; the client asked for it and waits.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(MaxClip * 5))
	if err := export.Video(ctx, s, tmp.Name(), export.VideoOptions{From: from + shift, To: to + shift}); err != nil {
		return fmt.Errorf("video of %s: %w", id, err)
	}
	f, err := os.Open(tmp.Name())
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("video: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "video/webm")
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%d-%d.webm"`, safeName(id), from, to))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	f.WriteTo(w) // a viewer who went away needs no answer
	return nil
}

// firstTimestamp is the timestamp of the first event of an events array (0 when none).
func firstTimestamp(events []byte) int64 {
	var evs []struct {
		Timestamp int64 `json:"timestamp"`
	}
	if json.Unmarshal(events, &evs) != nil || len(evs) == 0 {
		return 0
	}
	return evs[0].Timestamp
}

// selfGetter reads the session endpoints in-process, as the request's caller, so the video
// endpoint loads a session through the very code (and access checks) an export over HTTP uses.
type selfGetter struct {
	a *API
	r *http.Request
}

func (g selfGetter) Get(ctx context.Context, path string) ([]byte, string, error) {
	u, err := url.Parse(path)
	if err != nil {
		return nil, "", err
	}
	rest, ok := strings.CutPrefix(u.Path, "/api/v1/sessions/")
	if !ok {
		return nil, "", fmt.Errorf("video: no in-process route for %s", u.Path)
	}
	id, sub, _ := strings.Cut(rest, "/")
	var h HandlerFunc
	switch sub {
	case "":
		h = g.a.GetSession
	case "events":
		h = g.a.Events
	case "tabs":
		h = g.a.Tabs
	case "archive":
		h = g.a.Archive
	case "archive/file":
		h = g.a.ArchivedFile
	default:
		return nil, "", fmt.Errorf("video: no in-process route for %s", u.Path)
	}
	req := g.r.Clone(ctx)
	req.Method = http.MethodGet
	req.URL = u
	req.Header.Del("Accept-Encoding")
	req.SetPathValue("id", id)
	w := &bufferWriter{header: http.Header{}}
	if err := h(w, req); err != nil {
		return nil, "", err
	}
	if w.status/100 != 2 && w.status != 0 {
		return nil, "", export.ParseError(w.status, w.body.Bytes())
	}
	return w.body.Bytes(), w.header.Get("Content-Type"), nil
}

// bufferWriter is an http.ResponseWriter that keeps the answer in memory.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferWriter) Header() http.Header { return w.header }
func (w *bufferWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *bufferWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *bufferWriter) Flush() {}
