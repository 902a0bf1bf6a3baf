// What happened in a session, derived from its rrweb events: the items the timeline marks and
// the panes list, and how busy each stretch was. Pure functions, no DOM.
import type { RREvent } from "./api";
import { Elements } from "./elements";
import { IDLE_MS, isUserSource, pagesOf, readableURL } from "./measure";

// rrweb's EventType and IncrementalSource numbers.
export const FULL_SNAPSHOT = 2;
export const INCREMENTAL = 3;
export const META = 4;
export const CUSTOM = 5;
export const SRC_MUTATION = 0;
export const SRC_MOUSE_MOVE = 1;
export const SRC_MOUSE_INTERACTION = 2;
export const SRC_SCROLL = 3;
export const SRC_INPUT = 5;
export const SRC_TOUCH_MOVE = 6;
export const SRC_CANVAS_MUTATION = 9;
export const SRC_DRAG = 12;
const CLICK = 2;
const DBL_CLICK = 4;

/**
 * Kinds of timeline items, in the order their markers are drawn (later on top). A new kind
 * (friction signals from analysis, say) is one entry here and one case in itemOf.
 */
export const KINDS = {
  page: { label: "Page views", short: "Page" },
  click: { label: "Clicks", short: "Click" },
  input: { label: "Inputs", short: "Input" },
  custom: { label: "Custom events", short: "Event" },
  identify: { label: "Identify", short: "Identify" },
  console: { label: "Console", short: "Console" },
  network: { label: "Requests", short: "Request" },
  vitals: { label: "Web vitals", short: "Vital" },
  friction: { label: "Friction", short: "Friction" },
  failed: { label: "Failed requests", short: "Failed" },
  error: { label: "Errors", short: "Error" },
} as const;
export type Kind = keyof typeof KINDS;

/** Kinds that get a marker on the timeline (console and plain requests would drown it). */
export const MARKED: Kind[] = ["page", "click", "input", "custom", "friction", "failed", "error"];

export interface Item {
  /** ms since the session started */
  at: number;
  kind: Kind;
  label: string;
  detail?: string;
  /** For inputs: the field, named as clicks are (bug reports say "typed into" it). */
  target?: string;
  ev: RREvent;
}

export interface ConsoleEntry {
  at: number;
  level: string;
  text: string;
  stack?: string;
}

export interface Request {
  at: number; // when it started
  end: number;
  method: string;
  url: string;
  status: number;
  durationMs: number;
  failure?: string;
  failed: boolean;
  p: any;
}

export interface ErrorEntry {
  at: number;
  message: string;
  name?: string;
  stack?: string;
  source?: string;
  kind?: string;
}

export interface Digest {
  items: Item[];
  console: ConsoleEntry[];
  requests: Request[];
  errors: ErrorEntry[];
  /** User activity per bucket of the timeline, 0–1. */
  activity: number[];
  /** Pages (measure.ts pagesOf) with the time spent on each (until the next page or the end). */
  pages: { at: number; url: string; ms: number }[];
  activeMs: number;
  user: { id?: string; traits?: Record<string, unknown> } | null;
}

export const BUCKETS = 160;
function isUserActivity(e: RREvent): boolean {
  return e.type === INCREMENTAL && !!e.data && isUserSource(e.data.source);
}

function str(v: unknown, max = 300): string {
  const s = typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
  return s.length > max ? s.slice(0, max) + "…" : s;
}

/** Derives the digest; base is the session's start (ms since epoch), total its length. */
/** Google's web-vitals thresholds: at or below the first is good, above the second poor. */
const VITALS: Record<string, [number, number]> = {
  LCP: [2500, 4000],
  CLS: [0.1, 0.25],
  INP: [200, 500],
  FCP: [1800, 3000],
  TTFB: [800, 1800],
};

export function rateVital(name: unknown, value: unknown): string | undefined {
  const t = typeof name === "string" ? VITALS[name] : undefined;
  if (!t || typeof value !== "number") return undefined;
  return value <= t[0] ? "good" : value <= t[1] ? "needs improvement" : "poor";
}

export function digest(events: RREvent[], base: number, total: number): Digest {
  const d: Digest = { items: [], console: [], requests: [], errors: [], activity: new Array(BUCKETS).fill(0), pages: [], activeMs: 0, user: null };
  const bucketMs = Math.max(1, total / BUCKETS);
  let lastActive = -Infinity;
  const dom = new Elements();
  for (const e of events) {
    const at = e.timestamp - base;
    if (isUserActivity(e)) {
      const b = Math.min(BUCKETS - 1, Math.max(0, Math.floor(at / bucketMs)));
      d.activity[b]++;
      if (at - lastActive < IDLE_MS) d.activeMs += at - lastActive;
      lastActive = at;
    }
    if (e.type === META && e.data && typeof e.data.href === "string") {
      d.pages.push({ at, url: e.data.href, ms: 0 });
      d.items.push({ at, kind: "page", label: e.data.href, ev: e });
    } else if (e.type === FULL_SNAPSHOT && e.data) {
      dom.snapshot(e.data.node);
    } else if (e.type === INCREMENTAL && e.data) {
      const s = e.data.source;
      if (s === SRC_MUTATION) dom.mutation(e.data);
      if (s === SRC_MOUSE_INTERACTION && (e.data.type === CLICK || e.data.type === DBL_CLICK)) {
        // Named by the element clicked; the position only when the element is unknown.
        const name = dom.describe(e.data.id);
        const dbl = e.data.type === DBL_CLICK ? "double " : "";
        d.items.push({ at, kind: "click", label: dbl + name, detail: name ? undefined : `at ${Math.round(e.data.x)}, ${Math.round(e.data.y)}`, ev: e });
      } else if (s === SRC_INPUT) {
        // Consecutive keystrokes into one field are one input.
        const prev = d.items[d.items.length - 1];
        if (prev && prev.kind === "input" && prev.ev.data.id === e.data.id && at - prev.at < 3000) continue;
        const text = typeof e.data.text === "string" ? e.data.text : "";
        d.items.push({ at, kind: "input", label: "", detail: text ? str(text, 60) : e.data.isChecked ? "checked" : "unchecked", target: dom.describe(e.data.id), ev: e });
      }
    } else if (e.type === CUSTOM && e.data && typeof e.data.tag === "string") {
      const p = e.data.payload || {};
      switch (e.data.tag) {
        case "reel.console": {
          const text = Array.isArray(p.args) ? p.args.map((a: unknown) => str(a, 2000)).join(" ") : str(p.args, 2000);
          d.console.push({ at, level: String(p.level || "log"), text, stack: p.stack });
          d.items.push({ at, kind: "console", label: `console.${p.level || "log"}`, detail: str(text, 120), ev: e });
          break;
        }
        case "reel.error": {
          d.errors.push({ at, message: str(p.message, 2000), name: p.name, stack: p.stack, source: p.source ? `${p.source}${p.line ? ":" + p.line : ""}${p.column ? ":" + p.column : ""}` : undefined, kind: p.kind });
          d.items.push({ at, kind: "error", label: p.name || (p.kind === "unhandledrejection" ? "Unhandled rejection" : "Error"), detail: str(p.message, 160), ev: e });
          break;
        }
        case "reel.network": {
          const dur = Number(p.durationMs) || 0;
          const status = Number(p.status) || 0;
          const failed = status === 0 || status >= 400 || !!p.failure;
          d.requests.push({ at: at - dur, end: at, method: String(p.method || "GET"), url: String(p.url || ""), status, durationMs: dur, failure: p.failure, failed, p });
          d.items.push({ at: at - dur, kind: failed ? "failed" : "network", label: `${p.method || "GET"} ${status || (p.failure ? "failed" : "–")}`, detail: str(readableURL(String(p.url || "")), 160), ev: e });
          break;
        }
        case "reel.navigation":
          d.items.push({ at, kind: "page", label: str(p.url), detail: p.kind ? `${p.kind} navigation` : undefined, ev: e });
          d.pages.push({ at, url: String(p.url), ms: 0 });
          break;
        case "reel.identify":
          d.user = { id: p.userId, traits: p.traits };
          d.items.push({ at, kind: "identify", label: `Identified ${str(p.userId, 60)}`, ev: e });
          break;
        case "reel.track":
          d.items.push({ at, kind: "custom", label: str(p.name, 80), detail: p.props ? str(p.props, 160) : undefined, ev: e });
          break;
        case "reel.vitals":
          d.items.push({ at, kind: "vitals", label: `${p.name} ${typeof p.value === "number" ? Math.round(p.value * 1000) / 1000 : ""}`, detail: p.rating || rateVital(p.name, p.value), ev: e });
          break;
        case "reel.friction":
          d.items.push({ at, kind: "friction", label: str(p.kind || "Friction", 60), detail: p.detail ? str(p.detail, 160) : undefined, ev: e });
          break;
        default:
          if (!e.data.tag.startsWith("reel.")) d.items.push({ at, kind: "custom", label: str(e.data.tag, 80), ev: e });
      }
    }
  }
  d.items.sort((a, b) => a.at - b.at);
  d.requests.sort((a, b) => a.at - b.at);
  const peak = Math.max(1, ...d.activity);
  d.activity = d.activity.map((n) => (n === 0 ? 0 : 0.15 + 0.85 * Math.sqrt(n / peak)));
  d.pages = pagesOf(d.pages.sort((a, b) => a.at - b.at));
  for (let i = 0; i < d.pages.length; i++) d.pages[i].ms = (i + 1 < d.pages.length ? d.pages[i + 1].at : total) - d.pages[i].at;
  return d;
}

/** Index of the last item at or before t (−1 when none). */
export function lastAtOrBefore<T extends { at: number }>(list: T[], t: number): number {
  let lo = 0;
  let hi = list.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].at <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

export const FRICTION_LABELS: Record<string, string> = {
  rage_click: "Rage click",
  dead_click: "Dead click",
  error_click: "Error click",
  thrashed_cursor: "Thrashed cursor",
  quick_back: "Quick back",
  excessive_scroll: "Excessive scrolling",
  form_abandonment: "Form abandoned",
  field_hesitation: "Field hesitation",
};

/** Adds the server's friction findings to a digest as timeline items. */
export function withFriction(d: Digest | null, signals: { kind: string; at: number; target?: string; url?: string; count?: number }[] | undefined, base: number): Digest | null {
  if (!d || !signals || signals.length === 0) return d;
  const items = d.items.concat(
    signals.map((s) => ({
      at: s.at - base,
      kind: "friction" as Kind,
      label: (FRICTION_LABELS[s.kind] || s.kind.replace(/_/g, " ")) + (s.count && s.count > 1 ? ` ×${s.count}` : ""),
      detail: s.target || s.url,
      ev: { type: CUSTOM, timestamp: s.at, data: { tag: "reel.friction", payload: s } },
    })),
  );
  items.sort((a, b) => a.at - b.at);
  return { ...d, items };
}
