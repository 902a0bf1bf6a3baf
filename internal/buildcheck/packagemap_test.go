package buildcheck

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestPackageMap checks docs/architecture.md's package map against the code: every package under
// cmd/ and internal/ has a row, every row names a package that exists, and each row's imports
// column lists exactly the Reel packages it imports (test imports aside), so the one-way data
// flow the table documents is the one the code has.
func TestPackageMap(t *testing.T) {
	root := moduleRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := packageMap(doc)
	if len(rows) == 0 {
		t.Fatal("docs/architecture.md: no package map table under \"## Package map\"")
	}
	actual := goList(t, root)

	var missing, gone, wrong []string
	for _, pkg := range sortedKeys(actual) {
		listed, ok := rows[pkg]
		if !ok {
			missing = append(missing, "| `"+pkg+"` | … | "+column(actual[pkg])+" |")
			continue
		}
		if extra, absent := diff(listed, actual[pkg]); len(extra)+len(absent) > 0 {
			line := "`" + pkg + "`: imports (Reel) should be " + column(actual[pkg])
			if len(absent) > 0 {
				line += "; not listed: " + strings.Join(absent, ", ")
			}
			if len(extra) > 0 {
				line += "; listed but not imported: " + strings.Join(extra, ", ")
			}
			wrong = append(wrong, line)
		}
	}
	for _, pkg := range sortedKeys(rows) {
		if _, ok := actual[pkg]; !ok {
			gone = append(gone, "`"+pkg+"`")
		}
	}
	if len(missing) > 0 {
		t.Errorf("docs/architecture.md: the package map has no row for:\n\t%s", strings.Join(missing, "\n\t"))
	}
	if len(gone) > 0 {
		t.Errorf("docs/architecture.md: the package map lists packages go list does not know: %s", strings.Join(gone, ", "))
	}
	if len(wrong) > 0 {
		t.Errorf("docs/architecture.md: package map rows with the wrong imports:\n\t%s", strings.Join(wrong, "\n\t"))
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// goList returns each package under cmd/ and internal/ (as the table names it: internal/x, cmd/x)
// with the Reel packages it imports (as the imports column names them: x, store/sqlite, cmd/x).
func goList(t *testing.T, root string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./cmd/...", "./internal/...")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	mod := exec.Command("go", "list", "-m")
	mod.Dir = root
	modOut, err := mod.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module := strings.TrimSpace(string(modOut)) + "/"
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		pkg := strings.TrimPrefix(fields[0], module)
		imports := []string{}
		for _, imp := range fields[1:] {
			if rel, ok := strings.CutPrefix(imp, module); ok {
				imports = append(imports, strings.TrimPrefix(rel, "internal/"))
			}
		}
		slices.Sort(imports)
		pkgs[pkg] = imports
	}
	return pkgs
}

var tick = regexp.MustCompile("`([^`]+)`")

// packageMap reads the table under "## Package map": each row's packages (one or more, in
// backticks) and its imports column (comma-separated, "–" for none).
func packageMap(doc []byte) map[string][]string {
	rows := map[string][]string{}
	in := false
	for line := range strings.SplitSeq(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Package map"
			continue
		case !in || !strings.HasPrefix(line, "| `"):
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 {
			continue
		}
		imports := []string{}
		for imp := range strings.SplitSeq(cells[2], ",") {
			if imp = strings.TrimSpace(imp); imp != "" && imp != "–" && imp != "-" {
				imports = append(imports, imp)
			}
		}
		slices.Sort(imports)
		for _, m := range tick.FindAllStringSubmatch(cells[0], -1) {
			rows[m[1]] = imports
		}
	}
	return rows
}

// diff returns what listed has that actual lacks, and what actual has that listed lacks.
func diff(listed, actual []string) (extra, absent []string) {
	for _, x := range listed {
		if !slices.Contains(actual, x) {
			extra = append(extra, x)
		}
	}
	for _, x := range actual {
		if !slices.Contains(listed, x) {
			absent = append(absent, x)
		}
	}
	return extra, absent
}

func column(imports []string) string {
	if len(imports) == 0 {
		return "–"
	}
	return strings.Join(imports, ", ")
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
