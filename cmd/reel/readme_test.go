package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadmeFirstCommands keeps README's promise at its top: exactly two commands, one that
// runs Reel (scripts/run, which says what it is doing while it compiles) and one that runs
// every test, the command CI runs.
func TestReadmeFirstCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no sh block")
	}
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(string(block[1])), "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	if len(cmds) != 2 || cmds[0] != "./scripts/run" || cmds[1] != "./scripts/test" {
		t.Fatalf("README's first commands = %q, want ./scripts/run then ./scripts/test", cmds)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "\nexec "+cmds[1]+"\n") {
		t.Errorf(".ci/run does not run README's test command %s", cmds[1])
	}
}

// TestScriptsRunServes runs README's first command as a newcomer would: it says it is
// compiling, builds, and serves Reel with the demo shop; flags reach `reel serve`.
func TestScriptsRunServes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "../../scripts/run", "--addr", addr, "--data", filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "REEL_BIN="+filepath.Join(dir, "reel"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// scripts/run execs reel, so the process it started is the server.
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()

	lines := make(chan string, 100)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var said []string
	for line := range lines {
		said = append(said, line)
		if strings.HasPrefix(line, "==> built in") {
			break
		}
	}
	if len(said) == 0 || !strings.HasPrefix(said[0], "==> compiling Reel") || !strings.Contains(said[0], "first build takes a couple of minutes") {
		t.Fatalf("scripts/run said %q, want it to start by saying it compiles and how long that takes", said)
	}
	go func() {
		for range lines { // keep the pipe drained
		}
	}()

	url := fmt.Sprintf("http://%s/demo/", addr)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d, want the demo shop", url, resp.StatusCode)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("reel never answered on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestEveryServeFlagInReadme keeps README's configuration table and `reel serve -h` one list:
// a flag added to serve without a README row, or a row left behind by a removed flag, fails.
func TestEveryServeFlagInReadme(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "| `--") {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		for _, m := range regexp.MustCompile("`--([a-z0-9-]+)`").FindAllStringSubmatch(first, -1) {
			documented[m[1]] = true
		}
	}
	var help strings.Builder
	if err := run([]string{"serve", "-h"}, io.Discard, &help); err != nil {
		t.Fatalf("reel serve -h: %v", err)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(help.String(), -1) {
		flags[m[1]] = true
	}
	if len(flags) < 20 {
		t.Fatalf("read only %d flags from reel serve -h:\n%s", len(flags), help.String())
	}
	for f := range flags {
		if !documented[f] {
			t.Errorf("reel serve --%s is not in README's configuration table", f)
		}
	}
	for f := range documented {
		if !flags[f] {
			t.Errorf("README documents --%s, which reel serve does not have", f)
		}
	}
}

// TestHelpExitsZero: every command and subcommand answers -h with its usage and success, as
// Go's own tools do; a wrong flag still fails.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"--help"}, {"help"}, {"serve", "-h"}, {"erase-user", "-h"}, {"migrate", "-h"},
		{"tokens", "-h"}, {"tokens", "create", "-h"}, {"tokens", "list", "-h"},
		{"users", "-h"}, {"users", "invite", "-h"}, {"users", "list", "-h"},
	} {
		var out, errOut strings.Builder
		if err := run(args, &out, &errOut); err != nil {
			t.Errorf("reel %s: %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(strings.ToLower(out.String()+errOut.String()), "usage") {
			t.Errorf("reel %s printed no usage:\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
		}
	}
	if err := run([]string{"serve", "--no-such-flag"}, io.Discard, io.Discard); err == nil {
		t.Error("reel serve --no-such-flag succeeded")
	}
}
