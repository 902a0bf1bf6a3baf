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

/** The replay form of css, or null when rrweb should adapt it itself. */
export function adaptCss(css: string): string | null {
  const known = adapted.get(css);
  if (known !== undefined) return known;
  let out: string | null = null;
  // Sheets CSSOM would change beyond the rewrite (constructed sheets ignore @import) or that
  // need the media rewrite go to rrweb.
  if (!/(max|min)-device-(width|height)|@import/i.test(css)) {
    if (!css.includes(":hover")) out = css;
    else {
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
