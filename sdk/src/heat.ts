import { emit } from "./custom";
import { whenIdle } from "./idle";

type Listen = (t: EventTarget, type: string, fn: (e: Event) => void) => void;

const { round } = Math;
const r3 = (v: number) => round(v * 1000) / 1000;

/**
 * A short CSS selector that finds the element again in a replay of the page, even after its
 * layout changed: its id, else its data-testid or name attribute, else tag:nth-of-type steps up
 * to an element with one of those or to the body; at most 8 steps. Never text.
 */
function selector(el: Element): string {
  let out = "";
  for (let e: Element | null = el, n = 0; e && e.localName !== "body" && n < 8; e = e.parentElement, n++) {
    const k = e.id ? "id" : e.hasAttribute("data-testid") ? "data-testid" : e.hasAttribute("name") ? "name" : "";
    let i = 1;
    for (let s = e.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === e.localName) i++;
    out = e.localName + (k ? `[${k}="${CSS.escape(e.getAttribute(k)!)}"]` : `:nth-of-type(${i})`) + (out && ">" + out);
    if (k) break;
  }
  return out;
}

/**
 * Records what heatmaps need: for every pointer click, `reel.click` with the clicked element's
 * selector, where in its box the click landed (fractions, so the point follows the element when
 * the layout changes), its size and the page position; and per page view `reel.scroll` with the
 * deepest share of the document seen so far, whenever it crosses another tenth. Inside a blocked
 * element the blocked element counts as the target: its content is not in the replay.
 */
export function captureHeat(listen: Listen, block: string): () => void {
  let path = "";
  let sent = -1;
  const measure = () => {
    // Before the page has loaded, the document is shorter than it will be.
    if (document.readyState !== "complete") return;
    if (location.pathname !== path) {
      path = location.pathname;
      sent = -1;
    }
    const depth = r3((scrollY + innerHeight) / document.documentElement.scrollHeight);
    if (Math.floor(depth * 10) > Math.floor(sent * 10)) emit("reel.scroll", { depth: (sent = depth) });
  };
  // Reading the page height lays out a page whose layout has changed: in the middle of a
  // scroll or a click that is a forced layout of its own (5 ms on a docs page being scrolled),
  // once the browser is idle its frame has been laid out already.
  let asked = 0;
  const later = () => {
    if (asked) return;
    asked = 1;
    whenIdle(() => {
      asked = 0;
      measure();
    }, 500);
  };
  listen(document, "click", (ev) => {
    const e = ev as MouseEvent;
    // A click from the keyboard (detail 0) has no position.
    if (!e.detail) return;
    const el = (e.target as Element).closest(block) || (e.target as Element);
    const b = el.getBoundingClientRect();
    emit("reel.click", {
      selector: selector(el),
      x: r3((e.clientX - b.left) / b.width),
      y: r3((e.clientY - b.top) / b.height),
      w: round(b.width),
      h: round(b.height),
      pageX: round(e.pageX),
      pageY: round(e.pageY),
    });
    later();
  });
  // At most twice a second while scrolling (the first scroll at once, the last one too), not
  // on every event.
  let last = 0;
  let queued = 0;
  const throttled = () => {
    queued = 0;
    last = Date.now();
    later();
  };
  listen(window, "scroll", (e) => {
    if (e.target !== document || queued) return;
    const wait = last + 500 - Date.now();
    if (wait > 0) queued = setTimeout(throttled, wait);
    else throttled();
  });
  // Deferred, so the first depth follows rrweb's snapshot of the page (the page view it
  // belongs to) rather than preceding it.
  const soon = () => setTimeout(measure, 50);
  listen(window, "load", soon);
  soon();
  // Also notices a single-page app's next page when nobody scrolls or clicks on it.
  const t = setInterval(later, 3000);
  return () => clearInterval(t);
}
