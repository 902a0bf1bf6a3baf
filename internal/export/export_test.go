package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestFrameTimes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		spans         [][2]float64
		total, fr, to int64
		want          []int64
	}{
		{"active spans only", [][2]float64{{500, 800}, {30000, 30200}}, 40000, 0, 0, []int64{500, 600, 700, 30000, 30100}},
		{"no activity: all of it", nil, 250, 0, 0, []int64{0, 100, 200}},
		{"a clip as it happened", [][2]float64{{0, 100}}, 40000, 1000, 1300, []int64{1000, 1100, 1200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FrameTimes(tc.spans, tc.total, tc.fr, tc.to); !slices.Equal(got, tc.want) {
				t.Errorf("FrameTimes = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDataURL(t *testing.T) {
	for typ, want := range map[string]string{
		"text/css; charset=utf-8": "data:text/css;charset=utf-8;base64,YQ==",
		"image/png":               "data:image/png;base64,YQ==",
		"":                        "data:application/octet-stream;base64,YQ==",
	} {
		if got := DataURL(typ, []byte("a")); got != want {
			t.Errorf("DataURL(%q) = %q, want %q", typ, got, want)
		}
	}
}

// Recorded text can hold anything, "</script>" included: the page's data must stay data.
func TestHTMLKeepsRecordedTextInsideItsScript(t *testing.T) {
	events := `[{"type":4,"timestamp":1,"data":{"href":"https://x/</script><script>alert(1)</script>","width":800,"height":600}}]`
	s := &Session{Info: Info{ID: "s_<b>"}, Meta: json.RawMessage(`{"id":"s_<b>"}`), Tabs: []Tab{{ID: "t", Events: json.RawMessage(events)}},
		Resources: []Resource{{URL: "https://x/a.css", Type: "text/css", Data: []byte("b{}</style>")}}}
	page, err := HTML(s, false)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="reel-export">(.*?)</script>`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no data element")
	}
	var d struct {
		Tabs []struct {
			Events json.RawMessage
		}
		Resources []struct{ URL, Path string }
	}
	if err := json.Unmarshal(m[1], &d); err != nil {
		t.Fatalf("the data element is not the JSON written: %v", err)
	}
	var got, want any
	json.Unmarshal(d.Tabs[0].Events, &got)
	json.Unmarshal([]byte(events), &want)
	if gb, _ := json.Marshal(got); !bytes.Equal(gb, must(json.Marshal(want))) {
		t.Errorf("events read back as %s", gb)
	}
	if d.Resources[0].Path != DataURL("text/css", []byte("b{}</style>")) {
		t.Errorf("resource = %+v", d.Resources[0])
	}
	if bytes.Count(page, []byte("<script")) != 2 || strings.Contains(string(page), "<b>") {
		t.Errorf("recorded text escaped its element: %d script tags", bytes.Count(page, []byte("<script")))
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestFormats(t *testing.T) {
	if _, err := Lookup("gif"); err == nil || !strings.Contains(err.Error(), "html, playwright, rrweb, video") {
		t.Errorf("Lookup(gif) = %v, want the formats listed", err)
	}
	f, err := Lookup("playwright")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(context.Background(), &Session{}, t.TempDir()); !errors.Is(err, ErrNotBuilt) || err.Error() != "playwright export is not built yet" {
		t.Errorf("playwright = %v", err)
	}
}

// A tab without a full snapshot has nothing to show: the renderer says so rather than hang.
func TestVideoOfNothing(t *testing.T) {
	s := &Session{Info: Info{ID: "s_empty"}, Meta: json.RawMessage(`{}`),
		Tabs: []Tab{{Events: json.RawMessage(`[{"type":4,"timestamp":1,"data":{"href":"https://x/","width":640,"height":480}}]`)}}}
	err := Video(context.Background(), s, filepath.Join(t.TempDir(), "v.webm"), VideoOptions{})
	if err == nil || !strings.Contains(err.Error(), "nothing to replay in this session") {
		t.Errorf("Video of a tab without a snapshot = %v", err)
	}
}
