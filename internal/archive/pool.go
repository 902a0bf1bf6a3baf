package archive

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/reelhq/reel/internal/store"
)

// Archiving runs in a pool of its own, beside compaction rather than inside it: a session whose
// recording names two hundred slow URLs used to hold the compaction loop for its whole
// deadline, and every other session's analysis waited behind it. Compaction now hands each
// session's references over (Enqueue) and goes on; Options.Workers sessions are archived at
// once, at most Options.PerProject of one project, taken from the projects in turn, so a
// project with a queue of slow sessions cannot keep another's waiting.

// job is one session waiting to be archived: what it references, not its events.
type job struct {
	sess  store.Session
	found found
}

// found is what a session references without carrying, by kind, and its first page.
type found struct {
	page string
	refs [3][]ref
}

func (f found) empty() bool {
	return len(f.refs[kindStylesheet])+len(f.refs[kindResource])+len(f.refs[kindImage]) == 0
}

// queue holds the sessions waiting, per project, and what is being archived.
type queue struct {
	mu      sync.Mutex
	waiting map[string][]*job // by project, oldest first
	turn    []string          // projects with sessions waiting, in the order they are served
	running map[string]int    // sessions being archived, by project
	pending int               // sessions waiting or being archived
	changed chan struct{}     // closed (and replaced) whenever the above changes
}

func newQueue() *queue {
	return &queue{waiting: map[string][]*job{}, running: map[string]int{}, changed: make(chan struct{})}
}

// notify wakes everyone waiting for a change; q.mu is held.
func (q *queue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// Enqueue has the session's external resources archived by the pool (Run) and returns at
// once. A session already waiting is replaced by its newer compaction (which holds all it
// had); a project with Options.Queue sessions waiting gets no more until some are done, and
// the session is logged and left unarchived: its replay loads those resources from the site,
// as it would with archiving off. The queue lives in memory: sessions waiting when the server
// stops are not archived.
func (a *Archiver) Enqueue(sess store.Session, tabs [][]json.RawMessage) {
	f := a.keep(collect(tabs))
	if f.empty() {
		return
	}
	q, p := a.queue, sess.ProjectID
	q.mu.Lock()
	defer q.mu.Unlock()
	list := q.waiting[p]
	for i, j := range list {
		if j.sess.ID == sess.ID {
			list[i] = &job{sess: sess, found: f}
			return
		}
	}
	if len(list) >= a.opts.Queue {
		a.log.Warn("archive: the project's queue is full; session not archived", "project", p, "session", sess.ID, "waiting", len(list))
		return
	}
	if len(list) == 0 {
		q.turn = append(q.turn, p)
	}
	q.waiting[p] = append(list, &job{sess: sess, found: f})
	q.pending++
	q.notify()
}

// keep is what a waiting session holds of what collect found: copies of the URLs (a URL from
// CSS is a slice of the whole stylesheet's text, which must not stay in memory while the
// session waits), and no more of them than twice the session's resource limit, stylesheets
// first, as archiving takes them (URLs already archived for the session do not count against
// the limit, hence twice).
func (a *Archiver) keep(col *collector) found {
	f := found{page: strings.Clone(col.page)}
	room := 2 * a.opts.Limits.Resources
	for k, list := range col.refs {
		list = list[:min(len(list), room)]
		room -= len(list)
		f.refs[k] = make([]ref, len(list))
		for i, x := range list {
			f.refs[k][i] = ref{url: strings.Clone(x.url), kind: x.kind}
		}
	}
	return f
}

// Run archives queued sessions with Options.Workers workers until ctx is done.
func (a *Archiver) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range a.opts.Workers {
		wg.Go(func() {
			for {
				j := a.next(ctx)
				if j == nil {
					return
				}
				switch err := a.archive(ctx, j.sess, j.found); {
				case errors.Is(err, store.ErrNotFound):
					// Deleted while it waited (erasure, retention): nothing to record. What was
					// stored for it is unreferenced and goes with the orphan sweep.
					a.log.Debug("archive: session deleted before it was archived", "session", j.sess.ID)
				case err != nil && ctx.Err() == nil:
					a.log.Warn("archive external resources", "session", j.sess.ID, "err", err)
				}
				a.finished(j)
			}
		})
	}
	wg.Wait()
}

// next waits for a session to archive: the first waiting in the next project, in turn, that has
// fewer than Options.PerProject sessions being archived. Nil when ctx is done.
func (a *Archiver) next(ctx context.Context) *job {
	q := a.queue
	for {
		q.mu.Lock()
		for i, p := range q.turn {
			if q.running[p] >= a.opts.PerProject {
				continue
			}
			list := q.waiting[p]
			j := list[0]
			list[0] = nil
			q.turn = append(q.turn[:i:i], q.turn[i+1:]...)
			if len(list) == 1 {
				delete(q.waiting, p)
			} else {
				q.waiting[p] = list[1:]
				q.turn = append(q.turn, p) // its next session waits for the other projects' turns
			}
			q.running[p]++
			q.mu.Unlock()
			return j
		}
		changed := q.changed
		q.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}

func (a *Archiver) finished(j *job) {
	q, p := a.queue, j.sess.ProjectID
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running[p]--; q.running[p] == 0 {
		delete(q.running, p)
	}
	q.pending--
	q.notify()
}

// Wait returns once no session is waiting or being archived (or ctx is done): tests, and
// anything that must see a compacted session's archive.
func (a *Archiver) Wait(ctx context.Context) error {
	q := a.queue
	for {
		q.mu.Lock()
		if q.pending == 0 {
			q.mu.Unlock()
			return nil
		}
		changed := q.changed
		q.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
