package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// heatmapIndex is the heatmap part of the index (store.Heatmaps).
type heatmapIndex interface {
	Heatmap(ctx context.Context, q store.HeatmapQuery) (store.Heatmap, error)
}

// heatBins is the number of cells per axis of an element's box: a 20×20 grid places a click on
// a 120 px button within 6 px, and keeps a large element's heat readable.
const heatBins = 20

type heatBinJSON struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Clicks int     `json:"clicks"`
	PageX  int     `json:"pageX"`
	PageY  int     `json:"pageY"`
}

type heatElementJSON struct {
	Selector string        `json:"selector"`
	Clicks   int           `json:"clicks"`
	Bins     []heatBinJSON `json:"bins"`
}

type heatDepthJSON struct {
	Depth int     `json:"depth"` // percent of the page's height
	Views int     `json:"views"`
	Share float64 `json:"share"` // of all page views
}

type backdropJSON struct {
	SessionID string `json:"sessionId"`
	Tab       string `json:"tab"`
	Path      string `json:"path"`
	Device    string `json:"device"` // with every device: the one with the most clicks
	At        int64  `json:"at"`
	StartedAt int64  `json:"sessionStartedAt"`
	// URL opens the page view in the player.
	URL string `json:"url"`
}

// heatmapQuery reads and checks the query string of GET /api/v1/heatmaps.
func heatmapQuery(r *http.Request, now time.Time) (store.HeatmapQuery, error) {
	bad := func(msg string) (store.HeatmapQuery, error) {
		return store.HeatmapQuery{}, apierror.New(http.StatusBadRequest, "bad_request", msg)
	}
	v := r.URL.Query()
	q := store.HeatmapQuery{ProjectID: v.Get("project"), Page: strings.TrimSpace(v.Get("page")), Device: v.Get("device"), Bins: heatBins}
	if q.ProjectID == "" {
		q.ProjectID = "default"
	}
	if len(q.ProjectID) > 64 {
		return bad("project must be a project id")
	}
	if !sees(r.Context(), q.ProjectID) {
		return store.HeatmapQuery{}, errProjectNotFound
	}
	// A pasted address counts by its path: heatmaps are per page, whatever the host.
	if i := strings.Index(q.Page, "://"); i > 0 {
		u, err := url.Parse(q.Page)
		if err != nil {
			return bad("page must be a path such as /pricing or /blog/*")
		}
		q.Page = u.EscapedPath()
		if q.Page == "" {
			q.Page = "/"
		}
	}
	switch {
	case q.Page == "":
		return bad("page is required: a path such as /pricing, where * matches any characters (/blog/*)")
	case len(q.Page) > 512:
		return bad("page must be at most 512 characters")
	case !utf8.ValidString(q.Page) || strings.ContainsFunc(q.Page, unicode.IsControl):
		return bad("page must be printable text")
	case q.Page[0] != '/' && q.Page[0] != '*':
		return bad("page must start with / or *, such as /pricing or */checkout")
	}
	switch q.Device {
	case "all":
		q.Device = ""
	case "", "desktop", "mobile", "tablet":
	default:
		return bad("device must be all, desktop, mobile or tablet")
	}
	q.To = now
	if s := v.Get("to"); s != "" {
		t, err := parseMoment(s, true)
		if err != nil {
			return bad("to must be a date (2026-11-27), an RFC 3339 time or ms since epoch")
		}
		q.To = t
	}
	q.From = q.To.AddDate(0, 0, -30)
	if s := v.Get("from"); s != "" {
		t, err := parseMoment(s, false)
		if err != nil {
			return bad("from must be a date (2026-11-01), an RFC 3339 time or ms since epoch")
		}
		q.From = t
	}
	if !q.From.Before(q.To) {
		return bad("from must be before to")
	}
	return q, nil
}

// parseMoment reads a date (a day, whose end is taken when end is true, so from=to=a day covers
// it), an RFC 3339 time or ms since epoch.
func parseMoment(s string, end bool) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 1e14 {
			return time.Time{}, strconv.ErrRange
		}
		return time.UnixMilli(n).UTC(), nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Parse(time.RFC3339, s)
}

// Heatmaps answers the click and scroll heat of the pages matching a path pattern: clicks per
// element with their places in its box (binned), the share of page views that reached each
// tenth of the page, and a recent view of the page to draw the heat over (docs/heatmaps.md).
func (a *API) Heatmaps(w http.ResponseWriter, r *http.Request) error {
	q, err := heatmapQuery(r, time.Now().UTC())
	if err != nil {
		return err
	}
	hm, err := a.heatmaps.Heatmap(r.Context(), q)
	if err != nil {
		return err
	}
	elements := []heatElementJSON{}
	at := map[string]int{}
	for _, b := range hm.Bins {
		i, ok := at[b.Selector]
		if !ok {
			i = len(elements)
			at[b.Selector] = i
			elements = append(elements, heatElementJSON{Selector: b.Selector, Bins: []heatBinJSON{}})
		}
		elements[i].Clicks += b.Clicks
		elements[i].Bins = append(elements[i].Bins, heatBinJSON{X: b.X, Y: b.Y, Clicks: b.Clicks, PageX: b.PageX, PageY: b.PageY})
	}
	// Bins come most clicked first, so elements do too, except where an element's clicks are
	// spread over many cells.
	for i := 1; i < len(elements); i++ {
		for j := i; j > 0 && elements[j].Clicks > elements[j-1].Clicks; j-- {
			elements[j], elements[j-1] = elements[j-1], elements[j]
		}
	}
	depths := make([]heatDepthJSON, len(hm.Reached))
	for k, n := range hm.Reached {
		depths[k] = heatDepthJSON{Depth: k * 10, Views: n}
		if hm.Views > 0 {
			depths[k].Share = float64(n) / float64(hm.Views)
		}
	}
	var backdrop *backdropJSON
	if b := hm.Backdrop; b != nil {
		m := moment(b.SessionID, b.At, b.SessionStarted)
		backdrop = &backdropJSON{SessionID: b.SessionID, Tab: b.Tab, Path: b.Path, Device: b.Device, At: m.At, StartedAt: b.SessionStarted.UnixMilli(), URL: m.URL}
	}
	device := q.Device
	if device == "" {
		device = "all"
	}
	apierror.JSON(w, http.StatusOK, map[string]any{
		"project": q.ProjectID, "page": q.Page, "device": device, "from": q.From, "to": q.To,
		"clicks": hm.Clicks, "sessions": hm.Sessions, "elements": elements,
		"scroll":   map[string]any{"views": hm.Views, "reached": depths},
		"backdrop": backdrop,
	})
	return nil
}
