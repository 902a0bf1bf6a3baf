// Package export turns a stored session into files a person can keep or hand on: rrweb JSON,
// a self-contained HTML player and a video (docs/export.md). It reads sessions through the
// HTTP API's paths (a Getter), so `reel export` against a running server and the server's own
// clip endpoint share one code path. Formats are registered by name; a format that is not
// built yet answers so.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// Getter reads one API path ("/api/v1/sessions/…", with its query) and returns the body and its
// content type. A non-2xx answer is a *StatusError.
type Getter interface {
	Get(ctx context.Context, path string) (body []byte, contentType string, err error)
}

// StatusError is an API answer other than 2xx, with the message of its JSON error body.
type StatusError struct {
	Status  int
	Code    string
	Message string
}

func (e *StatusError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("%s (%d)", e.Message, e.Status)
	}
	return fmt.Sprintf("the server answered %d", e.Status)
}

// ParseError reads the API's error body ({"error": {"code", "message"}}) of a status.
func ParseError(status int, body []byte) *StatusError {
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &b) // a body that is not the API's shape leaves the status alone
	return &StatusError{Status: status, Code: b.Error.Code, Message: b.Error.Message}
}

// Info is what an export needs of GET /api/v1/sessions/{id}.
type Info struct {
	ID          string     `json:"id"`
	ProjectID   string     `json:"projectId"`
	StartedAt   time.Time  `json:"startedAt"`
	EndedAt     time.Time  `json:"endedAt"`
	DurationMS  int64      `json:"durationMs"`
	ActiveMS    int64      `json:"activeMs"`
	EntryURL    string     `json:"entryUrl"`
	Tabs        int        `json:"tabs"`
	CompactedAt *time.Time `json:"compactedAt"`
	Viewport    struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"viewport"`
}

// Recording reports whether the session may still be recording: it has not been compacted,
// which Reel does once a session has been quiet for --compact-idle (docs/decisions.md).
func (i Info) Recording() bool { return i.CompactedAt == nil }

// Tab is one browser tab's events, a JSON array exactly as the API answers it.
type Tab struct {
	ID     string
	Events json.RawMessage
}

// Resource is one archived copy of something the recording referenced (docs/archive.md).
type Resource struct {
	URL  string
	Type string
	Data []byte
}

// Session is everything an export is made from.
type Session struct {
	Info Info
	// Meta is the session object as the API answered it, kept whole for the rrweb format.
	Meta json.RawMessage
	Tabs []Tab
	// Resources are loaded only when a format needs them (Load's assets).
	Resources []Resource
}

// Load reads session id through g: its object, each tab's events (content references already
// resolved by the server) and, with assets, the archived copies.
func Load(ctx context.Context, g Getter, id string, assets bool) (*Session, error) {
	base := "/api/v1/sessions/" + url.PathEscape(id)
	meta, _, err := g.Get(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", id, err)
	}
	s := &Session{Meta: meta}
	if err := json.Unmarshal(meta, &s.Info); err != nil {
		return nil, fmt.Errorf("session %s: reading its object: %w", id, err)
	}
	var tabs struct {
		Tabs []struct {
			ID string `json:"id"`
		} `json:"tabs"`
	}
	b, _, err := g.Get(ctx, base+"/tabs")
	if err != nil {
		return nil, fmt.Errorf("session %s: tabs: %w", id, err)
	}
	if err := json.Unmarshal(b, &tabs); err != nil {
		return nil, fmt.Errorf("session %s: reading its tabs: %w", id, err)
	}
	if len(tabs.Tabs) <= 1 {
		b, _, err := g.Get(ctx, base+"/events")
		if err != nil {
			return nil, fmt.Errorf("session %s: events: %w", id, err)
		}
		tab := ""
		if len(tabs.Tabs) == 1 {
			tab = tabs.Tabs[0].ID
		}
		s.Tabs = []Tab{{ID: tab, Events: b}}
	} else {
		for _, t := range tabs.Tabs {
			b, _, err := g.Get(ctx, base+"/events?tab="+url.QueryEscape(t.ID))
			if err != nil {
				return nil, fmt.Errorf("session %s: events of tab %s: %w", id, t.ID, err)
			}
			s.Tabs = append(s.Tabs, Tab{ID: t.ID, Events: b})
		}
	}
	for i, t := range s.Tabs {
		if !json.Valid(t.Events) {
			return nil, fmt.Errorf("session %s: events of tab %d are not JSON (cut off?)", id, i+1)
		}
	}
	if assets {
		if s.Resources, err = loadArchive(ctx, g, base); err != nil {
			return nil, fmt.Errorf("session %s: %w", id, err)
		}
	}
	return s, nil
}

// loadArchive reads the archived copies of a session, each stylesheet's references to other
// copies pointed at data: URLs of them so the copies need nothing but each other.
func loadArchive(ctx context.Context, g Getter, base string) ([]Resource, error) {
	b, _, err := g.Get(ctx, base+"/archive")
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	var list struct {
		Resources []struct {
			URL  string `json:"url"`
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	type fetched struct {
		Resource
		path string
	}
	var all []fetched
	for _, r := range list.Resources {
		if r.Path == "" {
			continue // not archived (error says why): the replay keeps the recorded URL
		}
		data, typ, err := g.Get(ctx, r.Path)
		if err != nil {
			return nil, fmt.Errorf("archived copy of %s: %w", r.URL, err)
		}
		if typ == "" {
			typ = r.Type
		}
		all = append(all, fetched{Resource{URL: r.URL, Type: typ, Data: data}, r.Path})
	}
	// Stylesheets name other copies by their API path: those become data: URLs, fonts and
	// images first, then sheets in order (a sheet importing another gets the rewritten one
	// when it comes later in the list; docs/export.md).
	sort.SliceStable(all, func(i, j int) bool { return !isCSS(all[i].Type) && isCSS(all[j].Type) })
	var pairs []string
	for i := range all {
		if isCSS(all[i].Type) {
			all[i].Data = []byte(strings.NewReplacer(pairs...).Replace(string(all[i].Data)))
		}
		pairs = append(pairs, all[i].path, DataURL(all[i].Type, all[i].Data))
	}
	out := make([]Resource, len(all))
	for i, f := range all {
		out[i] = f.Resource
	}
	return out, nil
}

func isCSS(typ string) bool { return strings.HasPrefix(typ, "text/css") }

type progressKey struct{}

// WithProgress has a format that works in steps (a video's frames) report them to f.
func WithProgress(ctx context.Context, f func(done, all int)) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

func progressOf(ctx context.Context) func(done, all int) {
	f, _ := ctx.Value(progressKey{}).(func(done, all int))
	return f
}

// Writer writes session s into dir and returns the names of the files it wrote.
type Writer func(ctx context.Context, s *Session, dir string) ([]string, error)

// Format is one registered export format.
type Format struct {
	Name string
	// Assets: the format needs the archived copies (Load's assets).
	Assets bool
	Write  Writer
}

var formats = map[string]Format{}

// Register adds a format; each name once.
func Register(f Format) {
	if _, ok := formats[f.Name]; ok {
		panic("export: format " + f.Name + " registered twice")
	}
	formats[f.Name] = f
}

// ErrNotBuilt is the answer of a format that is named but not built yet.
var ErrNotBuilt = errors.New("not built yet")

// Lookup returns the format called name.
func Lookup(name string) (Format, error) {
	f, ok := formats[name]
	if !ok {
		return Format{}, fmt.Errorf("unknown format %q (one of %s)", name, strings.Join(Names(), ", "))
	}
	return f, nil
}

// Names lists the registered formats.
func Names() []string {
	var n []string
	for k := range formats {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

func init() {
	Register(Format{Name: "rrweb", Write: writeRRweb})
	Register(Format{Name: "html", Assets: true, Write: writeHTML})
	Register(Format{Name: "video", Assets: true, Write: writeVideo})
	// The Playwright test export is another part of issue #16: its file replaces this entry.
	Register(Format{Name: "playwright", Write: func(context.Context, *Session, string) ([]string, error) {
		return nil, fmt.Errorf("playwright export is %w", ErrNotBuilt)
	}})
}
