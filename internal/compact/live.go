package compact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/rrweb"
	"github.com/reelhq/reel/internal/store"
)

// liveIndex is what live analysis needs from the store beyond compaction's own needs.
type liveIndex interface {
	index
	LiveSessions(ctx context.Context, limit int) ([]store.LiveSession, error)
	TryJob(ctx context.Context, name string, every time.Duration) (bool, error)
	SaveLiveSteps(ctx context.Context, sessionID string, steps []store.Step) error
}

// LiveOptions tune live analysis.
type LiveOptions struct {
	// Interval is how often the cluster looks for sessions with batches no analysis has read:
	// one node per interval runs the pass (TryJob). A finding is stored at most about an
	// interval, plus the pass, after the batch that shows it is stored.
	Interval time.Duration
	// Keep is how many sessions' reading state a node keeps in memory; a session whose state
	// was dropped (or read by another node) is read again from its start.
	Keep int
}

// LiveDefaults: a pass every 5 seconds keeps findings well within a minute of their batch
// (the SDK sends one every few seconds) at the cost of one indexed query per interval when
// nothing is live.
var LiveDefaults = LiveOptions{Interval: 5 * time.Second, Keep: 500}

// Live analyses sessions while they are recorded. Each pass reads, for every session with
// new batches, only those batches, into the timelines (analyze.Timeline) and heatmap reader
// it kept from the pass before, and stores the findings no later event can take back
// (analyze.Live), the summary, the score, the heatmap points and the clicks and track events
// funnels read. Compaction's whole-session
// analysis stays the final word. docs/decisions.md says why it carries state rather than
// re-reading a window.
type Live struct {
	c     *Compactor
	index liveIndex
	log   *slog.Logger
	opts  LiveOptions

	mu       sync.Mutex
	sessions map[string]*liveSession
}

// liveSession is what a node has read of one session.
type liveSession struct {
	tabs  map[string]*liveTab
	names []string // tab names in the order the heatmap reader numbers them
	heat  analyze.HeatReader
	used  time.Time
	steps int // the timelines' StepEvents when their steps were last stored
}

// liveTab is what has been read of one tab.
type liveTab struct {
	timeline *analyze.Timeline
	heat     int            // the tab's number in the session's heatmap reader
	seq      int64          // the highest sequence number read
	read     map[int64]bool // the sequence numbers of the chunks read
	last     int64          // the latest event time read
}

// NewLive returns live analysis over c's index and blobs; idx is the same index as c's.
func NewLive(c *Compactor, idx liveIndex, opts LiveOptions) *Live {
	if opts.Interval <= 0 {
		opts.Interval = LiveDefaults.Interval
	}
	if opts.Keep <= 0 {
		opts.Keep = LiveDefaults.Keep
	}
	return &Live{c: c, index: idx, log: c.log, opts: opts, sessions: map[string]*liveSession{}}
}

// Run analyses live sessions until ctx is done. Every node runs it; the index lets one node
// per interval run a pass.
func (l *Live) Run(ctx context.Context) {
	// Poll twice per interval: a node polled exactly every interval may see "not yet" by a
	// millisecond and wait a whole interval more (TryJob).
	t := time.NewTicker(l.opts.Interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := l.index.TryJob(ctx, "live-analysis", l.opts.Interval)
		if err != nil {
			if ctx.Err() == nil {
				l.log.Error("live analysis: job lease", "err", err)
			}
			continue
		}
		if !ok {
			continue
		}
		if _, err := l.RunOnce(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("live analysis pass failed", "err", err)
		}
	}
}

// RunOnce analyses every session with batches no analysis has read and returns how many it
// analysed.
func (l *Live) RunOnce(ctx context.Context) (int, error) {
	done := 0
	for range 20 { // at most 20 rounds of 100 sessions per pass; the rest wait for the next
		list, err := l.index.LiveSessions(ctx, 100)
		if err != nil {
			return done, err
		}
		progressed := false
		for _, ls := range list {
			ok, err := l.Session(ctx, ls)
			if err != nil {
				if ctx.Err() != nil {
					return done, ctx.Err()
				}
				l.log.Warn("live analysis failed", "session", ls.ID, "err", err)
				continue
			}
			if ok {
				done++
				progressed = true
			}
		}
		if len(list) < 100 || !progressed {
			break
		}
	}
	l.forget(time.Now())
	return done, nil
}

// Session analyses one session's new batches and stores what it found. It reports false when
// compaction has taken every batch in since it was listed (compaction's analysis is then the
// final one). Two nodes analysing one session at once (a pass longer than the interval) both
// store what they read; the index keeps the later, and a pass that read less leaves the
// session listed for the next.
func (l *Live) Session(ctx context.Context, ls store.LiveSession) (bool, error) {
	ok, err := l.session(ctx, ls)
	if errors.Is(err, blob.ErrNotFound) {
		// Compaction replaced the chunks listed with a segment while they were read (and
		// deleted them): read again what is there now, which may be nothing to analyse.
		ok, err = l.session(ctx, ls)
	}
	return ok, err
}

func (l *Live) session(ctx context.Context, ls store.LiveSession) (bool, error) {
	sess, err := l.index.GetSession(ctx, ls.ID)
	if err != nil {
		return false, err
	}
	chunks, err := l.index.Chunks(ctx, ls.ID)
	if err != nil {
		return false, err
	}
	var fresh []store.Chunk
	for _, ch := range chunks {
		if !ch.Compacted {
			fresh = append(fresh, ch)
		}
	}
	if len(fresh) == 0 {
		return false, nil
	}
	l.mu.Lock()
	st := l.sessions[ls.ID]
	delete(l.sessions, ls.ID) // back in when read without error
	l.mu.Unlock()
	if st == nil {
		if st, err = l.readAll(ctx, ls.ID); err != nil {
			return false, err
		}
	} else if err := l.readNew(ctx, sess, st, fresh); err != nil {
		return false, err
	}
	names := make([]string, 0, len(st.tabs))
	for name := range st.tabs {
		names = append(names, name)
	}
	sort.Strings(names) // the whole-session pass reads tabs in this order
	timelines := make([]*analyze.Timeline, len(names))
	for i, name := range names {
		timelines[i] = st.tabs[name].timeline
	}
	rep := analyze.Live(timelines, facts(sess), l.c.thresholds(ctx, sess.ProjectID))
	a, err := shape(sess, rep)
	if err != nil {
		return false, err
	}
	a.Through, a.Live = ls.LastBatchAt, true
	h := heat(sess, st.names, st.heat.Clicks, st.heat.Views)
	h.Live = true
	// Compaction may have taken every batch in since they were read: the index then keeps
	// compaction's analysis, the final word, and refuses these. The analysis is saved last:
	// once search finds a session by what it found (rage:>0), its heatmap points are there.
	if err := l.index.SaveHeat(ctx, h); errors.Is(err, store.ErrConflict) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("live analysis %s: heatmap: %w", ls.ID, err)
	}
	// Most batches add no click or track event: the stored steps are then still right.
	n := 0
	for _, t := range timelines {
		n += t.StepEvents()
	}
	if n != st.steps {
		var steps []analyze.Step
		for _, t := range timelines {
			steps = append(steps, t.Steps()...)
		}
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].At < steps[j].At })
		if err := l.index.SaveLiveSteps(ctx, ls.ID, storeSteps(steps)); errors.Is(err, store.ErrConflict) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("live analysis %s: funnel steps: %w", ls.ID, err)
		}
		st.steps = n
	}
	if err := l.index.SaveAnalysis(ctx, a); errors.Is(err, store.ErrConflict) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("live analysis %s: %w", ls.ID, err)
	}
	st.used = time.Now()
	l.mu.Lock()
	l.sessions[ls.ID] = st
	l.mu.Unlock()
	return true, nil
}

// readNew reads the chunks not read before. A chunk that does not come after every chunk
// read of its tab, by sequence and by time (a retried batch arriving after a later one, a clock
// step), makes the session be read again from its start, so the timelines always hold a tab's
// events in the order compaction gives them.
func (l *Live) readNew(ctx context.Context, sess store.Session, st *liveSession, chunks []store.Chunk) error {
	for _, ch := range chunks {
		t := st.tabs[ch.Tab]
		if t != nil && t.read[ch.Seq] {
			continue
		}
		events, err := l.events(ctx, sess.ProjectID, ch)
		if err != nil {
			return err
		}
		if t == nil {
			t = &liveTab{timeline: analyze.NewTimeline(), heat: len(st.names), seq: -1, read: map[int64]bool{}}
			st.tabs[ch.Tab] = t
			st.names = append(st.names, ch.Tab)
		}
		if ch.Seq < t.seq || len(events) > 0 && events[0].Timestamp < t.last {
			again, err := l.readAll(ctx, sess.ID)
			if err != nil {
				return err
			}
			*st = *again
			return nil
		}
		t.feed(&st.heat, ch.Seq, events)
	}
	return nil
}

// readAll reads everything stored for the session, as compaction does.
func (l *Live) readAll(ctx context.Context, id string) (*liveSession, error) {
	in, err := l.c.load(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &liveSession{tabs: map[string]*liveTab{}}
	for name := range in.tabs {
		st.names = append(st.names, name)
	}
	sort.Strings(st.names)
	for i, name := range st.names {
		pieces := in.tabs[name]
		flat, err := flatten(pieces)
		if err != nil {
			return nil, fmt.Errorf("live analysis %s tab %s: %w", id, name, err)
		}
		raws := make([]json.RawMessage, len(flat))
		for i, e := range flat {
			raws[i] = e.raw
		}
		events := analyze.Parse(raws)
		t := &liveTab{timeline: analyze.NewTimeline(), heat: i, seq: -1, read: map[int64]bool{}}
		for _, p := range pieces {
			if p.seq >= 0 {
				t.read[p.seq] = true
				t.seq = max(t.seq, p.seq)
			}
		}
		t.feed(&st.heat, t.seq, events)
		st.tabs[name] = t
	}
	return st, nil
}

// events reads one chunk's events, their content resolved, in time order.
func (l *Live) events(ctx context.Context, projectID string, ch store.Chunk) ([]rrweb.Event, error) {
	arr, err := layout.ReadChunk(ctx, l.c.blobs, ch)
	if err != nil {
		return nil, fmt.Errorf("live analysis: chunk %s/%s/%d: %w", ch.SessionID, ch.Tab, ch.Seq, err)
	}
	if arr, err = l.c.resolve(ctx, projectID, arr); err != nil {
		return nil, fmt.Errorf("live analysis: chunk %s/%s/%d: %w", ch.SessionID, ch.Tab, ch.Seq, err)
	}
	out := rrweb.Events(arr)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Timestamp < out[j].Timestamp })
	return out, nil
}

// feed reads events (in time order, after those read) into the tab's timeline and the
// session's heatmap reader.
func (t *liveTab) feed(h *analyze.HeatReader, seq int64, events []rrweb.Event) {
	t.timeline.FeedParsed(events)
	h.FeedParsed(t.heat, events)
	if seq >= 0 {
		t.read[seq] = true
		t.seq = max(t.seq, seq)
	}
	if len(events) > 0 {
		t.last = max(t.last, events[len(events)-1].Timestamp)
	}
}

// forget drops the reading state of sessions not analysed for a while (most likely over, and
// compacted soon) and, past Keep, of those analysed longest ago.
func (l *Live) forget(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, st := range l.sessions {
		if now.Sub(st.used) > 15*time.Minute {
			delete(l.sessions, id)
		}
	}
	if len(l.sessions) <= l.opts.Keep {
		return
	}
	ids := make([]string, 0, len(l.sessions))
	for id := range l.sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return l.sessions[ids[i]].used.Before(l.sessions[ids[j]].used) })
	for _, id := range ids[:len(ids)-l.opts.Keep] {
		delete(l.sessions, id)
	}
}
