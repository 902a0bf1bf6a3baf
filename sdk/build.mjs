// Builds the browser SDK into internal/sdk/dist (embedded in the Go binary), or into the
// directory given with --out. The output must be byte-identical from run to run: a Go test
// rebuilds it and diffs it against the committed copy.
//
//   node build.mjs [--out DIR]
//
// REEL_SDK_READABLE=1 skips minifying (names kept) for profiling: bench/real-apps PROFILE=reel.
//
// reel.js      IIFE for a <script> tag, exposing the global `Reel`
// reel.esm.js  ES module for bundlers
// reel-preview.js  the privacy preview overlay, loaded by reel.js only on a page opened with a
//              preview token (docs/player.md#privacy-preview); never part of the main bundle
// reel-canvas.js   the canvas recorder, loaded by reel.js only once the page has a <canvas>
//              (docs/sdk-performance.md)
import { build } from "esbuild";
import { minify } from "terser";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { rrwebTreeShake } from "./rrweb-tree-shake.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const i = args.indexOf("--out");
if (i >= 0 && !args[i + 1]) {
  console.error("usage: node build.mjs [--out DIR]");
  process.exit(2);
}
const out = i >= 0 ? resolve(args[i + 1]) : join(here, "..", "internal", "sdk", "dist");
const readable = process.env.REEL_SDK_READABLE === "1";
const { version } = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

mkdirSync(out, { recursive: true });

const common = {
  absWorkingDir: here,
  entryPoints: ["src/index.ts"],
  bundle: true,
  minify: !readable,
  // CompressionStream is required anyway (Firefox 113, Safari 16.4); Chrome and Edge before
  // 100 (2022) are not targeted, which spares the down-levelling of newer syntax.
  target: ["chrome100", "firefox113", "safari16.4", "edge100"],
  platform: "browser",
  define: { __REEL_VERSION__: JSON.stringify(version) },
  legalComments: "none",
  banner: { js: `/*! Reel SDK ${version} | MIT | includes rrweb (MIT, github.com/rrweb-io/rrweb) */` },
  charset: "utf8",
  sourcemap: false,
  logLevel: "warning",
  plugins: [rrwebTreeShake],
};

// esbuild bundles and minifies; terser then compresses the bundle further (three passes of
// its optimiser over the whole of rrweb and Reel find about 4% that one pass of esbuild's
// leaves; bench/sdk-size holds the bundle to 32 kB gzipped). Only terser's safe transforms are
// used: nothing that assumes getters are pure or rewrites functions into arrows.
const banner = common.banner.js;
const results = await Promise.all([
  build({ ...common, format: "iife", globalName: "Reel", outfile: join(out, "reel.js"), write: false }),
  build({ ...common, format: "esm", outfile: join(out, "reel.esm.js"), write: false }),
  build({
    ...common,
    entryPoints: ["src/preview.ts"],
    format: "iife",
    outfile: join(out, "reel-preview.js"),
    banner: { js: `/*! Reel privacy preview ${version} | MIT */` },
    plugins: [],
    write: false,
  }),
  build({
    ...common,
    entryPoints: ["src/canvas.ts"],
    format: "iife",
    outfile: join(out, "reel-canvas.js"),
    banner: { js: `/*! Reel canvas recorder ${version} | MIT */` },
    plugins: [],
    write: false,
  }),
]);

for (const r of results) {
  for (const f of r.outputFiles) {
    const b = f.text.startsWith("/*!") ? f.text.slice(0, f.text.indexOf("*/") + 2) : banner;
    const code = f.text.startsWith(b) ? f.text.slice(b.length) : f.text;
    const min = readable ? { code } : await minify(code, {
      ecma: 2020,
      module: f.path.endsWith(".esm.js"),
      // sequences: false keeps statements apart instead of joining them with commas: the
      // same code, and the repeated statement shapes gzip better (31 bytes smaller).
      compress: { passes: 3, sequences: false },
      mangle: true,
      format: { comments: false },
    });
    const text = b + "\n" + min.code + "\n";
    writeFileSync(f.path, text);
    console.log(`${f.path.split("/").pop()}\t${Buffer.byteLength(text)} bytes`);
  }
}
