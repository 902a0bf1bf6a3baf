import { emit } from "./custom";

type Listen = (t: EventTarget, type: string, fn: (e: Event) => void) => void;

/**
 * Records navigation inside a single-page app (history API and hash changes) as
 * `reel.navigation` events. Returns the function that restores history's methods.
 */
export function captureNavigation(listen: Listen): () => void {
  let last = location.href;
  const note = (kind: string) => {
    const url = location.href;
    if (url === last) return;
    // A hash link fires popstate and then hashchange; report it once, as "hash".
    if (kind === "pop" && url.split("#")[0] === last.split("#")[0]) return;
    last = url;
    emit("reel.navigation", { url, kind });
  };
  const h = history;
  const orig = { pushState: h.pushState, replaceState: h.replaceState };
  for (const [name, kind] of [
    ["pushState", "push"],
    ["replaceState", "replace"],
  ] as const) {
    const o = orig[name];
    h[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const r = o.apply(this, args);
      try {
        note(kind);
      } catch {
        // ignore
      }
      return r;
    };
  }
  listen(window, "popstate", () => note("pop"));
  listen(window, "hashchange", () => note("hash"));
  return () => Object.assign(h, orig);
}

function vital(name: string, value: number): void {
  // The dashboard rates the value (good, needs improvement, poor) by Google's thresholds.
  emit("reel.vitals", { name, value: name === "CLS" ? Math.round(value * 1000) / 1000 : Math.round(value) });
}

/**
 * Reports page visibility as `reel.visibility` and web vitals as `reel.vitals`, measured with
 * the browser's own PerformanceObserver (the definitions of Google's web-vitals library, in a
 * few hundred bytes): FCP and TTFB when known; LCP, CLS and INP when the page is first hidden,
 * which is when their values are final.
 */
export function capturePage(listen: Listen): () => void {
  const observers: PerformanceObserver[] = [];
  const observe = (type: string, fn: (entries: PerformanceEntry[]) => void, extra?: object) => {
    try {
      const o = new PerformanceObserver((l) => {
        try {
          fn(l.getEntries());
        } catch {
          // ignore
        }
      });
      o.observe({ type, buffered: true, ...extra } as PerformanceObserverInit);
      observers.push(o);
    } catch {
      // Not supported in this browser.
    }
  };
  try {
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    if (nav && nav.responseStart > 0) vital("TTFB", nav.responseStart);
  } catch {
    // ignore
  }
  observe("paint", (es) => {
    for (const e of es) if (e.name === "first-contentful-paint") vital("FCP", e.startTime);
  });
  let lcp = -1;
  observe("largest-contentful-paint", (es) => {
    for (const e of es) lcp = e.startTime;
  });
  // CLS: the largest session window of shifts (gaps < 1 s, window < 5 s) without recent input.
  let cls = 0;
  let win = 0;
  let winStart = 0;
  let winLast = 0;
  let sawShift = false;
  observe("layout-shift", (es) => {
    for (const e of es as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
      if (e.hadRecentInput) continue;
      sawShift = true;
      if (win && e.startTime - winLast < 1000 && e.startTime - winStart < 5000) win += e.value;
      else {
        win = e.value;
        winStart = e.startTime;
      }
      winLast = e.startTime;
      cls = Math.max(cls, win);
    }
  });
  // INP: the longest interaction (close enough to the 98th percentile for one page view).
  let inp = -1;
  observe(
    "event",
    (es) => {
      for (const e of es as (PerformanceEntry & { interactionId?: number })[]) if (e.interactionId) inp = Math.max(inp, e.duration);
    },
    { durationThreshold: 16 },
  );
  let reported = false;
  listen(document, "visibilitychange", () => {
    const state = document.visibilityState;
    emit("reel.visibility", { state });
    if (state !== "hidden" || reported) return;
    reported = true;
    if (lcp >= 0) vital("LCP", lcp);
    if (sawShift || lcp >= 0) vital("CLS", cls);
    if (inp >= 0) vital("INP", inp);
  });
  return () => observers.forEach((o) => o.disconnect());
}
