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
        // Canvas recording: Reel passes recordCanvas: false and records canvases with a module
        // of its own, loaded from the server only on pages that have a canvas (src/canvas.ts):
        // rrweb's sampler runs a requestAnimationFrame loop for the page's whole life, canvas
        // or not. Its manager, the 2D and WebGL observers and the inline worker fall away.
        [/^\tcanvasManager = new CanvasManager\(\{\n[\s\S]*?^\t\}\);\n/m, "\tcanvasManager = { reset() {}, freeze() {}, unfreeze() {}, lock() {}, unlock() {} };\n"],
        // hooks (callbacks run beside each observer's) and collectFonts (FontFace patching):
        // options Reel never passes.
        [/^\tmergeHooks\(o, hooks\);\n/m, ""],
        [/^\t\tif \(o\.collectFonts\) fontObserver = initFontObserver\(o\);\n/m, ""],
        // record.addCustomEvent, addAnnotation and freezePage: Reel builds its own Custom events
        // (src/custom.ts) and never freezes the page.
        // Scroll: rrweb throttles the scroll events of the whole document through one throttle,
        // whose trailing call serves the element that scrolled first in the window, so of two
        // scrollers moved together (a data grid's body and pinned columns) one never records
        // its final position. One throttle per scrolled element gives each its trailing edge.
        [/^(\treturn on\("scroll", callbackWrapper\()(throttle\(callbackWrapper\(\(evt\) => \{\n\t\tconst target = getEventTarget\(evt\);[\s\S]*?\}\), sampling\.scroll \|\| 100\))\), doc\);$/m,
          "\tconst perTarget = new WeakMap();\n$1(evt) => {\n\t\tconst target = getEventTarget(evt);\n\t\tif (!target) return;\n\t\tlet f = perTarget.get(target);\n\t\tif (!f) perTarget.set(target, f = $2);\n\t\tf(evt);\n\t}), doc);"],
        // Style attribute changes: rrweb parses each old value into a scratch element and walks
        // both declarations property by property, then serializes the difference and what did
        // not change, to send the difference when it is shorter. On a page that moves elements by
        // their style (a virtual grid's rows, an animation) that was a fifth of rrweb's time; the
        // whole attribute, as the page set it, is sent instead (replayed exactly; gzip takes
        // out what repeats).
        [/^\t\t\t\t\tif \(attributeName === "style"\) \{\n\t\t\t\t\t\tif \(!this\.unattachedDoc\)[\s\S]*?\} else if \(attributeName === "open"/m, '\t\t\t\t\tif (attributeName === "open"'],
        [/^\t\t\t\tif \(typeof attributes\.style === "string"\) \{\n\t\t\t\t\tconst diffAsStr[\s\S]*?\n\t\t\t\t\}\n/m, ""],
        [/^var \{ addCustomEvent, addAnnotation \} = record;\nvar \{ freezePage \} = record;$/m, "var addCustomEvent, addAnnotation, freezePage;"],
        [/^record\.addCustomEvent = \(tag, payload\) => \{\n[\s\S]*?^record\.freezePage = \(\) => \{\n[^\n]*\n[^\n]*\n\};\n/m, ""],
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
