// Builds the dashboard into internal/ui/dist (or --out DIR). The output is
// committed and embedded in the Go binary, and a Go test rebuilds it and diffs,
// so everything here must be deterministic: no timestamps, no absolute paths,
// no source maps.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const webDir = dirname(fileURLToPath(import.meta.url));

function outDir(argv) {
  const i = argv.indexOf("--out");
  if (i === -1) return join(webDir, "..", "internal", "ui", "dist");
  const dir = argv[i + 1];
  if (!dir) throw new Error("--out needs a directory");
  return resolve(dir);
}

const out = outDir(process.argv.slice(2));

const result = await build({
  absWorkingDir: webDir,
  entryPoints: { app: "src/main.tsx", player: "src/standalone.ts" },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  platform: "browser",
  charset: "utf8",
  legalComments: "eof",
  sourcemap: false,
  write: false,
  outdir: "out",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
});

const files = {};
for (const f of result.outputFiles) {
  const name = f.path.slice(f.path.lastIndexOf("/") + 1);
  files[name] = f.contents;
}
if (!files["app.js"] || !files["app.css"] || !files["player.js"] || !files["player.css"]) {
  throw new Error("esbuild did not produce app.js and app.css: " + Object.keys(files).join(", "));
}

// A content hash in the query string busts browser caches when the binary is
// upgraded, while the file names stay fixed for the Go embed.
const v = (buf) => createHash("sha256").update(buf).digest("hex").slice(0, 12);
const template = await readFile(join(webDir, "src", "index.html"), "utf8");
const html = template
  .replace("{{css}}", `/assets/app.css?v=${v(files["app.css"])}`)
  .replace("{{js}}", `/assets/app.js?v=${v(files["app.js"])}`);

await rm(join(out, "assets"), { recursive: true, force: true });
await mkdir(join(out, "assets"), { recursive: true });
await writeFile(join(out, "index.html"), html);
await writeFile(join(out, "assets", "app.js"), files["app.js"]);
await writeFile(join(out, "assets", "app.css"), files["app.css"]);
// The player of exported HTML files (reel export; internal/export inlines both into each file).
await rm(join(out, "export"), { recursive: true, force: true });
await mkdir(join(out, "export"), { recursive: true });
await writeFile(join(out, "export", "player.js"), files["player.js"]);
await writeFile(join(out, "export", "player.css"), files["player.css"]);

const kb = (n) => (n / 1024).toFixed(1) + " kB";
console.log(
  `built ${out}: app.js ${kb(files["app.js"].length)}, app.css ${kb(files["app.css"].length)}, index.html ${kb(html.length)}, export/player.js ${kb(files["player.js"].length)}`,
);
