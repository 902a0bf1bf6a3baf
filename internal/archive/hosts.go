package archive

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"github.com/reelhq/reel/internal/safehttp"
)

// hosts bounds the fetches to one host at once, across sessions and projects (a recording
// naming two hundred images on one server must not open two hundred connections to it), and
// remembers, per project, hosts that did not answer, so the rest of their URLs are not tried
// one timeout after another.
type hosts struct {
	per   int
	retry time.Duration

	mu    sync.Mutex
	slots map[string]*slot      // by host, while someone holds or waits for one
	down  map[downKey]time.Time // until when a project leaves a host alone
}

type slot struct {
	ch    chan struct{}
	users int
}

type downKey struct{ project, host string }

// maxDown bounds the hosts remembered as not answering, over all projects.
const maxDown = 10000

func newHosts(per int, retry time.Duration) *hosts {
	return &hosts{per: per, retry: retry, slots: map[string]*slot{}, down: map[downKey]time.Time{}}
}

// acquire waits for one of host's slots; release gives it back.
func (h *hosts) acquire(ctx context.Context, host string) (release func(), err error) {
	h.mu.Lock()
	s := h.slots[host]
	if s == nil {
		s = &slot{ch: make(chan struct{}, h.per)}
		h.slots[host] = s
	}
	s.users++
	h.mu.Unlock()
	leave := func() {
		h.mu.Lock()
		if s.users--; s.users == 0 {
			delete(h.slots, host)
		}
		h.mu.Unlock()
	}
	select {
	case s.ch <- struct{}{}:
		return func() { <-s.ch; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// isDown reports whether the project's fetches from host failed less than the retry period
// before now.
func (h *hosts) isDown(project, host string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	until, ok := h.down[downKey{project, host}]
	return ok && now.Before(until)
}

// failed remembers that host did not answer the project's fetch at now. The memory is per
// project: one project's recordings naming a slow path on a shared CDN do not stop another's
// archiving from it.
func (h *hosts) failed(project, host string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.down) >= maxDown {
		for k, until := range h.down {
			if !now.Before(until) {
				delete(h.down, k)
			}
		}
		// Still full (recordings naming thousands of dead hosts): forget one at random rather
		// than grow; at worst its project pays one more timeout.
		for k := range h.down {
			if len(h.down) < maxDown {
				break
			}
			delete(h.down, k)
		}
	}
	h.down[downKey{project, host}] = now.Add(h.retry)
}

// hostOf is the host (and port) a URL is fetched from.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}

// hostFailure reports whether err says the host did not answer (no connection, no name, no
// answer in time), as opposed to an answer Reel did not want (a status, a size, a type) or a
// refusal by policy.
func hostFailure(err error) bool {
	if err == nil || errors.Is(err, ErrScheme) || errors.Is(err, ErrPrivate) || errors.Is(err, safehttp.ErrRedirects) || errors.Is(err, safehttp.ErrTooLarge) {
		return false
	}
	switch safehttp.Reason(err) {
	case "timed out", "host not found", "could not connect":
		return true
	}
	var ue *url.Error
	return errors.As(err, &ue) // the request got no answer at all (a connection reset, a broken reply)
}
