import { readFileSync } from "node:fs";

// rrweb ships one pre-bundled file: recorder, replayer, rrdom and two copies of postcss, which
// only the replayer uses. Its bundler left code at the top level that esbuild must assume has
// side effects, so tree shaking kept all of it (~3x the recorder's size):
//  - property reads such as `import_postcss.default.parse;` (a read may run a getter);
//  - `var import_postcss = __toESM((__commonJSMin(...))(), 1)`, whose inner call is not
//    marked pure, and `var postcss_default = import_postcss$1.default;`.
// This plugin drops the bare reads and marks the rest pure, so whatever the recorder does not
// use falls away. The build fails if rrweb's file stops matching, e.g. after an upgrade.
export const rrwebTreeShake = {
  name: "rrweb-tree-shake",
  setup(b) {
    b.onLoad({ filter: /[\\/]rrweb[\\/]dist[\\/]rrweb\.js$/ }, (a) => {
      let src = readFileSync(a.path, "utf8");
      const edits = [
        [/^import_postcss(\$1)?\.default(\.[A-Za-z]+)?;$/gm, ""],
        [/^var postcss_default = (import_postcss\$1\.default);$/gm, "var postcss_default = /* @__PURE__ */ (() => $1)();"],
        [/^(var import_postcss(\$1)? = \/\* @__PURE__ \*\/ __toESM(\$1)?\()\(/gm, "$1/* @__PURE__ */ ("],
      ];
      for (const [re, to] of edits) {
        if (!re.test(src)) throw new Error(`rrweb-tree-shake: ${re} no longer matches rrweb; revisit build.mjs`);
        src = src.replace(re, to);
      }
      return { contents: src, loader: "js" };
    });
  },
};
