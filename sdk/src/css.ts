import { record } from "rrweb";
import { emit } from "./custom";

// Stylesheets as written. rrweb records a <link> stylesheet as the browser serialises its parsed
// rules, which keeps six significant digits of a number: FullCalendar's `line-height:
// calc(1/.75)` comes back as `calc(1.33333)`, 31.9999px at 24px instead of 32px, and the
// replayed text sat a pixel higher than the live page's. After each full snapshot, each small
// same-origin link stylesheet whose text (read again from the HTTP cache) holds a calc() or a
// long number is sent as a `reel.css` event, when the browser parses that text to the very
// rules the page has (the page did not change them from script since); the player puts it in
// place of the snapshot's copy. Serialising and parsing a sheet costs the main thread about a
// millisecond per 10 kB, so larger sheets are left as rrweb recorded them.

/** fetch before the network capture wraps it: this read is Reel's, not the page's. */
const read = typeof fetch === "function" ? fetch.bind(window) : null;

/** Sheets larger than this (bytes, as the browser decoded them) are not read again. */
const MAX_BYTES = 32 * 1024;

/** What the browser may serialise with fewer digits than written: calc() or a long number. */
const LOSSY = /calc\(|\d[\d.]{6}/;

const rules = (s: CSSStyleSheet): string => {
  let t = "";
  for (const r of s.cssRules) t += r.cssText;
  return t;
};

/** Runs after each full snapshot; never throws into the page. */
export function writtenStylesheets(): void {
  try {
    if (read && "replaceSync" in CSSStyleSheet.prototype) each(read);
  } catch {
    // never into the page
  }
}

function each(read: typeof fetch): void {
  for (const l of document.querySelectorAll<HTMLLinkElement>("link[rel~=stylesheet]")) {
    const id = record.mirror.getId(l);
    const size = (performance.getEntriesByName(l.href)[0] as PerformanceResourceTiming | undefined)?.decodedBodySize;
    if (!l.sheet || id < 1 || !size || size > MAX_BYTES || !l.href.startsWith(location.origin + "/")) continue;
    read(l.href, { cache: "force-cache", credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : ""))
      .then((text) => {
        if (!LOSSY.test(text) || !l.sheet || record.mirror.getId(l) !== id) return;
        const s = new CSSStyleSheet();
        s.replaceSync(text);
        if (rules(s) === rules(l.sheet)) emit("reel.css", { id, href: l.href, text });
      })
      .catch(() => {});
  }
}
