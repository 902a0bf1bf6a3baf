import { readFileSync } from "node:fs";
import { transformSync } from "esbuild";

// rrweb ships one pre-bundled file: recorder, replayer, rrdom and two copies of postcss, which
// only the replayer uses. Its bundler left code at the top level that esbuild must assume has
// side effects, so tree shaking kept all of it (~3x the recorder's size):
//  - property reads such as `import_postcss.default.parse;` (a read may run a getter);
//  - `var import_postcss = __toESM((__commonJSMin(...))(), 1)`, whose inner call is not
//    marked pure, and `var postcss_default = import_postcss$1.default;`.
// This plugin drops the bare reads and marks the rest pure, so whatever the recorder does not
// use falls away; its diagnostic console calls go too. It also minifies the canvas worker rrweb inlines as source text (a string
// no minifier looks into: half its 2.5 kB is indentation, comments and long names). The
// build fails if rrweb's file stops matching, e.g. after an upgrade.
export const rrwebTreeShake = {
  name: "rrweb-tree-shake",
  setup(b) {
    b.onLoad({ filter: /[\\/]rrweb[\\/]dist[\\/]rrweb\.js$/ }, (a) => {
      let src = readFileSync(a.path, "utf8");
      const edits = [
        [/^import_postcss(\$1)?\.default(\.[A-Za-z]+)?;$/gm, ""],
        [/^var postcss_default = (import_postcss\$1\.default);$/gm, "var postcss_default = /* @__PURE__ */ (() => $1)();"],
        [/^(var import_postcss(\$1)? = \/\* @__PURE__ \*\/ __toESM(\$1)?\()\(/gm, "$1/* @__PURE__ */ ("],
        // Branches for record() options Reel never passes (sdk/src/index.ts): maskAllInputs
        // (Reel decides masking per field through maskInputOptions and maskInputFn) and
        // sampling.input "last" (which recorded a field only when it lost focus).
        [/const maskInputOptions = maskAllInputs === true \? \{[^}]*\} : /, "const maskInputOptions = "],
        [/\(sampling\.input === "last" \? \["change"\] : (\["input", "change"\])\)/, "$1"],
        // mousemoveWait (deprecated), plugins' event processors and packFn.
        [/^\tif \(mousemoveWait !== void 0 && sampling\.mousemove === void 0\) sampling\.mousemove = mousemoveWait;$/m, ""],
        [/^\t\tfor \(const plugin of plugins \|\| \[\]\) if \(plugin\.eventProcessor\) e = plugin\.eventProcessor\(e\);\n\t\tif \(packFn && !passEmitsToParent\) e = packFn\(e\);$/m, ""],
        // recordCrossOriginIframes (Reel never passes it: a cross-origin frame is recorded as
        // its <iframe> element): the frame's side that posts its events to the parent, and the
        // parent's side that listens for them and renumbers their ids (about 0.6 kB gzipped).
        [/^\tconst inEmittingFrame = recordCrossOriginIframes \? window\.parent === window : true;\n\tlet passEmitsToParent = false;\n\tif \(!inEmittingFrame\) try \{\n[^\n]*\n\t\} catch \(e\) \{\n[^\n]*\n\t\}\n/m, "\tconst inEmittingFrame = true, passEmitsToParent = false;\n"],
        [/^\t\telse if \(passEmitsToParent\) \{\n[\s\S]*?window\.parent\.postMessage\(message, "\*"\);\n\t\t\}\n/m, ""],
        [/^\tcrossOriginIframeMap = [^\n]*\n\tcrossOriginIframeMirror = new CrossOriginIframeMirror\(genId\);\n\tcrossOriginIframeStyleMirror;\n\tcrossOriginIframeRootIdMap = [^\n]*\n/m, ""],
        [/^\t\tthis\.crossOriginIframeStyleMirror = new CrossOriginIframeMirror\([^\n]*\n/m, ""],
        [/^\tmessageHandler = \(message\) => this\.handleMessage\(message\);\n/m, ""],
        [/^\t\tif \(this\.recordCrossOriginIframes\) window\.addEventListener\("message", this\.messageHandler\);\n/m, ""],
        [/^\t\tif \(iframeEl\.contentWindow\) this\.crossOriginIframeMap\.set\(iframeEl\.contentWindow, iframeEl\);\n/m, ""],
        [/^\t\twindow\.removeEventListener\("message", this\.messageHandler\);\n/m, ""],
        [/^\t\tif \(this\.recordCrossOriginIframes\) handlers\.push\(on\("message", this\.messageHandler, win\)\);\n/m, ""],
        [/^\thandleMessage\(message\) \{\n[\s\S]*?^\tpatchRootIdOnNode\(node, rootId\) \{\n[\s\S]*?^\t\}\n/m, ""],
        [/^\tfor \(const plugin of plugins \|\| \[\]\) if \(plugin\.getMirror\) plugin\.getMirror\(\{\n[\s\S]*?^\t\}\);\n/m, ""],
        // hooks (callbacks run beside each observer's) and collectFonts (FontFace patching):
        // options Reel never passes.
        [/^\tmergeHooks\(o, hooks\);\n/m, ""],
        [/^\t\tif \(o\.collectFonts\) fontObserver = initFontObserver\(o\);\n/m, ""],
        // record.addCustomEvent, addAnnotation and freezePage: Reel builds its own Custom events
        // (src/custom.ts) and never freezes the page.
        [/^var \{ addCustomEvent, addAnnotation \} = record;\nvar \{ freezePage \} = record;$/m, "var addCustomEvent, addAnnotation, freezePage;"],
        [/^record\.addCustomEvent = \(tag, payload\) => \{\n[\s\S]*?^record\.freezePage = \(\) => \{\n[^\n]*\n[^\n]*\n\};\n/m, ""],
        // Scroll positions are throttled per scrolled element, not by one throttle for the whole
        // page: with one, a page that keeps two scrollers in step (a data grid's rows and its
        // scrollbar) had one of them lose its last position, and the replay then showed an
        // empty band of rows (e2e/player_recycled_rows_test.go). Not a size cut: a fix.
        [/^(function initScrollObserver\(\{[^\n]*\n)\treturn on\("scroll", callbackWrapper\(throttle\(callbackWrapper\(\(evt\) => \{\n([\s\S]*?)^\t\}\), sampling\.scroll \|\| 100\)\), doc\);\n\}$/m,
          "$1\tconst each = new WeakMap();\n\tconst cb = callbackWrapper((evt) => {\n$2\t});\n\treturn on(\"scroll\", callbackWrapper((evt) => {\n\t\tconst target = getEventTarget(evt);\n\t\tif (!target) return;\n\t\tlet f = each.get(target);\n\t\tif (!f) each.set(target, f = throttle(cb, sampling.scroll || 100));\n\t\tf(evt);\n\t}), doc);\n}"],
      ];
      const worker = /^var jsContent = ("(?:[^"\\]|\\.)*");$/m;
      const m = worker.exec(src);
      if (!m) throw new Error("rrweb-tree-shake: rrweb's inline canvas worker not found; revisit build.mjs");
      // The literal is a JavaScript string (it holds raw tabs, which JSON does not allow).
      const js = new Function(`return ${m[1]}`)();
      const min = transformSync(js, { minify: true, target: "es2020", legalComments: "none" }).code;
      src = src.replace(worker, () => `var jsContent = ${JSON.stringify(min)};`);
      // rrweb's own diagnostics (41 console calls, "Cannot inline img src…" and the like) are
      // marked pure so the minifier drops them: they would only add noise to the site's
      // console and to its recorded console, and they weigh 0.4 kB gzipped. Reel's own
      // warnings are not touched.
      const logs = /\bconsole\.(warn|log|error|debug|info)\(/g;
      if (!logs.test(src)) throw new Error("rrweb-tree-shake: no console calls in rrweb; revisit build.mjs");
      src = src.replace(logs, "/* @__PURE__ */ console.$1(");
      for (const [re, to] of edits) {
        if (!re.test(src)) throw new Error(`rrweb-tree-shake: ${re} no longer matches rrweb; revisit build.mjs`);
        src = src.replace(re, to);
      }
      return { contents: src, loader: "js" };
    });
  },
};
