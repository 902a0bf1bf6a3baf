package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// On a terminal the bar is redrawn in place and notes get lines of their own; elsewhere each
// session is one plain line.
func TestExportProgress(t *testing.T) {
	var tty, plain bytes.Buffer
	for _, c := range []struct {
		w   *bytes.Buffer
		tty bool
	}{{&tty, true}, {&plain, false}} {
		p := newExportProgress(c.w, c.tty, 2)
		p.step(0, "s_one", "reading")
		p.note("s_one: still recording: exported what is stored up to 10:00:00 UTC")
		p.finished(1, "s_one", []string{"s_one.html"})
		p.step(1, "s_two", "reading")
		p.finished(2, "s_two", []string{"s_two.html"})
		p.done()
	}
	wantTTY := "\r\x1b[K[...............................] 0/2 s_one reading" +
		"\r\x1b[Ks_one: still recording: exported what is stored up to 10:00:00 UTC\n" +
		"\r\x1b[K[###############...............] 1/2 s_one done" +
		"\r\x1b[K[###############...............] 1/2 s_two reading" +
		"\r\x1b[K[##############################] 2/2 s_two done\n"
	wantTTY = strings.Replace(wantTTY, "[...............................]", "["+strings.Repeat(".", barWidth)+"]", 1)
	if tty.String() != wantTTY {
		t.Errorf("terminal:\n%q\nwant\n%q", tty.String(), wantTTY)
	}
	wantPlain := "s_one: still recording: exported what is stored up to 10:00:00 UTC\n1/2 s_one: s_one.html\n2/2 s_two: s_two.html\n"
	if plain.String() != wantPlain {
		t.Errorf("plain:\n%q\nwant\n%q", plain.String(), wantPlain)
	}
	if f, err := os.CreateTemp(t.TempDir(), "x"); err != nil || isTerminal(f) {
		t.Errorf("a file is taken for a terminal")
	}
}

func TestExportArguments(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"s_x"}, "-o DIR is required"},
		{[]string{"-o", t.TempDir()}, "name sessions or give --query"},
		{[]string{"s_x", "--query", "x", "-o", t.TempDir()}, "not both"},
		{[]string{"s_x", "--format", "gif", "-o", t.TempDir()}, `unknown format "gif"`},
		{[]string{"s_x", "-o", filepath.Join(file, "sub")}, "output directory"},
	} {
		var out, errb bytes.Buffer
		err := run(append([]string{"export"}, tc.args...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("export %q = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	var out bytes.Buffer
	if err := run([]string{"export", "-h"}, &out, &out); err != nil || !strings.Contains(out.String(), "--query 'rage:>0 since:7d'") {
		t.Errorf("export -h = %v %q", err, out.String())
	}
}
