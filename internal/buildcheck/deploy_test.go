package buildcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployFiles checks the deployment examples docs/scale.md points at against the binary:
// the systemd unit (docs/deploy/reel.service) and the compose file (docs/deploy/compose.yaml,
// with its Caddyfile) may pass only flags `reel serve -h` lists and set only environment
// variables Reel (or the AWS credential chain) reads, and every node of the compose file gets
// the same --db and --blobs, which is what makes them one cluster rather than several.
func TestDeployFiles(t *testing.T) {
	root := moduleRoot(t)
	flags, envs := serveFlags(t, root)

	t.Run("systemd unit", func(t *testing.T) {
		path := filepath.Join(root, "docs", "deploy", "reel.service")
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		unit, err := parseUnit(text)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		exec := unit.get("Service", "ExecStart")
		if len(exec) != 1 {
			t.Fatalf("want one ExecStart in [Service], got %q", exec)
		}
		args := strings.Fields(exec[0])
		if len(args) < 2 || filepath.Base(args[0]) != "reel" || args[1] != "serve" {
			t.Fatalf("ExecStart = %q, want /…/reel serve …", exec[0])
		}
		set := checkArgs(t, args[2:], flags)
		for _, line := range unit.get("Service", "Environment") {
			for _, kv := range strings.Fields(line) {
				name, value, ok := strings.Cut(strings.Trim(kv, `"`), "=")
				if !ok || !envs[name] {
					t.Errorf("Environment=%s: Reel reads no such variable", kv)
				}
				set[name] = value
			}
		}
		if len(unit.get("Service", "EnvironmentFile")) == 0 {
			t.Errorf("no EnvironmentFile: the index URL and S3 keys must not be on the command line")
		}
		// The environment file's example in the unit's comments names real variables, and
		// between it and the unit the node gets an index and a blob store.
		for _, m := range regexp.MustCompile(`(?m)^#\s+([A-Z][A-Z0-9_]+)=`).FindAllSubmatch(text, -1) {
			name := string(m[1])
			if !envs[name] {
				t.Errorf("the environment file example sets %s, which Reel does not read", name)
			}
			set[name] = "(environment file)"
		}
		for _, need := range [][2]string{{"db", "REEL_DB"}, {"blobs", "REEL_BLOBS"}} {
			if set["--"+need[0]] == "" && set[need[1]] == "" {
				t.Errorf("the unit gives the node no --%s (nor %s)", need[0], need[1])
			}
		}
		if _, ok := set["--data"]; !ok {
			t.Errorf("ExecStart has no --data: the default ./reel-data depends on the working directory")
		}
	})

	t.Run("compose", func(t *testing.T) {
		path := filepath.Join(root, "docs", "deploy", "compose.yaml")
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Services map[string]struct {
				Command     any `yaml:"command"`
				Environment any `yaml:"environment"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(text, &file); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var nodes []string
		db, blobs := map[string]string{}, map[string]string{}
		for _, name := range sortedNames(file.Services) {
			svc := file.Services[name]
			args, err := stringList(svc.Command)
			if err != nil {
				t.Fatalf("service %s: command: %v", name, err)
			}
			if len(args) == 0 || args[0] != "serve" {
				continue
			}
			nodes = append(nodes, name)
			set := checkArgs(t, args[1:], flags)
			env, err := environment(svc.Environment)
			if err != nil {
				t.Fatalf("service %s: environment: %v", name, err)
			}
			for k, v := range env {
				if !envs[k] {
					t.Errorf("service %s sets %s, which Reel does not read", name, k)
				}
				set[k] = v
			}
			db[name] = cmpOr(set["--db"], set["REEL_DB"])
			blobs[name] = cmpOr(set["--blobs"], set["REEL_BLOBS"])
		}
		if len(nodes) < 2 {
			t.Fatalf("compose.yaml runs %d reel nodes (services whose command is `serve …`), want several", len(nodes))
		}
		for _, n := range nodes {
			if !strings.HasPrefix(db[n], "postgres://") {
				t.Errorf("node %s: --db = %q, want a postgres:// URL", n, db[n])
			}
			if !strings.HasPrefix(blobs[n], "s3://") {
				t.Errorf("node %s: --blobs = %q, want an s3:// URL", n, blobs[n])
			}
			if db[n] != db[nodes[0]] || blobs[n] != blobs[nodes[0]] {
				t.Errorf("node %s has --db %q --blobs %q, node %s %q %q: every node must share both", n, db[n], blobs[n], nodes[0], db[nodes[0]], blobs[nodes[0]])
			}
		}
		// The load balancer sends to exactly those nodes.
		caddy, err := os.ReadFile(filepath.Join(root, "docs", "deploy", "Caddyfile"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+([^{]+)\{`).FindSubmatch(caddy)
		if m == nil {
			t.Fatal("Caddyfile: no reverse_proxy")
		}
		var upstreams []string
		for _, u := range strings.Fields(string(m[1])) {
			upstreams = append(upstreams, strings.Split(u, ":")[0])
		}
		slices.Sort(upstreams)
		if !slices.Equal(upstreams, nodes) {
			t.Errorf("Caddyfile balances over %v, compose.yaml runs nodes %v", upstreams, nodes)
		}
	})
}

// serveFlags builds reel and reads `reel serve -h`: the flags it lists, and the environment
// variables Reel reads (the REEL_* names in the help and in cmd/reel's code, which also reads
// REEL_ADMIN_PASSWORD and REEL_ADMIN_TOKEN), plus those of the AWS credential chain and Go's
// GOMEMLIMIT, which docs/ingest.md mentions.
func serveFlags(t *testing.T, root string) (flags, envs map[string]bool) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reel")
	build := exec.Command("go", "build", "-o", bin, "./cmd/reel")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/reel: %v\n%s", err, out)
	}
	help, _ := exec.Command(bin, "serve", "-h").CombinedOutput() // exits non-zero after -h
	flags = map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllSubmatch(help, -1) {
		flags[string(m[1])] = true
	}
	if !flags["db"] || !flags["blobs"] || !flags["addr"] {
		t.Fatalf("reel serve -h lists no --db, --blobs or --addr:\n%s", help)
	}
	envs = map[string]bool{"GOMEMLIMIT": true}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		envs[k] = true
	}
	src := help
	files, _ := filepath.Glob(filepath.Join(root, "cmd", "reel", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	for _, m := range regexp.MustCompile(`REEL_[A-Z0-9_]+`).FindAll(src, -1) {
		envs[string(m)] = true
	}
	return flags, envs
}

// checkArgs reports arguments that are not flags of reel serve and returns the flags' values
// by "--name" (both --name=value and --name value; a boolean flag alone has the value "true").
func checkArgs(t *testing.T, args []string, flags map[string]bool) map[string]string {
	t.Helper()
	set := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			t.Errorf("argument %q is not a flag (reel serve takes no arguments)", a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !flags[name] {
			t.Errorf("reel serve has no flag --%s", name)
			continue
		}
		if !hasValue {
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				value = args[i+1]
				i++
			} else {
				value = "true"
			}
		}
		set["--"+name] = value
	}
	return set
}

// unit is a systemd unit file: values by section and key, in order, a key repeated as often as
// the file sets it.
type unit map[string]map[string][]string

func (u unit) get(section, key string) []string { return u[section][key] }

// parseUnit reads the INI-like syntax of systemd.syntax(7) as far as these files use it:
// [Section] headers, Key=Value lines, comments starting with # or ;, and lines continued with
// a trailing backslash.
func parseUnit(text []byte) (unit, error) {
	u := unit{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		for strings.HasSuffix(line, `\`) && sc.Scan() {
			n++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(sc.Text())
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("line %d: %q is neither a section nor Key=Value in one", n, line)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	return u, sc.Err()
}

// stringList reads a compose command: a list of strings, or one string split on spaces.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return strings.Fields(v), nil
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("item %d is %T, not a string", i, x)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T is neither a string nor a list", v)
}

// environment reads a compose environment: a map, or a list of NAME=VALUE.
func environment(v any) (map[string]string, error) {
	out := map[string]string{}
	switch v := v.(type) {
	case nil:
	case map[string]any:
		for k, x := range v {
			out[k] = fmt.Sprint(x)
		}
	case []any:
		for _, x := range v {
			k, val, _ := strings.Cut(fmt.Sprint(x), "=")
			out[k] = val
		}
	default:
		return nil, fmt.Errorf("%T is neither a map nor a list", v)
	}
	return out, nil
}

func sortedNames[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
