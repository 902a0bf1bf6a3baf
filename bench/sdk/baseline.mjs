// Builds the baselines the SDK benchmarks compare Reel with, from the same rrweb package and
// with the same esbuild settings and tree-shaking plugin as Reel's own build:
//   rrweb-plain.js  window.rrwebStart(): rrweb record with default options, events kept in an
//                   array (what "plain rrweb record" costs the page)
//   rrweb-shim.js   a stand-in for reel.js: window.Reel.init() records with plain rrweb and
//                   posts each batch as JSON, every flushIntervalMs and at page hide (what
//                   "rrweb JSON" puts on the wire before gzip)
//
//   node bench/sdk/baseline.mjs OUTDIR   (run with sdk/node_modules installed)
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sdk = join(here, "..", "..", "sdk");
const require = createRequire(join(sdk, "package.json"));
const { build } = await import(require.resolve("esbuild"));
const { rrwebTreeShake } = await import(join(sdk, "rrweb-tree-shake.mjs"));
const out = resolve(process.argv[2] || "bench-out");
mkdirSync(out, { recursive: true });

const plain = `import { record } from "rrweb";
window.rrwebEvents = [];
window.rrwebStart = () => record({ emit: (e) => window.rrwebEvents.push(e) });`;

const shim = `import { record } from "rrweb";
let buf = [];
let endpoint = "";
const post = () => {
  if (!buf.length) return Promise.resolve();
  const body = JSON.stringify(buf);
  buf = [];
  return fetch(endpoint + "/__rrweb", { method: "POST", body, keepalive: body.length < 60000 }).catch(() => {});
};
// At page hide what is left waits in sessionStorage for the next page (a beacon cannot carry a
// batch over 64 KiB, and the baseline must not lose bytes it would have sent).
const KEY = "rrweb-baseline:pending";
window.Reel = {
  init(o) {
    endpoint = (o.endpoint || location.origin).replace(/\\/+$/, "");
    const pending = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
    if (pending) fetch(endpoint + "/__rrweb", { method: "POST", body: pending });
    record({ emit: (e) => buf.push(e), maskAllInputs: true });
    setInterval(post, o.flushIntervalMs || 5000);
    addEventListener("pagehide", () => {
      if (buf.length) sessionStorage.setItem(KEY, JSON.stringify(buf));
      buf = [];
    });
  },
  flush: post,
  getSessionId() { return "s_rrwebbaseline"; },
  track() {}, identify() {},
};`;

for (const [name, contents] of [["rrweb-plain.js", plain], ["rrweb-shim.js", shim]]) {
  await build({
    stdin: { contents, resolveDir: sdk, loader: "js" },
    bundle: true,
    minify: process.env.REEL_SDK_READABLE !== "1",
    format: "iife",
    target: ["chrome100"],
    outfile: join(out, name),
    logLevel: "warning",
    plugins: [rrwebTreeShake],
  });
}
