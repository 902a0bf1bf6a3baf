// Recorded stylesheets, adapted for replay with the browser's own CSS parser.
//
// Before a page can be shown, rrweb rewrites each recorded stylesheet (postcss): every rule
// with :hover gets a twin selector with the class .\:hover, so hover states can be replayed, and
// device-width media queries become width ones. On a real site's 200 kB of CSS that costs
// 100–200 ms per sheet, before the first frame. The browser parses CSS natively in a few
// milliseconds; this makes the same rewrite through CSSOM and hands the results to the
// replayer's cache, leaving the sheets it cannot handle exactly to rrweb.
import type { RREvent } from "./api";
import { FULL_SNAPSHOT } from "./timeline";

const adapted = new Map<string, string | null>();

/** Splits a selector list at top-level commas (not inside parentheses, brackets or quotes). */
function splitSelectors(list: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = "";
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      out.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(list.slice(start).trim());
  return out;
}

function rewrite(rules: CSSRuleList): void {
  for (const rule of Array.from(rules)) {
    if (rule instanceof CSSStyleRule && rule.selectorText.includes(":hover")) {
      const hovered = splitSelectors(rule.selectorText)
        .filter((s) => s.includes(":hover"))
        .map((s) => s.replace(/:hover/g, ".\\:hover"));
      rule.selectorText = rule.selectorText + ", " + hovered.join(", ");
    }
    const inner = (rule as CSSGroupingRule).cssRules;
    if (inner && inner.length) rewrite(inner);
  }
}

/**
 * The hover rewrite done on the CSS text in one pass: every selector list (outside strings and
 * comments) that holds :hover gets its twins. Null when a selector list holds a comment, which
 * the CSSOM path handles. Serialising thousands of rules back from CSSOM costs hundreds of
 * milliseconds on a real site's sheet; this costs a few.
 */
function rewriteText(css: string): string | null {
  let out = "";
  let from = 0; // start of the current prelude (selector list or at-rule)
  let done = 0; // css before this is in out
  for (let i = 0; i < css.length; i++) {
    const c = css[i];
    if (c === '"' || c === "'") {
      for (i++; i < css.length && css[i] !== c; i++) if (css[i] === "\\") i++;
    } else if (c === "/" && css[i + 1] === "*") {
      const end = css.indexOf("*/", i + 2);
      if (end < 0) return null;
      i = end + 1;
    } else if (c === ";" || c === "}") {
      from = i + 1;
    } else if (c === "{") {
      const prelude = css.slice(from, i);
      if (prelude.includes(":hover") && !prelude.trimStart().startsWith("@")) {
        if (prelude.includes("/*")) return null;
        const hovered = splitSelectors(prelude)
          .filter((sel) => sel.includes(":hover"))
          .map((sel) => sel.replace(/:hover/g, ".\\:hover"));
        out += css.slice(done, i) + ", " + hovered.join(", ");
        done = i;
      }
      from = i + 1;
    }
  }
  return out + css.slice(done);
}

/** The replay form of css, or null when rrweb should adapt it itself. */
export function adaptCss(css: string): string | null {
  const known = adapted.get(css);
  if (known !== undefined) return known;
  let out: string | null = null;
  // Sheets that need the media rewrite, or that CSSOM would change beyond the rewrite
  // (constructed sheets ignore @import), go to rrweb.
  if (!/(max|min)-device-(width|height)|@import/i.test(css)) {
    if (!css.includes(":hover")) out = css;
    else {
      out = rewriteText(css);
      if (out === null) {
        try {
          const sheet = new CSSStyleSheet();
          sheet.replaceSync(css);
          rewrite(sheet.cssRules);
          out = Array.from(sheet.cssRules, (r) => r.cssText).join("\n");
        } catch {
          out = null;
        }
      }
    }
  }
  adapted.set(css, out);
  return out;
}

/**
 * Fills an rrweb Replayer's stylesheet cache from the full snapshot it will rebuild to show
 * the moment `at` (ms since epoch) now, and from the other snapshots among events once the
 * first frame is up (later returns a promise that resolves then).
 */
export function primeStyles(replayer: unknown, events: RREvent[], at: number, later: Promise<void>): void {
  const cache = (replayer as { cache?: { stylesWithHoverClass?: Map<string, string> } }).cache;
  const map = cache && cache.stylesWithHoverClass;
  if (!(map instanceof Map)) return;
  const visit = (n: any): void => {
    if (!n || typeof n !== "object") return;
    const children: any[] = Array.isArray(n.childNodes) ? n.childNodes : [];
    const css = n.attributes && n.attributes._cssText;
    if (typeof css === "string" && children.length === 0 && !map.has(css)) {
      const a = adaptCss(css);
      if (a !== null) map.set(css, a);
    }
    if (n.isStyle && typeof n.textContent === "string" && !map.has(n.textContent)) {
      const a = adaptCss(n.textContent);
      if (a !== null) map.set(n.textContent, a);
    }
    for (const c of children) visit(c);
  };
  const snapshots = events.filter((e) => e.type === FULL_SNAPSHOT && e.data);
  let now = snapshots[0];
  for (const e of snapshots) if (e.timestamp <= at) now = e;
  if (now) visit(now.data.node);
  // The rest one at a time, between frames.
  later.then(() => {
    let i = 0;
    const next = () => {
      for (; i < snapshots.length; i++) {
        if (snapshots[i] === now) continue;
        visit(snapshots[i++].data.node);
        setTimeout(next, 50);
        return;
      }
    };
    setTimeout(next, 200);
  });
}
