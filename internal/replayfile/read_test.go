package replayfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFile(t *testing.T, name string) (Summary, []Event, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []Event
	sum, err := Read(f, DefaultLimits(), func(e Event) error { evs = append(evs, e); return nil })
	return sum, evs, err
}

// Every format comes out as the same rrweb events, in file order, with its windows.
func TestReadFormats(t *testing.T) {
	cases := []struct {
		file    string
		format  Format
		events  int
		windows []string
	}{
		{"rrweb.json", RRWeb, 11, []string{""}},
		{"sentry.json", Sentry, 13, []string{""}},
		{"posthog.json", PostHog, 22, []string{"0190-a", "0190-b"}},
		{"reel.json", Reel, 11, []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			sum, evs, err := readFile(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Format != tc.format || sum.Events != tc.events || len(evs) != tc.events || strings.Join(sum.Windows, ",") != strings.Join(tc.windows, ",") {
				t.Fatalf("summary = %+v (%d events read), want %s with %d events in windows %q", sum, len(evs), tc.format, tc.events, tc.windows)
			}
			for i, e := range evs {
				if e.Index != i {
					t.Fatalf("event %d has index %d", i, e.Index)
				}
			}
			if evs[0].Type != 4 || evs[0].Timestamp != 1764237600000 || !bytes.Contains(evs[0].Raw, []byte(`"href"`)) {
				t.Fatalf("first event = %+v %s", evs[0], evs[0].Raw)
			}
		})
	}
}

// What is not rrweb events stops at the event it is, naming it, before anything is handed on.
func TestReadRefuses(t *testing.T) {
	ev := `{"type":3,"timestamp":1764237600000,"data":{"source":1,"positions":[]}}`
	cases := []struct {
		name, text, want string
		before           int // events handed on before the problem
	}{
		{"empty", "", "event 0 (byte 0): the file is empty", 0},
		{"a JSON object of something else", `{"users":[1,2]}`, "no events: not rrweb events", 0},
		{"not JSON", "hello", "event 0 (byte 0): not valid JSON: invalid character 'h'", 0},
		{"a number", "42", "not rrweb events", 0},
		{"an array of numbers", "[" + ev + ",7]", "event 1 (byte 73): a number is not an rrweb event", 1},
		{"an event without type", "[" + ev + `,{"timestamp":1764237600000,"data":{}}]`, "event 1 (byte 73): not an rrweb event: invalid rrweb event: missing type", 1},
		{"type out of range", "[" + ev + "," + ev + `,{"type":9,"timestamp":1764237600000,"data":{}}]`, "event 2 (byte 145): not an rrweb event", 2},
		{"seconds, not milliseconds", `[{"type":4,"timestamp":1764237600,"data":{"href":"x","width":1,"height":1}}]`, "event 0 (byte 1): timed 1970-01-21", 0},
		{"truncated in an event", "[" + ev + "," + ev[:40], "event 1 (byte 73): the file ends in the middle of the JSON (truncated?)", 1},
		{"truncated after a comma", "[" + ev + ",", "event 1 (byte 73): the file ends in the middle of the JSON (truncated?)", 1},
		{"span over 25 h", "[" + ev + `,{"type":3,"timestamp":1764337600000,"data":{"source":1,"positions":[]}}]`, "event 1 (byte 73): the events span more than 25h0m0s", 1},
		{"PostHog data compressed", `{"version":"2023-04-28","data":{"snapshots":[{"windowId":"w","cv":"2024-10","type":3,"timestamp":1764237600000,"data":"H4sI..."}]}}`, "event 0 (byte 45): not an rrweb event: invalid rrweb event: data must be an object (PostHog compresses", 0},
		{"PostHog data of the wrong shape", `{"version":"2023-04-28","data":{"snapshots":{"a":1}}}`, "expected \"[\", found \"{\"", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			_, err := Read(strings.NewReader(tc.text), DefaultLimits(), func(Event) error { n++; return nil })
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want an *Error with %q", err, tc.want)
			}
			if n != tc.before {
				t.Fatalf("%d events handed on, want %d", n, tc.before)
			}
		})
	}
}

// One huge value stops the reader once it outgrows the event limit: memory stays bounded
// whatever the file holds.
func TestReadBoundsOneEvent(t *testing.T) {
	huge := `[{"type":2,"timestamp":1764237600000,"data":{"node":"` + strings.Repeat("a", 5<<20)
	lim := DefaultLimits()
	lim.Event = 1 << 20
	r := &countingReader{r: strings.NewReader(huge)}
	_, err := Read(r, lim, nil)
	if err == nil || !strings.Contains(err.Error(), "event 0") || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("err = %v", err)
	}
	if r.n > 2<<20 {
		t.Fatalf("read %d bytes of a value the limit stops at 1 MiB", r.n)
	}
}

type countingReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// An event timed more than a day ahead of the clock is refused as the server would.
func TestReadFutureEvent(t *testing.T) {
	lim := DefaultLimits()
	lim.Now = time.UnixMilli(1764237600000).Add(-48 * time.Hour)
	_, _, err := func() (Summary, []Event, error) {
		f, _ := os.Open("testdata/rrweb.json")
		defer f.Close()
		s, err := Read(f, lim, nil)
		return s, nil, err
	}()
	if err == nil || !strings.Contains(err.Error(), "event 0 (byte 1): timed 2025-11-27T10:00:00Z, more than a day from now") {
		t.Fatalf("err = %v", err)
	}
}

// FuzzRead: whatever the bytes, Read returns (never panics), and an event it hands on is one
// the ingest decoder accepts; a file it accepts gives the same events on a second read.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"rrweb.json", "sentry.json", "posthog.json", "reel.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"segment_id":0}` + "\n" + `[{"type":4,"timestamp":1764237600000,"data":{"href":"x","width":1,"height":1}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := DefaultLimits()
		lim.Event = 1 << 20
		var first []string
		sum, err := Read(bytes.NewReader(b), lim, func(e Event) error { first = append(first, string(e.Raw)); return nil })
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if sum.Events != len(first) || sum.Events == 0 {
			t.Fatalf("summary says %d events, %d handed on", sum.Events, len(first))
		}
		i := 0
		if _, err := Read(bytes.NewReader(b), lim, func(e Event) error {
			if string(e.Raw) != first[i] {
				t.Fatalf("second read differs at %d", i)
			}
			i++
			return nil
		}); err != nil {
			t.Fatalf("second read: %v", err)
		}
	})
}
