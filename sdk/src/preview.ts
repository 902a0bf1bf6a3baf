// The privacy preview overlay (reel-preview.js), loaded by the SDK only on a page opened with
// `reel_preview=<token>` (a link made on Reel's Settings page). It shows the site owner, on the
// live page, what Reel captures there, taken from the SDK's own batches (each batch's JSON as
// cut, handed over through `window.reelTap`) rather than worked out again:
//  - masked: elements whose text, value or input events were sent different from what the page
//    shows (rrweb's `*` masking), found by comparing each sent node with the live node rrweb's
//    mirror (`reelTap.m`) maps it to;
//  - blocked: elements sent as rrweb's placeholder (`rr_width`/`rr_height`, no content);
//  - scrubbed: elements whose sent text or attributes the server's scrubber would replace,
//    asked of the server (POST /api/v1/privacy-preview/scrub, the project's real scrubber);
// and lists what the batches carry: DOM nodes, input values as sent, console entries, network
// requests with their bodies. It draws in a shadow root under a `reel-block` element, so the
// recording holds only an empty box for it.

interface SNode {
  type: number;
  id: number;
  tagName?: string;
  attributes?: Record<string, string | number | boolean | null>;
  childNodes?: SNode[];
  textContent?: string;
  isStyle?: boolean;
}
interface Mirror {
  getNode(id: number): Node | null;
  getId(n: Node | undefined | null): number;
}
interface Ev {
  type: number;
  data: Record<string, unknown> & { source?: number; tag?: string; payload?: Record<string, unknown> };
}
type Kind = "masked" | "blocked" | "scrubbed";

/** One colour per finding; the player's privacy view uses the same (web/src/privacy.ts). */
export const COLORS: Record<Kind, string> = { masked: "#0066ff", blocked: "#ff00aa", scrubbed: "#ff8800" };
const LABELS: Record<Kind, string> = {
  masked: "masked in the browser",
  blocked: "blocked (sent as an empty box)",
  scrubbed: "scrubbed by the server",
};
/** Attributes the server's scrubber reads (besides text and values). */
const SCRUBBED_ATTRS = ["value", "title", "alt", "href", "src", "placeholder", "aria-label"];
const ASSET = "\u0000reel:a:";

const w = window as unknown as { reelTap?: string[] & { m?: Mirror }; Reel?: { flush?: () => Promise<void>; getSessionId?: () => string | null } };
const script = document.currentScript as HTMLScriptElement | null;
const endpoint = (script?.src || "").replace(/\/sdk\/reel-preview\.js.*$/, "");
const token = new URLSearchParams(location.search).get("reel_preview") || new URLSearchParams(location.hash.slice(1)).get("reel_preview") || "";

const found: Record<Kind, Set<Element>> = { masked: new Set(), blocked: new Set(), scrubbed: new Set() };
/** What the batches carried, for the listing. */
const sent = {
  batches: 0,
  snapshotNodes: 0,
  addedNodes: 0,
  inputs: new Map<number, { label: string; value: string }>(),
  console: [] as { level: string; text: string }[],
  network: [] as { line: string; bodies: string[] }[],
  kinds: {} as Record<string, number>,
};
/** Strings asked of the scrubber, with the elements showing them; answers by string. */
const pending = new Map<string, Set<Element | null>>();
const answered = new Map<string, { kinds: Record<string, number>; scrubbed: string }>();

let host: HTMLElement;
let root: ShadowRoot;
let layer: HTMLElement;
let panel: HTMLElement;

function el(tag: string, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
}

function mount(): void {
  host = el("div", { class: "reel-block", id: "reel-preview", "data-reel-preview": "" });
  // No size of its own: the recording keeps a 0×0 box for it, and the page stays clickable.
  host.style.cssText = "position:fixed;top:0;left:0;width:0;height:0;overflow:visible;z-index:2147483647";
  root = host.attachShadow({ mode: "open" });
  // A constructed stylesheet and CSSOM styles only, which a site's Content-Security-Policy
  // allows where it refuses <style> elements and style attributes.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(
    `.box{position:fixed;box-sizing:border-box;border:3px solid;pointer-events:none}
.panel{position:fixed;right:12px;bottom:12px;width:360px;max-height:60vh;overflow:auto;pointer-events:auto;background:#fff;color:#111;
font:13px/1.4 system-ui,sans-serif;border:1px solid #999;border-radius:8px;box-shadow:0 4px 20px #0004;padding:10px 12px}
.panel h2{font-size:14px;margin:0 0 6px}.panel h3{font-size:12px;margin:8px 0 2px;color:#555}
.panel ul{margin:0;padding-left:16px}.panel li{word-break:break-all}.sw{display:inline-block;width:12px;height:12px;border:3px solid;margin-right:6px;vertical-align:-3px}
.err{color:#b00020;font-weight:600}code{font:12px ui-monospace,monospace;background:#f3f3f3}`,
  );
  root.adoptedStyleSheets = [sheet];
  layer = el("div");
  panel = el("div", { class: "panel", role: "dialog", "aria-label": "Reel privacy preview" });
  root.append(layer, panel);
  document.documentElement.append(host);
}

/** Walks a serialized node (snapshot or mutation add) and compares it with the live page. */
function walk(n: SNode, mirror: Mirror, parent: Element | null, counter: "snapshotNodes" | "addedNodes"): void {
  const live = mirror.getNode(n.id);
  if (live === host) return;
  sent[counter]++;
  if (n.type === 2) {
    const e = live instanceof Element ? live : null;
    const a = n.attributes || {};
    if (e && "rr_width" in a) found.blocked.add(e);
    if (e && typeof a.value === "string" && masked(a.value, (e as HTMLInputElement).value)) found.masked.add(e);
    for (const k of SCRUBBED_ATTRS) if (typeof a[k] === "string") ask(a[k] as string, e);
    if (typeof a.value === "string" && /^(input|textarea|select)$/.test(n.tagName || "")) sent.inputs.set(n.id, { label: label(n), value: a.value });
    for (const c of n.childNodes || []) walk(c, mirror, e, counter);
  } else if (n.type === 3 && typeof n.textContent === "string" && !n.isStyle && !n.textContent.includes(ASSET)) {
    if (live && parent && masked(n.textContent, live.textContent)) found.masked.add(parent);
    ask(n.textContent, parent);
  } else {
    for (const c of n.childNodes || []) walk(c, mirror, parent, counter);
  }
}

/**
 * Reports whether what was sent is the masked form of what the page shows: rrweb masks every
 * character of text (but whitespace) and of a value with `*`.
 */
function masked(sentText: string, shown: string | null | undefined): boolean {
  return typeof shown === "string" && sentText !== shown && /^[\s*]*\*[\s*]*$/.test(sentText);
}

function label(n: SNode): string {
  const a = n.attributes || {};
  return `${n.tagName}${a.id ? "#" + a.id : ""}${a.name ? `[name=${a.name}]` : ""}${a.type ? `[type=${a.type}]` : ""}`;
}

function ask(s: string, e: Element | null): void {
  if (!s.trim()) return;
  const known = answered.get(s);
  if (known) {
    if (e && Object.keys(known.kinds).length) found.scrubbed.add(e);
    return;
  }
  let set = pending.get(s);
  if (!set) pending.set(s, (set = new Set()));
  set.add(e);
}

const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** Takes one batch's JSON as the SDK cut it. */
function take(json: string): void {
  const mirror = w.reelTap?.m;
  if (!mirror) return;
  let events: Ev[];
  try {
    events = (JSON.parse(json) as { events: Ev[] }).events;
  } catch {
    return;
  }
  sent.batches++;
  for (const e of events) {
    const d = e.data;
    if (e.type === 2) {
      sent.snapshotNodes = 0;
      walk(d.node as SNode, mirror, null, "snapshotNodes");
    } else if (e.type === 3 && d.source === 0) {
      for (const a of (d.adds as { node: SNode; parentId: number }[]) || []) {
        const p = mirror.getNode(a.parentId);
        walk(a.node, mirror, p instanceof Element ? p : null, "addedNodes");
      }
      for (const t of (d.texts as { id: number; value: string | null }[]) || []) {
        const live = mirror.getNode(t.id);
        if (typeof t.value !== "string") continue;
        const p = live?.parentElement || null;
        if (live && p && masked(t.value, live.textContent)) found.masked.add(p);
        ask(t.value, p);
      }
      for (const at of (d.attributes as { id: number; attributes: Record<string, unknown> }[]) || []) {
        const live = mirror.getNode(at.id);
        const e = live instanceof Element ? live : null;
        for (const k of SCRUBBED_ATTRS) if (typeof at.attributes[k] === "string") ask(at.attributes[k] as string, e);
      }
    } else if (e.type === 3 && d.source === 5) {
      const live = mirror.getNode(d.id as number);
      const e2 = live instanceof Element ? live : null;
      const value = String(d.text ?? "");
      if (e2 && masked(value, (e2 as HTMLInputElement).value)) found.masked.add(e2);
      const prev = sent.inputs.get(d.id as number);
      sent.inputs.set(d.id as number, { label: prev?.label || (e2 ? e2.tagName.toLowerCase() + (e2.id ? "#" + e2.id : "") : `node ${d.id}`), value });
      ask(value, e2);
    } else if (e.type === 5 && d.tag === "reel.console" && d.payload) {
      const entry = { level: String(d.payload.level), text: ((d.payload.args as unknown[]) || []).map(text).join(" ") };
      sent.console.push(entry);
      ask(entry.text, null);
    } else if (e.type === 5 && d.tag === "reel.network" && d.payload) {
      const p = d.payload;
      const bodies = [p.requestBody, p.responseBody].filter((b) => b !== undefined && b !== null).map(text);
      sent.network.push({ line: `${p.method} ${p.url} → ${p.status ?? p.failure}`, bodies });
      ask(String(p.url), null);
      for (const b of bodies) ask(b, null);
    }
  }
  void scrub();
  render();
}

let asking = false;
/** Asks the server's scrubber about every string not asked yet, a few thousand at a time. */
async function scrub(): Promise<void> {
  if (asking || !pending.size) return;
  asking = true;
  try {
    while (pending.size) {
      const batch = [...pending.keys()].slice(0, 2000);
      const r = await call(batch);
      if (!r) return;
      batch.forEach((s, i) => {
        const kinds = r[i]?.kinds || {};
        answered.set(s, { kinds, scrubbed: r[i]?.scrubbed ?? s });
        const where = pending.get(s);
        pending.delete(s);
        if (!Object.keys(kinds).length) return;
        for (const [k, n] of Object.entries(kinds)) sent.kinds[k] = (sent.kinds[k] || 0) + n;
        for (const e of where || []) if (e) found.scrubbed.add(e);
      });
      render();
    }
  } finally {
    asking = false;
  }
}

/** POSTs to the scrub endpoint; on an error shows its message and stops the preview. */
async function call(strings: string[]): Promise<{ kinds: Record<string, number>; scrubbed: string }[] | null> {
  let msg = "";
  try {
    const res = await fetch(`${endpoint}/api/v1/privacy-preview/scrub`, {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ token, strings }),
      credentials: "omit",
    });
    const body = (await res.json().catch(() => ({}))) as { results?: { kinds: Record<string, number>; scrubbed: string }[]; error?: { message?: string } };
    if (res.ok && body.results) return body.results;
    msg = body.error?.message || `the Reel server answered ${res.status}`;
  } catch {
    msg = `the Reel server at ${endpoint} could not be reached`;
  }
  fail(msg);
  return null;
}

let failed = "";
function fail(msg: string): void {
  failed = msg;
  for (const k of Object.keys(found) as Kind[]) found[k].clear();
  render();
}

function box(e: Element, kind: Kind, inset: number): HTMLElement | null {
  const r = e.getBoundingClientRect();
  if (!r.width && !r.height) return null;
  const b = el("div", { class: "box", "data-kind": kind });
  b.style.cssText = `left:${r.left - inset}px;top:${r.top - inset}px;width:${r.width + 2 * inset}px;height:${r.height + 2 * inset}px;border-color:${COLORS[kind]}`;
  return b;
}

function swatch(k: Kind): HTMLElement {
  const s = el("span", { class: "sw" });
  s.style.borderColor = COLORS[k];
  return s;
}

let frame = 0;
function render(): void {
  frame ||= requestAnimationFrame(draw);
}

function draw(): void {
  frame = 0;
  // Each kind gets its own ring outside the element (3 px apart), so an element that is both
  // masked and scrubbed shows both colours.
  const boxes: HTMLElement[] = [];
  if (!failed) {
    (["masked", "blocked", "scrubbed"] as Kind[]).forEach((k, i) => {
      for (const e of found[k]) {
        if (!e.isConnected) continue;
        const b = box(e, k, 3 + 3 * i);
        if (b) boxes.push(b);
      }
    });
  }
  layer.replaceChildren(...boxes);

  const session = w.Reel?.getSessionId?.();
  const head = el("h2", {}, "Reel privacy preview");
  if (failed) {
    panel.replaceChildren(head, el("p", { class: "err", "data-testid": "preview-error" }, failed));
    return;
  }
  const legend = el(
    "ul",
    { "data-testid": "preview-legend" },
    ...(["masked", "blocked", "scrubbed"] as Kind[]).map((k) =>
      el("li", { "data-kind": k }, swatch(k), `${LABELS[k]}: ${found[k].size}`),
    ),
  );
  const list = (title: string, items: (string | Node)[], empty: string) =>
    el("div", {}, el("h3", {}, title), items.length ? el("ul", {}, ...items.slice(-30).map((i) => el("li", {}, i))) : el("p", {}, empty));
  const kinds = Object.entries(sent.kinds).map(([k, n]) => `${k} ×${n}`);
  // What the server keeps of a string the scrubber changes.
  const stored = (t: string) => {
    const a = answered.get(t);
    return a && Object.keys(a.kinds).length ? [el("div", { class: "stored" }, "stored as ", el("code", {}, a.scrubbed.slice(0, 300)))] : [];
  };
  panel.replaceChildren(
    head,
    el(
      "p",
      { "data-testid": "preview-status" },
      session ? `Recording session ${session}; ${sent.batches} batch${sent.batches === 1 ? "" : "es"} cut so far.` : "Reel is not recording this page (consent not given, a Global Privacy Control or Do Not Track signal, sampling, or not started yet).",
    ),
    legend,
    el(
      "div",
      { "data-testid": "preview-listing" },
      el("h3", {}, "What is sent"),
      el("p", {}, `DOM: ${sent.snapshotNodes} nodes in the last snapshot, ${sent.addedNodes} added since`),
      list("Inputs (as sent)", [...sent.inputs.values()].map((i) => el("span", {}, el("code", {}, i.label), " → ", el("code", {}, JSON.stringify(i.value)))), "none"),
      list("Console", sent.console.map((c) => el("span", {}, `${c.level}: ${c.text.slice(0, 200)}`, ...stored(c.text))), "none"),
      list(
        "Network",
        sent.network.map((n) => el("span", {}, n.line, ...n.bodies.map((b) => el("div", {}, el("code", {}, b.slice(0, 300)), ...stored(b))))),
        "none",
      ),
      el("h3", {}, "Scrubbed by the server"),
      el("p", { "data-testid": "preview-kinds" }, kinds.length ? kinds.join(", ") : "nothing so far"),
    ),
  );
}

async function start(): Promise<void> {
  const tap = w.reelTap;
  if (!tap || !endpoint) return;
  mount();
  if (!token || !(await call([]))) {
    if (!token) fail("this page has no preview token");
    return;
  }
  for (const json of tap.splice(0)) take(json);
  tap.push = (...items: string[]) => {
    for (const j of items) take(j);
    return 0;
  };
  addEventListener("scroll", render, { passive: true, capture: true });
  addEventListener("resize", render);
  // Show the page at once rather than after the SDK's next cut (every 5 s by default).
  void w.Reel?.flush?.();
  render();
}

void start();
