package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reelhq/reel/internal/apierror"
)

// A clip beyond the concurrency bound is refused at once with Retry-After, and a server
// without ffmpeg says what to install; both before any session is read.
func TestVideoBounds(t *testing.T) {
	a := &API{}
	a.SetVideoClips(1)
	a.clips <- struct{}{} // one clip is being rendered
	req := httptest.NewRequest("GET", "/api/v1/sessions/s_x/video?from=0&to=1000", nil)
	req.SetPathValue("id", "s_x")
	err := a.Video(httptest.NewRecorder(), req)
	if e, ok := err.(*apierror.Error); !ok || e.Status != http.StatusServiceUnavailable || e.Code != "busy" || e.RetryAfter == 0 {
		t.Errorf("a second clip = %v, want 503 busy with Retry-After", err)
	}

	t.Setenv("PATH", t.TempDir())
	err = a.Video(httptest.NewRecorder(), req)
	if e, ok := err.(*apierror.Error); !ok || e.Status != http.StatusServiceUnavailable || e.Message != "this server cannot render videos: install ffmpeg (Debian/Ubuntu: apt-get install ffmpeg)" {
		t.Errorf("without ffmpeg = %v, want 503 saying to install it", err)
	}
}
