package compact

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/rewrite"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// finalise does what needs the whole session once it is safely compacted: analysis (friction,
// summary, score, issues), heatmap points and, when archive is set, copies of the external
// resources it uses. Each is best effort: a failure is logged and the compaction stands, and
// the next compaction of the session (after a late batch) does them again.
func (c *Compactor) finalise(ctx context.Context, sess store.Session, out *rewritten, archive bool) {
	rep := analyze.Analyze(out.analysed, facts(sess), c.thresholds(ctx, sess.ProjectID))
	if c.rewriter != nil {
		c.rephrase(ctx, sess.ID, &rep)
	}
	a, err := shape(sess, rep)
	if err != nil {
		c.log.Warn("compaction: analysis", "session", sess.ID, "err", err)
	} else if err := c.index.SaveAnalysis(ctx, a); err != nil {
		c.log.Warn("compaction: save analysis", "session", sess.ID, "err", err)
	}
	if err := c.index.SaveHeat(ctx, Heat(sess, out.tabs, out.analysed)); err != nil {
		c.log.Warn("compaction: save heatmap data", "session", sess.ID, "err", err)
	}
	if err := c.index.SaveSteps(ctx, sess.ID, Steps(out.analysed)); err != nil {
		c.log.Warn("compaction: save funnel steps", "session", sess.ID, "err", err)
	}
	// The session is safely compacted and analysed; its external resources are archived by
	// the archiver's own pool, so a slow site delays no compaction, this one's or the next's.
	if archive && c.archiver != nil {
		c.archiver.Enqueue(sess, out.analysed)
	}
}

// archiver keeps copies of what a session's recording uses without carrying: cross-origin
// stylesheets, their fonts and images (package archive). Enqueue takes what it needs from the
// events and returns at once.
type archiver interface {
	Enqueue(sess store.Session, tabs [][]json.RawMessage)
}

// SetArchiver has compaction archive each session's external resources; nil (the default)
// archives nothing.
func (c *Compactor) SetArchiver(a archiver) { c.archiver = a }

// rewriter rephrases a summary (package rewrite: an operator-configured language model).
type rewriter interface {
	Rewrite(ctx context.Context, in rewrite.Input) (string, error)
}

// SetRewriter has summaries rephrased by a language model; nil (the default) keeps Reel's own.
func (c *Compactor) SetRewriter(r rewriter) { c.rewriter = r }

// rephrase replaces rep's summary with the model's, keeping Reel's own when the model fails.
func (c *Compactor) rephrase(ctx context.Context, id string, rep *analyze.Report) {
	in := rewrite.Input{Summary: rep.Summary}
	for _, s := range rep.Signals {
		in.Signals = append(in.Signals, string(s.Kind)+" on "+analyze.Path(s.URL)+": "+s.Target)
	}
	for _, e := range rep.ErrorEvents {
		in.Errors = append(in.Errors, e.Message)
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := c.rewriter.Rewrite(rctx, in)
	if err != nil {
		c.log.Warn("summary rewrite failed; keeping Reel's", "session", id, "err", err)
		return
	}
	rep.Summary = out
}

// thresholds returns the project's friction thresholds; a project that cannot be read falls back
// to the defaults with a warning, as settings.Read does for thresholds that do not parse.
func (c *Compactor) thresholds(ctx context.Context, projectID string) analyze.Thresholds {
	p, err := c.index.Project(ctx, projectID)
	if err != nil {
		c.log.Warn("compaction: read project thresholds; using defaults", "project", projectID, "err", err)
		return analyze.Defaults
	}
	return settings.Read(c.log, p).Thresholds
}

// Analysis runs the detectors, tuned by th, over a session's tabs and shapes the result for
// the index.
func Analysis(sess store.Session, tabs [][]json.RawMessage, th analyze.Thresholds) store.Analysis {
	a, _ := shape(sess, analyze.Analyze(tabs, facts(sess), th))
	return a
}

// facts are what the index knows of a session that analysis reads.
func facts(sess store.Session) analyze.Facts {
	ua := useragent.Parse(sess.UserAgent)
	return analyze.Facts{UserID: sess.UserID, Browser: ua.Browser, OS: ua.OS, Device: ua.Device, DurationMS: sess.Duration().Milliseconds()}
}

// shape turns a report into what the index keeps: the findings and errors as rows for issues
// and search, the counts and scores on the session, and the report itself for the player.
func shape(sess store.Session, rep analyze.Report) (store.Analysis, error) {
	a := store.Analysis{SessionID: sess.ID, Score: rep.Score, Summary: rep.Summary, Counts: map[string]int{}, At: time.Now(), ActiveMS: rep.ActiveMS}
	for k, n := range rep.Counts {
		a.Counts[string(k)] = n
	}
	for _, s := range rep.Signals {
		a.Signals = append(a.Signals, store.StoredSignal{Kind: string(s.Kind), At: time.UnixMilli(s.At), Path: analyze.Path(s.URL), Target: s.Target,
			Fingerprint: analyze.Fingerprint(s), Detail: s.Detail})
	}
	for _, e := range rep.ErrorEvents {
		a.Signals = append(a.Signals, store.StoredSignal{Kind: "js_error", At: time.UnixMilli(e.At), Path: analyze.Path(e.URL), Target: e.Message,
			Fingerprint: analyze.ErrorFingerprint(e.Message)})
		a.Counts["js_error"]++
	}
	report, err := json.Marshal(rep)
	if err != nil {
		return a, fmt.Errorf("analysis %s: report: %w", sess.ID, err)
	}
	a.Report = report
	return a, nil
}
