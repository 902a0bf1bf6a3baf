package sdk

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGzipSyncIsReadByTheServer bundles the SDK's synchronous gzip (sdk/src/transport.ts, what
// a page that is going away sends) with esbuild, runs it in node over batches, text, binary
// with small and large alphabets, long runs and edge sizes, and decodes each output with Go's
// compress/gzip, which the ingest endpoint uses: every byte must come back, and a batch must
// shrink.
func TestGzipSyncIsReadByTheServer(t *testing.T) {
	sdk, _ := filepath.Abs("../../sdk")
	if _, err := os.Stat(filepath.Join(sdk, "node_modules")); err != nil {
		t.Fatalf("sdk/node_modules is missing: run `npm ci` there (scripts/test does it)")
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "transport.mjs")
	cmd := exec.Command(filepath.Join(sdk, "node_modules", ".bin", "esbuild"), "src/transport.ts", "--bundle", "--format=esm", "--log-level=error", "--outfile="+bundle)
	cmd.Dir = sdk
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("esbuild: %v\n%s", err, b)
	}
	script := filepath.Join(dir, "run.mjs")
	os.WriteFile(script, []byte(`globalThis.window = globalThis;
const { gzipSync } = await import(process.argv[2]);
let seed = 7;
const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
const inputs = [new Uint8Array(0), new Uint8Array([65]), new Uint8Array(4), new Uint8Array(70000).fill(120)];
const enc = new TextEncoder();
inputs.push(enc.encode(JSON.stringify({ session: "s_x", events: Array.from({ length: 4000 }, (_, i) => ({ type: 3, timestamp: 1700000000000 + i * 13, data: { source: 1, positions: [{ x: i % 800, y: (i * 7) % 600, id: 42, timeOffset: -(i % 50) }] } })) })));
inputs.push(enc.encode("héllo wörld ✓ ".repeat(3000)));
for (const alpha of [1, 2, 5, 40, 256]) for (const len of [3, 300, 33000, 140000]) inputs.push(Uint8Array.from({ length: len }, () => rand(alpha)));
const b64 = (u) => Buffer.from(u).toString("base64");
console.log(JSON.stringify(inputs.map((d) => [b64(d), b64(gzipSync(d))])));
`), 0o644)
	out, err := exec.Command("node", script, bundle).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var pairs [][2]string
	if err := json.Unmarshal(out, &pairs); err != nil {
		t.Fatal(err)
	}
	if len(pairs) < 20 {
		t.Fatalf("%d inputs compressed, want 26", len(pairs))
	}
	for i, p := range pairs {
		in, _ := base64.StdEncoding.DecodeString(p[0])
		gz, _ := base64.StdEncoding.DecodeString(p[1])
		r, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatalf("input %d (%d bytes): %v", i, len(in), err)
		}
		back, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("input %d (%d bytes): %v", i, len(in), err)
		}
		if !bytes.Equal(back, in) {
			t.Fatalf("input %d (%d bytes) came back as %d different bytes", i, len(in), len(back))
		}
		if i == 4 && len(gz)*8 > len(in) {
			t.Fatalf("a batch of %d bytes compressed to %d, want under an eighth", len(in), len(gz))
		}
	}
}
