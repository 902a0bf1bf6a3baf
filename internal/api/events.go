package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/rrweb"
	"github.com/reelhq/reel/internal/store"
)

// eventIndex locates a session's events at rest: its segments and uncompacted chunks, and the
// hashes of the content items its segments name by number.
type eventIndex interface {
	Chunks(ctx context.Context, sessionID string) ([]store.Chunk, error)
	Segments(ctx context.Context, sessionID string) ([]store.Segment, error)
	ContentHashes(ctx context.Context, projectID string, ids []int64) (map[int64]string, error)
}

// Events returns every rrweb event of a session as one JSON array in time order, exactly as
// recorded. With ?tab= only that tab's events are returned.
func (a *API) Events(w http.ResponseWriter, r *http.Request) error {
	return a.WriteEvents(w, r, r.PathValue("id"))
}

// source is one stored run of a tab's events: a segment of the compacted blob or a chunk not
// compacted yet.
type source struct {
	tab        string
	first      int64
	last       int64
	snapshotAt int64 // first Meta event, 0 when the source holds no full snapshot
	load       func(ctx context.Context) ([]byte, error)
}

// span is the part of a session an events request asks for.
type span struct {
	from  int64 // seek: start at the last full snapshot at or before it (0: the start)
	after int64 // live tail: only events after it (0: all)
	to    int64 // only events at or before it (0: to the end)
}

// WriteEvents answers r with the events of session id, honouring the query parameters of the
// events endpoint (docs/api.md): tab, from (seek), after (live tail), to (up to a moment) and
// until (the first page's snapshot, for previews). Other endpoints that grant access to a session by other means
// (share links) reuse it.
func (a *API) WriteEvents(w http.ResponseWriter, r *http.Request, id string) error {
	ctx := r.Context()
	q := r.URL.Query()
	from, err := optInt(q.Get("from"))
	if err != nil {
		return apierror.New(http.StatusBadRequest, "bad_request", "from must be a time in ms since the epoch")
	}
	after, err := optInt(q.Get("after"))
	if err != nil {
		return apierror.New(http.StatusBadRequest, "bad_request", "after must be a time in ms since the epoch")
	}
	to, err := optInt(q.Get("to"))
	if err != nil || (q.Has("to") && to == 0) {
		return apierror.New(http.StatusBadRequest, "bad_request", "to must be a time in ms since the epoch")
	}
	sp := span{from: from, after: after, to: to}
	if after > 0 && a.observe != nil {
		viewer := "share"
		if p, ok := auth.PrincipalFrom(ctx); ok {
			viewer = strconv.FormatInt(p.UserID, 10) + p.TokenID
		}
		a.observe.WatchingLive(id, viewer)
	}
	// prune=gone: a seek's answer without the nodes gone by the moment (rrweb.Gone).
	prune := q.Get("prune")
	if q.Has("prune") && (prune != pruneGone || from == 0 || to == 0) {
		return apierror.New(http.StatusBadRequest, "bad_request", "prune must be "+pruneGone+", with from and to")
	}
	until := q.Get("until")
	if q.Has("until") && until != untilFirstSnapshot {
		return apierror.New(http.StatusBadRequest, "bad_request", "until must be "+untilFirstSnapshot)
	}
	if until != "" && (q.Has("from") || q.Has("after") || q.Has("to")) {
		return apierror.New(http.StatusBadRequest, "bad_request", "until cannot be combined with from, after or to")
	}
	sess, err := a.getSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	if _, ok := auth.PrincipalFrom(ctx); ok {
		// Someone is watching: the player loads a session's events (share links are public
		// and carry no person).
		a.audit.RecordView(r.Context(), r, sess.ProjectID, id)
	}
	var all []event
	seekStart := int64(-1)
	if until != "" {
		all, err = a.firstSnapshot(ctx, id, sess.ProjectID, q.Get("tab"))
	} else {
		tabs, err := a.sources(ctx, id, sess.ProjectID, q.Get("tab"))
		if err != nil {
			return err
		}
		if len(tabs) == 1 && prune == "" {
			for tab := range tabs {
				return a.streamTab(w, r, id, sess.ProjectID, tab, tabs, sp)
			}
		}
		var parts [][]event
		if parts, seekStart, err = a.collect(ctx, id, sess.ProjectID, q.Get("tab"), tabs, sp); err != nil {
			return err
		}
		all = mergeByTime(parts)
		// One tab's events only: node ids are per tab.
		if prune != "" && len(parts) == 1 {
			raws := make([][]byte, len(all))
			for i, e := range all {
				raws[i] = e.raw
			}
			raws, n := rrweb.Gone(raws)
			for i := range all {
				all[i].raw = raws[i]
			}
			w.Header().Set("X-Reel-Gone", strconv.Itoa(n))
		}
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.Grow(rawSize(all) + 2)
	buf.WriteByte('[')
	for i, e := range all {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e.raw)
	}
	buf.WriteByte(']')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if from > 0 && seekStart >= 0 {
		w.Header().Set("X-Reel-Seek-Start", strconv.FormatInt(seekStart, 10))
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		a.log.DebugContext(ctx, "api: write events", "session", id, "err", err)
	}
	return nil
}

// streamTab answers the events of a session's one tab (or the one tab asked for) as it reads
// them, a stored run (segment or chunk) at a time, instead of reading the whole answer first:
// the player builds the frame of a seek as soon as the events up to the moment are in, and an
// hour-long session starts playing while its later minutes are still being read. A run a
// compaction deleted under the stream is read again from the new layout, resuming after the
// events already written. An error once bytes are out aborts the response, so the client sees
// a failed request rather than a shorter array.
func (a *API) streamTab(w http.ResponseWriter, r *http.Request, id, projectID, tab string, tabs map[string][]source, sp span) error {
	ctx := r.Context()
	rc := http.NewResponseController(w)
	st := &stream{w: w, from: sp.from}
	err := a.withSources(ctx, id, projectID, tab, tabs, func(tabs map[string][]source, retry bool) error {
		st.resume, st.skipAt = retry, 0
		return a.eachRun(ctx, id, projectID, tabs[tab], sp, func(evs []event) error {
			st.buf.Grow(rawSize(evs) + 1) // a run is megabytes: one allocation, not a doubling series
			for _, e := range evs {
				st.add(e)
			}
			if st.buf.Len() > 0 {
				if _, err := st.w.Write(st.buf.Bytes()); err != nil {
					return errClientGone
				}
				st.buf.Reset()
				rc.Flush()
			}
			return nil
		})
	})
	if errors.Is(err, errClientGone) {
		return nil // nothing more to do
	}
	if err != nil {
		if !st.started {
			return err
		}
		if ctx.Err() == nil { // not merely the client going away
			a.log.WarnContext(ctx, "api: events stream failed after the first bytes", "session", id, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	if !st.started {
		st.start()
	}
	st.buf.WriteByte(']')
	if _, err := w.Write(st.buf.Bytes()); err != nil {
		a.log.DebugContext(ctx, "api: write events", "session", id, "err", err)
	}
	return nil
}

// stream is what streamTab has written so far, so that a retry can resume after it.
type stream struct {
	w       http.ResponseWriter
	from    int64
	started bool  // headers and the opening bracket are out
	n       int   // events written
	lastAt  int64 // the time of the last event written
	sameAt  int   // how many events written carry lastAt
	resume  bool  // a retry: skip what was written
	skipAt  int   // in a retry, the events at lastAt skipped so far
	buf     bytes.Buffer
}

func (st *stream) start() {
	st.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	st.w.Header().Set("Cache-Control", "no-store")
	st.buf.WriteByte('[')
	st.started = true
}

// add queues ev unless a retry already wrote it.
func (st *stream) add(ev event) {
	if st.resume {
		if ev.at < st.lastAt {
			return
		}
		if ev.at == st.lastAt && st.skipAt < st.sameAt {
			st.skipAt++
			return
		}
		st.resume = false
	}
	if !st.started {
		if st.from > 0 {
			st.w.Header().Set("X-Reel-Seek-Start", strconv.FormatInt(ev.at, 10))
		}
		st.start()
	}
	if st.n > 0 {
		st.buf.WriteByte(',')
	}
	st.buf.Write(ev.raw)
	st.n++
	if ev.at == st.lastAt {
		st.sameAt++
	} else {
		st.lastAt, st.sameAt = ev.at, 1
	}
}

// errClientGone stops reading for a client that no longer reads the answer.
var errClientGone = errors.New("api: the client went away")

// pruneGone is the one value of the prune parameter: leave out the nodes gone by the moment.
const pruneGone = "gone"

// untilFirstSnapshot is the one value of the until parameter: answer the events up to and
// including the session's first full snapshot, which is all a preview of the first page needs.
const untilFirstSnapshot = "first-snapshot"

type event struct {
	typ rrweb.EventType
	at  int64
	raw []byte
}

// rawSize is how many bytes evs take written as a JSON array's elements, commas included.
func rawSize(evs []event) int {
	n := 0
	for _, e := range evs {
		n += len(e.raw) + 1
	}
	return n
}

func optInt(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("invalid")
	}
	return n, nil
}

// sources lists, per tab, where the session's events are stored, in time order.
func (a *API) sources(ctx context.Context, id, projectID, onlyTab string) (map[string][]source, error) {
	segments, err := a.events.Segments(ctx, id)
	if err != nil {
		return nil, err
	}
	chunks, err := a.events.Chunks(ctx, id)
	if err != nil {
		return nil, err
	}
	tabs := map[string][]source{}
	for _, g := range segments {
		if onlyTab != "" && g.Tab != onlyTab {
			continue
		}
		tabs[g.Tab] = append(tabs[g.Tab], source{
			tab: g.Tab, first: g.FirstAt.UnixMilli(), last: g.LastAt.UnixMilli(), snapshotAt: g.FirstAt.UnixMilli(),
			load: func(ctx context.Context) ([]byte, error) {
				return layout.ReadSegment(ctx, a.blobs, g, func(ids []int64) (map[int64]string, error) { return a.events.ContentHashes(ctx, projectID, ids) })
			},
		})
	}
	for _, c := range chunks {
		if c.Compacted || (onlyTab != "" && c.Tab != onlyTab) {
			continue
		}
		snap := int64(0)
		if !c.SnapshotAt.IsZero() {
			snap = c.SnapshotAt.UnixMilli()
		}
		tabs[c.Tab] = append(tabs[c.Tab], source{
			tab: c.Tab, first: c.FirstAt.UnixMilli(), last: c.LastAt.UnixMilli(), snapshotAt: snap,
			load: func(ctx context.Context) ([]byte, error) {
				return layout.ReadChunk(ctx, a.blobs, c)
			},
		})
	}
	for t := range tabs {
		srcs := tabs[t]
		// Segments come first (they are older than any chunk still uncompacted), each group
		// already in order; a stable sort by start time places late chunks correctly.
		sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].first < srcs[j].first })
	}
	return tabs, nil
}

// sources keeps the stored runs that hold events of the span, in order.
func (sp span) sources(srcs []source) []source {
	if sp.from > 0 {
		srcs = seek(srcs, sp.from)
	}
	if sp.after > 0 {
		for len(srcs) > 0 && srcs[0].last <= sp.after {
			srcs = srcs[1:]
		}
	}
	if sp.to > 0 {
		// Runs are in order of their first event: the first one starting after to ends it.
		for i, s := range srcs {
			if s.first > sp.to {
				return srcs[:i]
			}
		}
	}
	return srcs
}

// holds reports whether an event at this time is in the span (from aside: seeking trims the
// start to a full snapshot, which may come before it).
func (sp span) holds(at int64) bool {
	return (sp.after == 0 || at > sp.after) && (sp.to == 0 || at <= sp.to)
}

// seek drops the sources before the last one that holds a full snapshot at or before from.
func seek(srcs []source, from int64) []source {
	start := 0
	for i, s := range srcs {
		if s.snapshotAt > 0 && s.snapshotAt <= from {
			start = i
		}
	}
	return srcs[start:]
}

// trimToSnapshot drops the events before the last Meta event at or before from, so the answer
// starts with a replayable full snapshot.
func trimToSnapshot(evs []event, from int64) []event {
	start := -1
	for i, e := range evs {
		if e.at > from {
			break
		}
		if e.typ == rrweb.Meta {
			start = i
		}
	}
	if start < 0 {
		return evs
	}
	return evs[start:]
}

// mergeByTime interleaves each tab's events (each already in time order) by timestamp.
func mergeByTime(parts [][]event) []event {
	if len(parts) == 1 {
		return parts[0]
	}
	var all []event
	for _, p := range parts {
		all = append(all, p...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at < all[j].at })
	return all
}

// withSources runs f on tabs, the listing of where a session's events are stored (listed
// first when nil). A compaction finishing between the listing and the reading deletes what was
// listed (blob.ErrNotFound): f then runs again, twice at most, on a new listing, with retry
// set.
func (a *API) withSources(ctx context.Context, id, projectID, tab string, tabs map[string][]source, f func(tabs map[string][]source, retry bool) error) error {
	for attempt := 0; ; attempt++ {
		if tabs == nil {
			var err error
			if tabs, err = a.sources(ctx, id, projectID, tab); err != nil {
				return err
			}
		}
		err := f(tabs, attempt > 0)
		if err == nil || attempt == 2 || !errors.Is(err, blob.ErrNotFound) {
			return err
		}
		tabs = nil
	}
}

// eachRun reads the stored runs of one tab that hold events of sp, in order, and passes f
// each run's events within sp.
func (a *API) eachRun(ctx context.Context, id, projectID string, srcs []source, sp span, f func([]event) error) error {
	for i, s := range sp.sources(srcs) {
		evs, err := a.load(ctx, s, id, projectID)
		if err != nil {
			return err
		}
		if i == 0 && sp.from > 0 {
			// seek kept the last run holding a full snapshot at or before from; later runs
			// start with a snapshot after it or hold none.
			evs = trimToSnapshot(evs, sp.from)
		}
		if err := f(slices.DeleteFunc(evs, func(e event) bool { return !sp.holds(e.at) })); err != nil {
			return err
		}
	}
	return nil
}

// collect reads a session's events per tab (in tabs, or listed when nil), within sp, and the
// time of the earliest event it returns (-1 when none).
func (a *API) collect(ctx context.Context, id, projectID, tab string, tabs map[string][]source, sp span) ([][]event, int64, error) {
	var parts [][]event
	seekStart := int64(-1)
	err := a.withSources(ctx, id, projectID, tab, tabs, func(tabs map[string][]source, _ bool) error {
		parts, seekStart = nil, -1
		for _, t := range slices.Sorted(maps.Keys(tabs)) {
			var evs []event
			if err := a.eachRun(ctx, id, projectID, tabs[t], sp, func(run []event) error {
				evs = append(evs, run...)
				return nil
			}); err != nil {
				return err
			}
			if len(evs) > 0 && (seekStart < 0 || evs[0].at < seekStart) {
				seekStart = evs[0].at
			}
			parts = append(parts, evs)
		}
		return nil
	})
	return parts, seekStart, err
}

// load reads one source's events, with the stylesheets and other content stored apart
// (docs/storage.md) put back.
func (a *API) load(ctx context.Context, s source, id, projectID string) ([]event, error) {
	arr, err := s.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("api: events of %s: %w", id, err)
	}
	arr, err = content.Resolve(arr, func(h string) ([]byte, error) { return a.content.Token(ctx, projectID, h) })
	if err != nil {
		return nil, fmt.Errorf("api: events of %s: %w", id, err)
	}
	var evs []event
	for _, raw := range rrweb.Elements(arr, 1<<30) {
		// Stored events passed ingest's header check: their top-level fields are read without
		// decoding the data (a full snapshot is hundreds of kB): a quarter of the time encoding/json
		// takes to read the same two fields.
		if ev, err := rrweb.FastParse(raw); err == nil {
			evs = append(evs, event{typ: ev.Type, at: ev.Timestamp, raw: raw})
			continue
		}
		typ, at, err := rrweb.Header(raw)
		if err != nil {
			return nil, fmt.Errorf("api: events of %s: %w", id, err)
		}
		evs = append(evs, event{typ: typ, at: at, raw: raw})
	}
	return evs, nil
}

// firstSnapshot reads the events of the tab that recorded the session's first full snapshot,
// from the tab's start up to and including that snapshot. It reads the tab's sources only up
// to the one holding the snapshot, which is normally its first chunk or segment. A session
// with no full snapshot yet answers no events.
func (a *API) firstSnapshot(ctx context.Context, id, projectID, tab string) ([]event, error) {
	var evs []event
	err := a.withSources(ctx, id, projectID, tab, nil, func(tabs map[string][]source, _ bool) error {
		var err error
		evs, err = a.firstSnapshotIn(ctx, id, projectID, tabs)
		return err
	})
	return evs, err
}

func (a *API) firstSnapshotIn(ctx context.Context, id, projectID string, tabs map[string][]source) ([]event, error) {
	first, firstAt := "", int64(0)
	for t, srcs := range tabs {
		for _, s := range srcs {
			if s.snapshotAt == 0 {
				continue
			}
			if first == "" || s.snapshotAt < firstAt || (s.snapshotAt == firstAt && t < first) {
				first, firstAt = t, s.snapshotAt
			}
			break
		}
	}
	if first == "" {
		return nil, nil
	}
	var evs []event
	for _, s := range tabs[first] {
		got, err := a.load(ctx, s, id, projectID)
		if err != nil {
			return nil, err
		}
		for i, e := range got {
			if e.typ == rrweb.FullSnapshot {
				return append(evs, got[:i+1]...), nil
			}
		}
		evs = append(evs, got...)
	}
	// A Meta event whose snapshot never arrived: nothing to show yet.
	return nil, nil
}
