package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/export"
)

const exportUsage = `usage:
  reel export [flags] SESSION...
  reel export [flags] --query 'rage:>0 since:7d' [--project ID]
writes each session into the output directory (docs/export.md):
  rrweb       <id>.rrweb.json, the events as recorded (one file per tab), and <id>.meta.json
  html        <id>.html, a player that replays the session offline, assets inlined
  video       <id>.webm, the session at its viewport, inactivity skipped (needs ffmpeg and chromium)
  playwright  a Playwright test of the visit
against a running server (--server or REEL_SERVER), with an API token in REEL_TOKEN
(reel tokens create).

flags:`

// exportCmd writes sessions read from a running server into files, one format at a time.
func exportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reel export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), exportUsage)
		fs.PrintDefaults()
	}
	server := fs.String("server", env("REEL_SERVER", "http://127.0.0.1:8080"), "the Reel server's URL (REEL_SERVER)")
	query := fs.String("query", "", "export every session this search matches (the filter language of docs/search.md)")
	project := fs.String("project", "", "the project --query searches (default: every project the token sees)")
	format := fs.String("format", "rrweb", "rrweb, html, video or playwright")
	out := fs.String("o", "", "directory to write into (created if missing)")
	// Sessions and flags in any order (reel export ID -o DIR), as the usage shows them.
	var ids []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		ids = append(ids, args[0])
		args = args[1:]
	}
	switch {
	case *out == "":
		return errors.New("export: -o DIR is required")
	case *query == "" && len(ids) == 0:
		return errors.New("export: name sessions or give --query")
	case *query != "" && len(ids) > 0:
		return errors.New("export: name sessions or give --query, not both")
	}
	f, err := export.Lookup(*format)
	if err != nil {
		return fmt.Errorf("export: --format: %w", err)
	}
	if err := writableDir(*out); err != nil {
		return err
	}
	if f.Name == "video" {
		// Said before anything is downloaded, and exactly, so a script can act on it.
		if _, _, err := export.Tools(""); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := &export.Client{Server: *server, Token: os.Getenv("REEL_TOKEN")}
	if *query != "" {
		if ids, err = export.Search(ctx, c, *query, *project); err != nil {
			return err
		}
		if len(ids) == 0 {
			fmt.Fprintf(stderr, "no session matches %q\n", *query)
			return nil
		}
	}
	p := newExportProgress(stdout, isTerminal(stdout), len(ids))
	for i, id := range ids {
		p.step(i, id, "reading")
		s, err := export.Load(ctx, c, id, f.Assets)
		if err != nil {
			p.done()
			var se *export.StatusError
			if errors.As(err, &se) && se.Status == 404 {
				return fmt.Errorf("export: session %s: not found on %s", id, *server)
			}
			return fmt.Errorf("export: %w", err)
		}
		if s.Info.Recording() {
			p.note(fmt.Sprintf("%s: still recording: exported what is stored up to %s UTC", id, s.Info.EndedAt.UTC().Format(time.TimeOnly)))
		}
		p.step(i, id, "writing "+f.Name)
		wctx := export.WithProgress(ctx, func(done, all int) {
			p.step(i, id, fmt.Sprintf("writing %s %d/%d", f.Name, done, all))
		})
		names, err := f.Write(wctx, s, *out)
		if err != nil {
			p.done()
			return fmt.Errorf("export: %s: %w", id, err)
		}
		p.finished(i+1, id, names)
	}
	p.done()
	return nil
}

// writableDir makes dir if needed and proves a file can be written in it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export: output directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".reel-write-check-*")
	if err != nil {
		return fmt.Errorf("export: output directory %s cannot be written: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// progress shows how far an export is: a bar redrawn in place on a terminal, plain lines
// otherwise.
type exportProgress struct {
	w     io.Writer
	tty   bool
	total int
	drawn bool
}

func newExportProgress(w io.Writer, tty bool, total int) *exportProgress {
	return &exportProgress{w: w, tty: tty, total: total}
}

const barWidth = 30

func (p *exportProgress) bar(done int, id, what string) {
	n := barWidth * done / max(p.total, 1)
	fmt.Fprintf(p.w, "\r\x1b[K[%s%s] %d/%d %s %s", strings.Repeat("#", n), strings.Repeat(".", barWidth-n), done, p.total, id, what)
	p.drawn = true
}

func (p *exportProgress) step(i int, id, what string) {
	if p.tty {
		p.bar(i, id, what)
	}
}

func (p *exportProgress) note(line string) {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, line)
}

func (p *exportProgress) finished(done int, id string, names []string) {
	if p.tty {
		p.bar(done, id, "done")
		return
	}
	fmt.Fprintf(p.w, "%d/%d %s: %s\n", done, p.total, id, strings.Join(names, ", "))
}

func (p *exportProgress) done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}
