package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/postgres"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// migrateConfig is everything `reel migrate` can be told.
type migrateConfig struct {
	From   string // data directory of an embedded install
	To     string // postgres:// URL
	Blobs  string // s3:// URL the objects move to; empty: they stay under From
	Batch  int    // sessions per import transaction
	Verify int    // sessions whose events are compared byte for byte
}

const migrateUsage = `Usage: reel migrate --from DIR --to postgres://… [--to-blobs s3://…]

Copies the index of an embedded install (DIR/index.db) into PostgreSQL, exactly: every
project, user, session and what was computed about it keeps its id. With --to-blobs the
objects under DIR/blobs are copied into that S3 bucket first (those already there with the
same size are skipped); without it they stay where they are: afterwards run
"reel serve --db postgres://… --data DIR" (or with --blobs s3://…). Stop the embedded server
first. Interrupted, run it again: it continues, and running it twice is
harmless. It refuses a database that holds another install. Logins are not copied: people log
in again.

Flags:
`

func parseMigrate(args []string, stderr io.Writer) (migrateConfig, error) {
	var c migrateConfig
	fs := flag.NewFlagSet("reel migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), migrateUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.From, "from", env("REEL_DATA", ""), "data directory of the embedded install, holding index.db (REEL_DATA)")
	fs.StringVar(&c.To, "to", env("REEL_DB", ""), "PostgreSQL URL to copy the index into, postgres://user:password@host/db (REEL_DB)")
	fs.StringVar(&c.Blobs, "to-blobs", env("REEL_BLOBS", ""), "S3 URL to copy the objects into, in the form reel serve --blobs takes (REEL_BLOBS); empty: they stay under --from")
	fs.IntVar(&c.Batch, "batch", 50, "sessions copied per transaction")
	fs.IntVar(&c.Verify, "verify-sessions", 50, "sessions whose every chunk and segment is read through both indexes and compared byte for byte")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.From == "" || c.To == "" {
		fs.Usage()
		return c, errors.New("migrate needs --from and --to")
	}
	if !isPostgres(c.To) {
		return c, fmt.Errorf("--to must be a postgres:// URL, not %q", redactURL(c.To))
	}
	if c.Blobs != "" && !strings.HasPrefix(c.Blobs, "s3://") {
		return c, errors.New("--to-blobs must be an s3:// URL")
	}
	if c.Batch < 1 {
		c.Batch = 1
	}
	return c, nil
}

// migrateCmd copies an embedded index into PostgreSQL: a first pass over the source counts
// what there is (for the progress bar) and reads its projects, users and settings, which must
// agree with whatever the target holds already; a second pass copies; a third exports the
// target and compares its counts, then reads a sample of sessions' events through both.
func migrateCmd(args []string, stdout, stderr io.Writer) error {
	c, err := parseMigrate(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	index := filepath.Join(c.From, "index.db")
	if _, err := os.Stat(index); err != nil {
		return fmt.Errorf("no Reel data in %s (want %s): %w", c.From, index, err)
	}
	src, err := sqlite.Open(ctx, index)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, c.To)
	if err != nil {
		return err
	}
	defer dst.Close()
	blobs, err := blob.NewLocal(filepath.Join(c.From, "blobs"))
	if err != nil {
		return err
	}
	m := &mover{src: src, dst: dst, blobs: blobs, dstBlobs: blobs, out: stdout, cfg: c, tty: isTerminal(stdout)}
	if c.Blobs != "" {
		to, _, err := openBlobs(ctx, c.Blobs, c.From)
		if err != nil {
			return err
		}
		m.dstBlobs = to
		// Objects first: once a session's rows are in the target, its objects must be there.
		if err := copyObjects(ctx, blobs, to, stdout, m.tty); err != nil {
			return fmt.Errorf("copy objects (run again to continue): %w", err)
		}
	}
	return m.run(ctx)
}

// moveIndex is what migrate needs of either index.
type moveIndex interface {
	store.Mover
	Projects(ctx context.Context) ([]store.Project, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	CountUsers(ctx context.Context) (int, error)
	EnsureSetting(ctx context.Context, name, value string) (string, error)
	Chunks(ctx context.Context, sessionID string) ([]store.Chunk, error)
	Segments(ctx context.Context, sessionID string) ([]store.Segment, error)
	ContentHashes(ctx context.Context, projectID string, ids []int64) (map[int64]string, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
}

type mover struct {
	src, dst moveIndex
	blobs    layout.Reader // the source's objects
	dstBlobs layout.Reader // the target's: the same store unless --to-blobs
	out      io.Writer
	cfg      migrateConfig
	tty      bool
}

func (m *mover) run(ctx context.Context) error {
	start := time.Now()
	fmt.Fprintf(m.out, "reel migrate: %s → %s\n", m.cfg.From, redactURL(m.cfg.To))
	total := store.Counts{}
	var settings []store.Setting
	var projects []store.Project
	var users []store.User
	err := m.src.Export(ctx, func(r store.Record) error {
		total.Add(r)
		switch {
		case r.Setting != nil:
			settings = append(settings, *r.Setting)
		case r.Project != nil:
			projects = append(projects, *r.Project)
		case r.User != nil:
			users = append(users, *r.User)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", m.cfg.From, err)
	}
	if err := m.sameInstall(ctx, settings, projects, users); err != nil {
		return err
	}

	copied, sessions, err := m.copy(ctx, total["sessions"])
	if err != nil {
		return fmt.Errorf("copy (run again to continue): %w", err)
	}
	if err := m.verifyCounts(ctx, copied); err != nil {
		return err
	}
	if err := m.verifyEvents(ctx, sessions); err != nil {
		return err
	}
	fmt.Fprintf(m.out, "done in %s: %d projects, %d users, %d sessions (%d chunks, %d segments), %d content items; counts and a sample of %d sessions' events verified.\n",
		time.Since(start).Round(time.Millisecond), copied["projects"], copied["users"], copied["sessions"], copied["chunks"], copied["segments"], copied["content items"],
		min(m.cfg.Verify, len(sessions)))
	if m.cfg.Blobs != "" {
		fmt.Fprintf(m.out, "Objects are in %s; start each node with:\n  reel serve --db %s --blobs %s\n", m.cfg.Blobs, redactURL(m.cfg.To), m.cfg.Blobs)
		return nil
	}
	fmt.Fprintf(m.out, "Blobs stay in %s; start the server with:\n  reel serve --db %s --data %s\n",
		filepath.Join(m.cfg.From, "blobs"), redactURL(m.cfg.To), m.cfg.From)
	return nil
}

// copyObjects copies every object of the embedded install's blob directory into the target
// store, skipping those the target already holds with the same size, so an interrupted run
// continues where it stopped. Objects are immutable once written (docs/storage.md), so a key
// of the same size is the same object.
func copyObjects(ctx context.Context, from, to blob.Store, out io.Writer, tty bool) error {
	type object struct {
		key  string
		size int64
	}
	var all []object
	if err := from.List(ctx, "", func(key string, size int64, _ time.Time) error {
		all = append(all, object{key, size})
		return nil
	}); err != nil {
		return fmt.Errorf("list the source: %w", err)
	}
	have := map[string]int64{}
	if err := to.List(ctx, "", func(key string, size int64, _ time.Time) error {
		have[key] = size
		return nil
	}); err != nil {
		return fmt.Errorf("list the target: %w", err)
	}
	fmt.Fprintf(out, "objects: %d to copy\n", len(all))
	p := newProgress(out, tty, int64(len(all)))
	copied, skipped := 0, 0
	for _, o := range all {
		if size, ok := have[o.key]; ok && size == o.size {
			skipped++
			p.add(1)
			continue
		}
		data, err := from.Get(ctx, o.key)
		if err != nil {
			return fmt.Errorf("read %s: %w", o.key, err)
		}
		if err := to.Put(ctx, o.key, data); err != nil {
			return fmt.Errorf("write %s: %w", o.key, err)
		}
		copied++
		p.add(1)
	}
	p.done()
	fmt.Fprintf(out, "objects: %d copied, %d already there\n", copied, skipped)
	return nil
}

// sameInstall refuses a target that holds another install: a project or user with an id of
// the source but other content, a project the source does not have, more users than the source
// has, or another value of a setting (the share-link key: links signed by the source must keep
// working). An empty target, or one holding part of this copy, passes.
func (m *mover) sameInstall(ctx context.Context, settings []store.Setting, projects []store.Project, users []store.User) error {
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%s already holds another install: "+format+"; migrate into an empty database", append([]any{redactURL(m.cfg.To)}, args...)...)
	}
	have, err := m.dst.Projects(ctx)
	if err != nil {
		return err
	}
	byID := map[string]store.Project{}
	for _, p := range projects {
		byID[p.ID] = p
	}
	for _, p := range have {
		want, ok := byID[p.ID]
		if !ok {
			return refuse("project %q is not in %s", p.ID, m.cfg.From)
		}
		if p.PublicKey != want.PublicKey || !p.CreatedAt.Equal(want.CreatedAt) {
			return refuse("project %q differs (another public key or creation time)", p.ID)
		}
	}
	n, err := m.dst.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n > len(users) {
		return refuse("%d users, the source has %d", n, len(users))
	}
	found := 0
	for _, u := range users {
		got, err := m.dst.UserByID(ctx, u.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !strings.EqualFold(got.Email, u.Email) || !got.CreatedAt.Equal(u.CreatedAt) {
			return refuse("user %d is %s, not %s", u.ID, got.Email, u.Email)
		}
		found++
	}
	if found != n {
		return refuse("%d of its %d users are not in the source", n-found, n)
	}
	if len(have) == 0 && n > 0 {
		return refuse("users but no projects")
	}
	// EnsureSetting stores the source's value when the target has none, which is what the
	// copy would do, and otherwise tells the target's.
	for _, s := range settings {
		got, err := m.dst.EnsureSetting(ctx, s.Name, s.Value)
		if err != nil {
			return err
		}
		if got != s.Value {
			return refuse("setting %q has another value", s.Name)
		}
	}
	if len(have) > 0 {
		fmt.Fprintf(m.out, "the target holds part of this install already: continuing the copy\n")
	}
	return nil
}

// copy imports everything the source exports, sessions cfg.Batch at a time (other records in
// larger batches), and returns the counts of what it passed on and every session's id.
func (m *mover) copy(ctx context.Context, sessions int64) (store.Counts, []string, error) {
	copied := store.Counts{}
	var ids []string
	var pending []store.Record
	pendingSessions := 0
	bar := newProgress(m.out, m.tty, sessions)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := m.dst.Import(ctx, pending); err != nil {
			return err
		}
		bar.add(int64(pendingSessions))
		pending, pendingSessions = pending[:0], 0
		return nil
	}
	err := m.src.Export(ctx, func(r store.Record) error {
		copied.Add(r)
		// A kind of record depends on those before it (a session on its project, a pin on its
		// session): a batch holds one kind, so each is committed before the next kind starts.
		if len(pending) > 0 && recordKind(pending[0]) != recordKind(r) {
			if err := flush(); err != nil {
				return err
			}
		}
		pending = append(pending, r)
		if r.Session != nil {
			ids = append(ids, r.Session.Session.ID)
			pendingSessions++
			if pendingSessions >= m.cfg.Batch {
				return flush()
			}
		} else if len(pending) >= 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	bar.done()
	return copied, ids, err
}

// recordKind names the field of a record that is set.
func recordKind(r store.Record) string {
	v := reflect.ValueOf(r)
	for i := range v.NumField() {
		if !v.Field(i).IsNil() {
			return v.Type().Field(i).Name
		}
	}
	return ""
}

// verifyCounts exports the target and compares what it holds, kind by kind, with what was
// copied.
func (m *mover) verifyCounts(ctx context.Context, copied store.Counts) error {
	got := store.Counts{}
	if err := m.dst.Export(ctx, func(r store.Record) error { got.Add(r); return nil }); err != nil {
		return fmt.Errorf("verify: read the target: %w", err)
	}
	var bad []string
	for _, k := range copied.Kinds(got) {
		if copied[k] != got[k] {
			bad = append(bad, fmt.Sprintf("%s: %d in the source, %d in the target", k, copied[k], got[k]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("verify: the copy differs from the source:\n  %s", strings.Join(bad, "\n  "))
	}
	fmt.Fprintf(m.out, "verified counts:")
	for _, k := range copied.Kinds(got) {
		fmt.Fprintf(m.out, " %s=%d", strings.ReplaceAll(k, " ", "_"), copied[k])
	}
	fmt.Fprintln(m.out)
	return nil
}

// verifyEvents reads the events of up to cfg.Verify sessions, spread over all of them, through
// each index (its chunk and segment rows, and its content numbers) and compares the bytes.
func (m *mover) verifyEvents(ctx context.Context, ids []string) error {
	n := min(m.cfg.Verify, len(ids))
	for i := range n {
		id := ids[i*len(ids)/n]
		a, err := sessionEvents(ctx, m.src, m.blobs, id)
		if err != nil {
			return fmt.Errorf("verify: session %s in the source: %w", id, err)
		}
		b, err := sessionEvents(ctx, m.dst, m.dstBlobs, id)
		if err != nil {
			return fmt.Errorf("verify: session %s in the target: %w", id, err)
		}
		if !bytes.Equal(a, b) {
			return fmt.Errorf("verify: session %s reads other events through the target (%d bytes, not %d)", id, len(b), len(a))
		}
	}
	return nil
}

// sessionEvents is every event of a session as stored, read through ix: each segment, then
// each chunk not compacted yet, as the events API reads them.
func sessionEvents(ctx context.Context, ix moveIndex, blobs layout.Reader, id string) ([]byte, error) {
	segs, err := ix.Segments(ctx, id)
	if err != nil {
		return nil, err
	}
	chunks, err := ix.Chunks(ctx, id)
	if err != nil {
		return nil, err
	}
	s, err := ix.GetSession(ctx, id)
	if err != nil {
		return nil, err
	}
	hashes := func(ids []int64) (map[int64]string, error) { return ix.ContentHashes(ctx, s.ProjectID, ids) }
	var out bytes.Buffer
	for _, g := range segs {
		data, err := layout.ReadSegment(ctx, blobs, g, hashes)
		if err != nil {
			return nil, fmt.Errorf("segment %s/%d: %w", g.Tab, g.Index, err)
		}
		fmt.Fprintf(&out, "segment %s %d %d\n", g.Tab, g.Index, len(data))
		out.Write(data)
	}
	for _, c := range chunks {
		if c.Compacted {
			continue
		}
		data, err := layout.ReadChunk(ctx, blobs, c)
		if err != nil {
			return nil, fmt.Errorf("chunk %s/%d: %w", c.Tab, c.Seq, err)
		}
		fmt.Fprintf(&out, "chunk %s %d %d\n", c.Tab, c.Seq, len(data))
		out.Write(data)
	}
	return out.Bytes(), nil
}

// progress draws a bar on a terminal and, elsewhere (a log, a pipe), a plain line every tenth
// of the way, so a log is not flooded with carriage returns.
type progress struct {
	w          io.Writer
	tty        bool
	total, n   int64
	lastLine   int64
	start      time.Time
	lastRedraw time.Time
}

func newProgress(w io.Writer, tty bool, total int64) *progress {
	p := &progress{w: w, tty: tty, total: total, start: time.Now(), lastLine: -1}
	p.draw(true)
	return p
}

func (p *progress) add(n int64) {
	p.n += n
	p.draw(false)
}

func (p *progress) draw(force bool) {
	if p.tty {
		if !force && time.Since(p.lastRedraw) < 100*time.Millisecond && p.n < p.total {
			return
		}
		p.lastRedraw = time.Now()
		const width = 30
		filled := width
		if p.total > 0 {
			filled = int(p.n * width / p.total)
		}
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d sessions %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.n, p.total,
			time.Since(p.start).Round(100*time.Millisecond))
		return
	}
	tenth := int64(10)
	if p.total > 0 {
		tenth = p.n * 10 / p.total
	}
	if tenth != p.lastLine || force {
		p.lastLine = tenth
		fmt.Fprintf(p.w, "copied %d/%d sessions (%s)\n", p.n, p.total, time.Since(p.start).Round(time.Millisecond))
	}
}

func (p *progress) done() {
	if p.tty {
		p.draw(true)
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a character device (a terminal), without a dependency.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
