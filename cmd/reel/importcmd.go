package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/reelhq/reel/internal/replayfile"
)

const importUsage = `usage: reel import [--server URL] [--project ID] [--key pk_…] FILE…

Imports rrweb recordings (rrweb's record output, PostHog and Sentry exports, Reel's own
export) into a running server, each file one session; the <id>.meta.json of Reel's rrweb
export imports its tab files as one session. The project's ingest key is looked
up with the API token in REEL_TOKEN unless --key gives it.`

// importCmd sends each file through the server's ingest endpoint (docs/decisions.md, "reel
// import"). A file with a problem anywhere is refused whole before any of it is sent; the
// other files are still imported, and the command fails at the end if any file did.
func importCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reel import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, importUsage); fs.PrintDefaults() }
	server := fs.String("server", env("REEL_SERVER", "http://127.0.0.1:8080"), "URL of the running Reel server (REEL_SERVER)")
	project := fs.String("project", "default", "project the sessions go into")
	key := fs.String("key", env("REEL_KEY", ""), "the project's public ingest key (pk_…); default: looked up with REEL_TOKEN (REEL_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no files to import")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client := &http.Client{Timeout: 2 * time.Minute}
	if *key == "" {
		k, err := projectKey(ctx, client, *server, *project, os.Getenv("REEL_TOKEN"))
		if err != nil {
			return err
		}
		*key = k
	}
	bar := newProgressBar(stdout)
	failed := 0
	for _, path := range fs.Args() {
		files, err := exportTabs(path)
		var res replayfile.Result
		if err == nil {
			res, err = replayfile.ImportTabs(ctx, files, replayfile.Options{
				Server: *server, Key: *key, Project: *project, Client: client,
				Progress: func(phase string, done, total int64) { bar.show(path, phase, done, total) },
			})
		}
		bar.done()
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted", path)
			}
			failed++
			fmt.Fprintf(stderr, "reel import: %s: %v; nothing of it was imported\n", path, err)
			continue
		}
		fmt.Fprintf(stdout, "%s: %d events (%s, %d tabs) → session %s\n  %s\n", path, res.Summary.Events, res.Summary.Format,
			len(res.Summary.Windows), res.Session, strings.TrimRight(*server, "/")+"/sessions/"+res.Session)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files not imported", failed, fs.NArg())
	}
	return nil
}

// exportTabs is the files one session is imported from: the file itself, or for the metadata
// file of Reel's rrweb export (<id>.meta.json) the tab files it lists, so a session of several
// tabs comes back as one.
func exportTabs(path string) ([]string, error) {
	if !strings.HasSuffix(path, ".meta.json") {
		return []string{path}, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var meta struct {
		ExportedBy string `json:"exportedBy"`
		Format     string `json:"format"`
		Tabs       []struct {
			File string `json:"file"`
		} `json:"tabs"`
	}
	if err := json.Unmarshal(b, &meta); err != nil || meta.ExportedBy != "reel" || meta.Format != "rrweb" {
		return nil, errors.New("not the metadata of a Reel rrweb export (import the .rrweb.json files, or this file's tabs)")
	}
	var files []string
	for _, t := range meta.Tabs {
		if t.File == "" || t.File != filepath.Base(t.File) {
			return nil, fmt.Errorf("the metadata names a tab file %q outside its directory", t.File)
		}
		files = append(files, filepath.Join(filepath.Dir(path), t.File))
	}
	if len(files) == 0 {
		return nil, errors.New("the metadata lists no tabs")
	}
	return files, nil
}

// projectKey asks the server for a project's public ingest key with an API token.
func projectKey(ctx context.Context, client *http.Client, server, project, token string) (string, error) {
	if token == "" {
		return "", errors.New("set REEL_TOKEN to an API token (reel tokens create, or the dashboard's API tokens page), or give the project's ingest key with --key")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/api/v1/projects", nil)
	if err != nil {
		return "", fmt.Errorf("--server: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("reaching the server: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("listing projects: the server answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var list struct {
		Projects []struct{ ID, PublicKey string } `json:"projects"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return "", fmt.Errorf("listing projects: %w", err)
	}
	var ids []string
	for _, p := range list.Projects {
		if p.ID == project {
			if p.PublicKey == "" {
				return "", fmt.Errorf("the token may not read project %q's key; give it with --key", project)
			}
			return p.PublicKey, nil
		}
		ids = append(ids, p.ID)
	}
	return "", fmt.Errorf("no project %q on %s (projects: %s)", project, server, strings.Join(ids, ", "))
}

// progressBar draws one line that rewrites itself on a terminal; elsewhere (a pipe, a log)
// it writes a plain line per phase, so logs stay readable.
type progressBar struct {
	w        io.Writer
	terminal bool
	last     string // the phase last printed as a plain line
	drawn    bool
}

func newProgressBar(w io.Writer) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, terminal: tty}
}

func (p *progressBar) show(path, phase string, done, total int64) {
	verb := map[string]string{"check": "checking", "send": "sending"}[phase]
	if !p.terminal {
		if p.last != path+phase {
			p.last = path + phase
			fmt.Fprintf(p.w, "%s: %s %s\n", path, verb, size(total))
		}
		return
	}
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r%-8s [%s%s] %3.0f%% %s", verb, strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, path)
	p.drawn = true
}

func (p *progressBar) done() {
	if p.terminal && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
	p.last = ""
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
