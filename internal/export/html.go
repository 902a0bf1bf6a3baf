package export

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"mime"
	"path/filepath"

	"github.com/reelhq/reel/internal/ui"
)

// DataURL is b as a data: URL of type typ (its parameters dropped but the charset).
func DataURL(typ string, b []byte) string {
	mt, params, err := mime.ParseMediaType(typ)
	if err != nil {
		mt = "application/octet-stream"
	}
	if cs := params["charset"]; cs != "" {
		mt += ";charset=" + cs
	}
	return "data:" + mt + ";base64," + base64.StdEncoding.EncodeToString(b)
}

// HTML is one page that replays s offline with Reel's player (web/src/standalone.ts): the
// player's script and style, the events of each tab and the archived copies as data: URLs are
// all inside it. With video, the page shows only the replayed page at its own size, for the
// video renderer.
func HTML(s *Session, video bool) ([]byte, error) {
	js, err := fs.ReadFile(ui.Files(), "export/player.js")
	if err != nil {
		return nil, fmt.Errorf("export: the player is not built: %w", err)
	}
	css, err := fs.ReadFile(ui.Files(), "export/player.css")
	if err != nil {
		return nil, fmt.Errorf("export: the player is not built: %w", err)
	}
	var b bytes.Buffer
	mode := "player"
	if video {
		mode = "video"
	}
	fmt.Fprintf(&b, "<!doctype html>\n<html lang=\"en\" data-mode=%q>\n<head>\n<meta charset=\"utf-8\">\n", mode)
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	// Nothing in the file may reach the network: only its own inline script and data: URLs.
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline' data:; img-src data: blob:; font-src data:; media-src data: blob:; connect-src blob: data:; frame-src 'self' about: blob:">` + "\n")
	fmt.Fprintf(&b, "<title>Reel session %s</title>\n<style>\n", html.EscapeString(s.Info.ID))
	b.Write(bytes.ReplaceAll(css, []byte("</"), []byte(`<\/`)))
	b.WriteString("\n</style>\n</head>\n<body>\n<script type=\"application/json\" id=\"reel-export\">")
	if err := writeData(&b, s); err != nil {
		return nil, err
	}
	b.WriteString("</script>\n<script type=\"module\">\n")
	b.Write(bytes.ReplaceAll(js, []byte("</script"), []byte(`<\/script`)))
	b.WriteString("\n</script>\n</body>\n</html>\n")
	return b.Bytes(), nil
}

// writeData writes the page's data as JSON safe inside a script element: every "<" (which
// JSON has only inside strings) is written \u003c.
func writeData(b *bytes.Buffer, s *Session) error {
	type tab struct {
		ID     string          `json:"id"`
		Events json.RawMessage `json:"events"`
	}
	type resource struct {
		URL  string `json:"url"`
		Type string `json:"type"`
		Path string `json:"path"`
	}
	d := struct {
		Session   json.RawMessage `json:"session"`
		Tabs      []tab           `json:"tabs"`
		Resources []resource      `json:"resources"`
	}{Session: s.Meta, Tabs: []tab{}, Resources: []resource{}}
	for _, t := range s.Tabs {
		d.Tabs = append(d.Tabs, tab{t.ID, t.Events})
	}
	for _, r := range s.Resources {
		d.Resources = append(d.Resources, resource{r.URL, r.Type, DataURL(r.Type, r.Data)})
	}
	j, err := json.Marshal(d) // escapes <, > and & in what it writes; RawMessage is kept as is
	if err != nil {
		return fmt.Errorf("export: session %s: %w", s.Info.ID, err)
	}
	b.Write(bytes.ReplaceAll(j, []byte("<"), []byte(`\u003c`)))
	return nil
}

func writeHTML(_ context.Context, s *Session, dir string) ([]string, error) {
	page, err := HTML(s, false)
	if err != nil {
		return nil, err
	}
	name := s.Info.ID + ".html"
	return []string{name}, writeFile(filepath.Join(dir, name), page)
}
