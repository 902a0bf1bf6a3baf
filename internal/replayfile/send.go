package replayfile

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Options say where and how Import sends a file.
type Options struct {
	Server  string // base URL of the Reel server, e.g. http://127.0.0.1:8080
	Key     string // the project's public ingest key (pk_…)
	Project string // the project's id: part of the imported session's id
	Client  *http.Client
	Limits  Limits
	// Progress, when set, is told how far Import is: phase "check" (the whole file is read
	// once before anything is sent) then "send", in bytes of the file.
	Progress func(phase string, done, total int64)
	// Batches bound what one request carries; zero values take the defaults (2,000 events,
	// 4 MiB of event text), well inside the server's limits.
	BatchEvents int
	BatchBytes  int
}

// Result is one imported file.
type Result struct {
	Session string
	Summary Summary
	Batches int
}

// Import checks the whole file at path, then sends its events to the server as batches under
// a session id made from the project and the file's bytes. Nothing is sent for a file with a
// problem anywhere in it. The id is the same every time the same file is imported into the
// same project, so importing it again (after a transfer failed half-way, say) completes the
// one session instead of making another: the server acknowledges the batches it already has
// and ignores them.
func Import(ctx context.Context, path string, opt Options) (Result, error) {
	return ImportTabs(ctx, []string{path}, opt)
}

// ImportTabs imports several files as the tabs of one session (Reel's rrweb export writes a
// file per tab), checking all of them before sending any.
func ImportTabs(ctx context.Context, paths []string, opt Options) (Result, error) {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 2 * time.Minute}
	}
	if opt.Limits.Event == 0 {
		opt.Limits = DefaultLimits()
	}
	if opt.BatchEvents <= 0 {
		opt.BatchEvents = 2000
	}
	if opt.BatchBytes <= 0 {
		opt.BatchBytes = 4 << 20
	}
	if len(paths) == 0 {
		return Result{}, errors.New("no files")
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var total int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return Result{}, err
		}
		files = append(files, f)
		st, err := f.Stat()
		if err != nil {
			return Result{}, err
		}
		if st.IsDir() {
			return Result{}, fmt.Errorf("%s is a directory", p)
		}
		total += st.Size()
	}
	// A file's errors name it when there are several.
	named := func(i int, err error) error {
		if len(paths) > 1 {
			return fmt.Errorf("%s: %w", paths[i], err)
		}
		return err
	}
	window := func(i int, w string) string {
		if len(paths) > 1 {
			return fmt.Sprintf("%d\x00%s", i, w)
		}
		return w
	}

	// Pass 1: check every event, and hash the files for the session's id.
	h := sha256.New()
	io.WriteString(h, opt.Project+"\x00")
	var sum Summary
	var done int64
	for i, f := range files {
		s, err := Read(&progress{r: io.TeeReader(f, h), phase: "check", base: done, total: total, report: opt.Progress, ctx: ctx}, opt.Limits, nil)
		if err != nil {
			return Result{Summary: s}, named(i, err)
		}
		h.Write([]byte{0})
		st, _ := f.Stat()
		done += st.Size()
		if i == 0 {
			sum = Summary{Format: s.Format, First: s.First, Last: s.Last}
		}
		sum.Events += s.Events
		sum.First, sum.Last = min(sum.First, s.First), max(sum.Last, s.Last)
		for _, w := range s.Windows {
			sum.Windows = append(sum.Windows, window(i, w))
		}
	}
	if opt.Limits.Session > 0 && time.Duration(sum.Last-sum.First)*time.Millisecond > opt.Limits.Session {
		return Result{Summary: sum}, fmt.Errorf("the tabs' events span more than %s; Reel keeps a session to %s", opt.Limits.Session, opt.Limits.Session)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	res := Result{Session: "s_imp" + digest[:24], Summary: sum}

	// Pass 2: send.
	s := &sender{ctx: ctx, opt: opt, session: res.Session, digest: digest, format: sum.Format, tabs: map[string]*tab{}}
	done = 0
	for i, f := range files {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return res, err
		}
		if _, err := Read(&progress{r: f, phase: "send", base: done, total: total, report: opt.Progress, ctx: ctx}, opt.Limits, func(ev Event) error {
			ev.Window = window(i, ev.Window)
			return s.add(ev)
		}); err != nil {
			return res, fmt.Errorf("%w (session %s may be incomplete: import the same files again to complete it)", named(i, err), res.Session)
		}
		st, _ := f.Stat()
		done += st.Size()
	}
	for _, w := range sum.Windows {
		if err := s.flush(s.tabs[w]); err != nil {
			return res, err
		}
	}
	res.Batches = s.batches
	return res, nil
}

// progress reports bytes read and stops reading once ctx ends.
type progress struct {
	ctx    context.Context
	r      io.Reader
	phase  string
	base   int64 // bytes of the files before this one
	done   int64
	total  int64
	report func(string, int64, int64)
	last   time.Time
}

func (p *progress) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.report != nil && (err != nil || time.Since(p.last) > 100*time.Millisecond) {
		p.last = time.Now()
		p.report(p.phase, p.base+p.done, p.total)
	}
	return n, err
}

// tab is one window's events waiting to be sent.
type tab struct {
	id     string
	seq    int
	events []json.RawMessage
	bytes  int
}

type sender struct {
	ctx     context.Context
	opt     Options
	session string
	digest  string
	format  Format
	tabs    map[string]*tab
	batches int
}

func (s *sender) add(ev Event) error {
	t := s.tabs[ev.Window]
	if t == nil {
		// A tab id per window, stable for the file like the session's.
		th := sha256.Sum256([]byte(s.digest + "\x00" + ev.Window))
		t = &tab{id: "t_imp" + hex.EncodeToString(th[:])[:16]}
		s.tabs[ev.Window] = t
	}
	if len(t.events) > 0 && (len(t.events) >= s.opt.BatchEvents || t.bytes+len(ev.Raw) > s.opt.BatchBytes) {
		if err := s.flush(t); err != nil {
			return err
		}
	}
	t.events = append(t.events, ev.Raw)
	t.bytes += len(ev.Raw)
	return nil
}

// wireBatch is the ingest wire format (docs/wire-format.md).
type wireBatch struct {
	Session string            `json:"session"`
	Tab     string            `json:"tab"`
	Seq     int               `json:"seq"`
	SentAt  int64             `json:"sentAt"`
	Meta    map[string]string `json:"meta"`
	Events  []json.RawMessage `json:"events"`
}

func (s *sender) flush(t *tab) error {
	if t == nil || len(t.events) == 0 {
		return nil
	}
	raw, err := json.Marshal(wireBatch{Session: s.session, Tab: t.id, Seq: t.seq, SentAt: time.Now().UnixMilli(),
		Meta: map[string]string{"sdk": "reel-import/" + string(s.format)}, Events: t.events})
	if err != nil {
		return err
	}
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return err
	}
	if err := s.post(body.Bytes(), t.seq); err != nil {
		return err
	}
	t.seq++
	t.events, t.bytes = t.events[:0], 0
	s.batches++
	return nil
}

// post sends one batch as the SDK does: again after Retry-After on 429 and 503, with backoff
// on other 5xx answers and network errors; a 4xx other than 429 is final.
func (s *sender) post(body []byte, seq int) error {
	u := strings.TrimRight(s.opt.Server, "/") + "/api/v1/ingest?v=1&key=" + url.QueryEscape(s.opt.Key)
	wait := time.Second
	var last error
	for attempt := 0; attempt < 8; attempt++ {
		req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/plain")
		resp, err := s.opt.Client.Do(req)
		if err != nil {
			if s.ctx.Err() != nil {
				return s.ctx.Err()
			}
			last = fmt.Errorf("batch %d: %w", seq, err)
		} else {
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusOK:
				return nil
			case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
				last = fmt.Errorf("batch %d: the server answered %s", seq, serverMessage(resp.StatusCode, msg))
				if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra > 0 {
					wait = min(time.Duration(ra)*time.Second, 30*time.Second)
				}
			default:
				return refused(resp.StatusCode, msg, s.session)
			}
		}
		select {
		case <-time.After(wait):
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
		wait = min(2*wait, 30*time.Second)
	}
	return fmt.Errorf("%w (session %s may be incomplete: import the file again to complete it)", last, s.session)
}

// refused explains a final answer from ingest.
func refused(status int, body []byte, session string) error {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	json.Unmarshal(body, &e)
	switch e.Error.Code {
	case "invalid_key":
		return errors.New("the server does not know this project key (check --project, or --key)")
	case "session_conflict":
		return fmt.Errorf("this file was already imported into another project (session %s)", session)
	case "session_erased":
		return fmt.Errorf("this file was imported before and its session %s erased; the server refuses that id for 90 days", session)
	case "origin_not_allowed":
		return errors.New("the project only accepts recordings from its allowed origins")
	}
	return fmt.Errorf("the server refused a batch: %s (session %s may be incomplete)", serverMessage(status, body), session)
}

func serverMessage(status int, body []byte) string {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return fmt.Sprintf("%d %s: %s", status, e.Error.Code, e.Error.Message)
	}
	return fmt.Sprintf("%d %s", status, strings.TrimSpace(string(body)))
}
