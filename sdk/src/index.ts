import { record } from "rrweb";
import { Assets, ASSET_MIN } from "./assets";
import type { CanvasHook } from "./canvas";
import { captureConsole } from "./console";
import { writtenStylesheets } from "./css";
import { emit, setSink } from "./custom";
import { captureErrors } from "./errors";
import { captureHeat } from "./heat";
import { whenIdle } from "./idle";
import { captureNetwork, type NetworkOptions } from "./network";
import { captureNavigation, capturePage } from "./page";
import { BLOCK_CLASS, EDITABLE, IGNORE_CLASS, MASK_CLASS, inputMasking, typedOnly } from "./privacy";
import { Batcher, Sender } from "./queue";
import { Sessions, Tab } from "./session";
import { BatchStore, CutBatch, openStorage, type KV } from "./storage";
import { prepare } from "./encode";
import { compressionSupported, fetchConfig } from "./transport";
import { EventType, PROTOCOL_VERSION, type Batch, type BatchMeta, type WireEvent } from "./wire";

declare const __REEL_VERSION__: string;

/** The SDK's version, as sent in every batch's `meta.sdk` (`reel-js/<version>`). */
export const version: string = __REEL_VERSION__;

export type { NetworkOptions };

export interface ReelOptions {
  /** The project's public ingest key (`pk_…`). */
  key: string;
  /** Origin (and optional path prefix) of the Reel server; defaults to where this script came from. */
  endpoint?: string;
  /** How often buffered events are cut into a batch and sent. */
  flushIntervalMs?: number;
  /** A batch is cut before its JSON would grow past this many bytes (estimated as characters). */
  maxBatchBytes?: number;
  /**
   * Mask the value of every form field and the text of every contenteditable (the default).
   * With false, only sensitive fields are masked: passwords, emails, phone numbers, card data
   * and anything inside `.reel-mask`.
   */
  maskAllInputs?: boolean;
  /**
   * With maskAllInputs off, fields of these kinds stay masked unless set to false (passwords
   * and other credentials always are).
   */
  maskEmailInputs?: boolean;
  maskTelInputs?: boolean;
  maskCardInputs?: boolean;
  /**
   * Rich-text editors (contenteditable) while maskAllInputs is on: "all" masks their whole text
   * (the default); "typed" records the text the page put there until the visitor types into
   * an editor, and masks that editor's text from then on.
   */
  maskEditable?: "all" | "typed";
  /** Mask every text node of the page, not only form fields. */
  maskAllText?: boolean;
  /** Extra CSS selectors whose text is masked / which are blocked (replaced by a box). */
  maskSelector?: string;
  blockSelector?: string;
  /** A new full snapshot is taken this often, so that replay can start anywhere in a session. */
  checkoutEveryNms?: number;
  /** Record canvas elements (2D and WebGL) as image frames (default true), at canvasFps (default 2). */
  recordCanvas?: boolean;
  canvasFps?: number;
  /** Record console calls (default true). */
  console?: boolean;
  /** Record uncaught errors and unhandled rejections (default true). */
  errors?: boolean;
  /** Record fetch/XHR calls (default true); an object allows headers and bodies for some URLs. */
  network?: boolean | NetworkOptions;
  /** Record SPA navigation, page visibility, web vitals and heatmap clicks and scroll depth (default true). */
  page?: boolean;
  /** Share of sessions recorded, 0–1 (default 1); decided once per session and kept. */
  sampleRate?: number;
  /** Nothing is uploaded until the session is this old (default 0). */
  minDurationMs?: number;
  /** Record nothing until `Reel.consent(true)`; the answer is remembered for the site. */
  requireConsent?: boolean;
  /**
   * Honour Global Privacy Control and Do Not Track (default true): a visitor whose browser
   * sends either signal is not recorded at all.
   */
  privacySignals?: boolean;
  /** Fetch the project's configuration from the server on start (default true). */
  remoteConfig?: boolean;
}

// The script's own origin is only knowable while it is being evaluated.
const scriptOrigin = (() => {
  try {
    const s = document.currentScript as HTMLScriptElement | null;
    return s?.src ? new URL(s.src).origin : "";
  } catch {
    return "";
  }
})();

/** 4 MiB of characters: most browsers give an origin 5 M characters of localStorage. */
const MAX_STORED_CHARS = 4 * 1024 * 1024;
/** One event larger than this (after assets are taken out) is dropped and reported. */
const MAX_EVENT_CHARS = 2 * 1024 * 1024;
/** Mutation bytes per second beyond which a storm is declared and mutations are paused. */
const STORM_CHARS_PER_SEC = 1024 * 1024;
/** A page being left cuts what it holds into batches of at most this many bytes of JSON. */
const LEAVE_PART = 64 * 1024;
const CONSENT_KEY = "reel:consent";
const CONFIG_KEY = "reel:config";

// rrweb IncrementalSource values that mean a person did something (mouse, scroll, resize,
// input, touch, media, drag, selection: 1–7, 12 and 14), as opposed to the page changing by
// itself, as bits of one number (rrweb's sources stop at 16).
const ACTIVITY_SOURCES = 0b101000011111110;
/**
 * A field's typed value is sent at most this often (rrweb's Input events, source 5): the
 * replay follows typing within it, and a masked field's growing row of asterisks does not
 * record the moment of every keystroke.
 */
const INPUT_MS = 250;

interface Running {
  endpoint: string;
  sessions: Sessions;
  session: string;
  tab: Tab;
  store: BatchStore;
  assets: Assets;
  batcher: Batcher;
  sender: Sender;
  stopRecording?: () => void;
  teardown: (() => void)[];
  /** Mutation storm accounting: bytes in the current second, and what was dropped. */
  second: number;
  secondChars: number;
  storm: null | { since: number; events: number; chars: number; snapshotAt: number };
  lastRepair: number;
  /** Canvas frames per second, 0 when canvases are not recorded. */
  canvasFps: number;
  /** Selector of blocked elements. */
  block: string;
}

let state: Running | null = null;
let starting = false;
let lastOptions: ReelOptions | null = null;
/** The latest Input event of each field not sent yet, by node id, and the timer sending them. */
let held: Record<number, WireEvent> = {};
let heldTimer = 0;

const local = (): KV => openStorage("localStorage");

/** The visitor's browser asks not to be tracked: Global Privacy Control or Do Not Track. */
const signalled = () => (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true || navigator.doNotTrack === "1";

/**
 * The privacy preview (docs/player.md): a page opened with `reel_preview=<token>` loads the
 * overlay from the Reel server. It finds each cut batch's JSON in `reelTap` (an array until the
 * overlay takes it over) and rrweb's mirror in `reelTap.m`, to map what was sent to the page.
 */
function preview(endpoint: string): void {
  const w = window as unknown as { reelTap?: unknown[] & { m?: unknown } };
  if (w.reelTap || !/[?&#]reel_preview=/.test(location.href)) return;
  w.reelTap = Object.assign([], { m: record.mirror });
  const el = document.createElement("script");
  el.src = `${endpoint}/sdk/reel-preview.js`;
  document.head.append(el);
}

/**
 * Starts recording this page and sending what is recorded. A second call is ignored. Never
 * throws; problems are reported with console.warn.
 */
export function init(options: ReelOptions): void {
  try {
    if (state || starting) return;
    if (!options || typeof options.key !== "string" || options.key === "") {
      console.warn("Reel: init needs { key }");
      return;
    }
    lastOptions = options;
    preview(endpointOf(options));
    if (!compressionSupported()) {
      console.warn("Reel: no CompressionStream, not recording");
      return;
    }
    const kv = local();
    if ((options.requireConsent && kv.get(CONSENT_KEY) !== "1") || (options.privacySignals && signalled())) return;
    if (options.remoteConfig === false) return begin(options);
    const endpoint = endpointOf(options);
    const url = `${endpoint}/api/v1/sdk-config?v=${PROTOCOL_VERSION}&key=${encodeURIComponent(options.key)}`;
    // The last configuration this site received starts the page at once; a fresh copy is
    // fetched every time, for the next page. Without a cached copy, wait for it (briefly).
    const cachedRaw = kv.get(CONFIG_KEY);
    let cached: Record<string, unknown> | null = null;
    try {
      cached = cachedRaw ? (JSON.parse(cachedRaw) as Record<string, unknown>) : null;
    } catch {
      cached = null;
    }
    starting = true;
    if (cached) begin(merge(cached, options));
    void fetchConfig(url, 3000).then((remote) => {
      if (remote) kv.set(CONFIG_KEY, JSON.stringify(remote));
      if (!cached && starting && lastOptions === options) begin(merge(remote || {}, options));
      starting = false;
    });
  } catch {
    starting = false;
  }
}

/** Options set in Reel.init win over the server's; the server's win over defaults. */
function merge(remote: Record<string, unknown>, local: ReelOptions): ReelOptions {
  const out: Record<string, unknown> = { ...remote };
  for (const [k, v] of Object.entries(local)) if (v !== undefined) out[k] = v;
  // Never let the server redirect the data or change the key.
  out.key = local.key;
  out.endpoint = local.endpoint;
  return out as unknown as ReelOptions;
}

function endpointOf(o: ReelOptions): string {
  return (o.endpoint || scriptOrigin || location.origin).replace(/\/+$/, "");
}

function begin(options: ReelOptions): void {
  // Unless the site or the project turned it off, a signal means nothing is recorded; with the
  // option unset, the project's configuration (which may turn it off) was awaited first.
  if (state || (options.privacySignals !== false && signalled())) return;
  const endpoint = endpointOf(options);
  const url = `${endpoint}/api/v1/ingest?v=${PROTOCOL_VERSION}&key=${encodeURIComponent(options.key)}`;
  const kv = local();
  const sessions = new Sessions(kv, typeof options.sampleRate === "number" ? options.sampleRate : 1);
  const session = sessions.touch(Date.now());
  if (!sessions.sampled) return;
  const store = new BatchStore(kv, MAX_STORED_CHARS);
  const assets = new Assets(kv);
  const minDuration = options.minDurationMs ?? 0;

  const s: Running = {
    endpoint,
    sessions,
    session,
    tab: new Tab(openStorage("sessionStorage")),
    store,
    assets,
    batcher: new Batcher(options.maxBatchBytes ?? 512 * 1024, (events, a) => cut(s, events, a), () => release(s)),
    sender: new Sender(url, store, {
      rejected: () => {
        console.warn("Reel: key or origin refused, stopped");
        shutdown(false);
      },
      delivered: (b) => b.assets && assets.mark(b.assets, true),
      // The server erased this session: what the page records next goes into a new one. Older
      // batches of the same session answered the same way change nothing more (the batch names
      // its session; ids are random, so finding the id in it is enough).
      erased: (b) => {
        if (b.json.includes(s.session)) {
          sessions.end();
          activity(s, Date.now());
        }
      },
      missing: (b, hashes) => {
        assets.mark(hashes, false);
        const batch = JSON.parse(b.json) as Batch & { assets?: Record<string, string> };
        batch.assets = batch.assets || {};
        for (const h of hashes) {
          const t = assets.text(h);
          if (t === undefined) return null;
          batch.assets[h] = t;
        }
        b.assets = Object.keys(batch.assets);
        return JSON.stringify(batch);
      },
      evicted: (n) => emit("reel.health", { kind: "queue-full", detail: { batches: n } }),
      hold: () => Date.now() - sessions.start < minDuration,
    }),
    teardown: [],
    second: 0,
    secondChars: 0,
    storm: null,
    lastRepair: 0,
    canvasFps: options.recordCanvas === false ? 0 : options.canvasFps ?? 2,
    block: [`.${BLOCK_CLASS}`, options.blockSelector].filter(Boolean).join(),
  };
  state = s;
  setSink((e) => onEvent(s, e as unknown as WireEvent));
  for (const _ in flags) {
    emit("reel.flags", { flags: { ...flags } });
    break;
  }

  // Batches that earlier pages cut but could not deliver (navigation, closed tab, outage).
  for (const b of store.all()) s.sender.enqueue(b);

  const timer = setInterval(() => tick(s), options.flushIntervalMs ?? 5000);
  s.teardown.push(() => clearInterval(timer));
  const on = (t: EventTarget, type: string, fn: (e: Event) => void) => listen(s, t, type, fn);
  // Hidden (the visitor switched away; a phone may freeze or kill the page without another
  // event) or left: what is buffered leaves now, in parts that each fit the keepalive quota,
  // compressed synchronously (docs/wire-format.md#leaving-the-page).
  const leave = (final: boolean) => {
    s.batcher.cut(LEAVE_PART);
    s.store.save();
    if (final) s.tab.release();
    s.sender.leave(final);
  };
  on(document, "visibilitychange", () => {
    if (document.visibilityState === "hidden") leave(false);
    else activity(s, Date.now());
  });
  // Leaving the page: send while the page still runs (the old page lives until the next one
  // commits), so that pagehide has little left to send.
  on(window, "beforeunload", () => leave(false));
  on(window, "pagehide", () => leave(true));
  on(window, "online", () => s.sender.retryNow());
  on(window, "pageshow", (e) => {
    if (!(e as PageTransitionEvent).persisted) return;
    // Back from the back/forward cache: other pages of this tab ran meanwhile, so the replay
    // of this tab needs a fresh snapshot of this page.
    s.tab.reclaim();
    s.sessions.touch(Date.now());
    restart(s, s.sessions.id);
  });

  const skip = (u: string) => u.startsWith(`${endpoint}/api/v1/`);
  const guard = (f: () => (() => void) | void) => {
    try {
      const undo = f();
      if (undo) s.teardown.push(undo);
    } catch {
      // A capture that cannot install (locked-down page) leaves the others working.
    }
  };
  if (options.console !== false) guard(captureConsole);
  if (options.errors !== false) guard(() => captureErrors(on));
  if (options.network !== false) guard(() => captureNetwork(typeof options.network === "object" ? options.network : {}, skip));
  if (options.page !== false) {
    guard(() => captureNavigation(on));
    guard(() => capturePage(on));
    guard(() => captureHeat(on, s.block));
  }

  const masking = inputMasking(options.maskAllInputs ?? true, {
    email: options.maskEmailInputs !== false,
    tel: options.maskTelInputs !== false,
    card: options.maskCardInputs !== false,
  });
  const maskText = [options.maskAllText ? "*" : "", options.maskAllInputs === false ? "" : EDITABLE, options.maskSelector || ""].filter(Boolean).join(",");
  const typed = options.maskAllInputs !== false && options.maskEditable === "typed" ? typedOnly([options.maskAllText ? "*" : "", `.${MASK_CLASS}`, options.maskSelector || ""].filter(Boolean).join(",")) : null;
  if (typed) on(document, "beforeinput", typed.onInput);
  guard(() => {
    s.stopRecording = record({
      emit: (e, isCheckout) => onEvent(s, e as unknown as WireEvent, isCheckout),
      checkoutEveryNms: options.checkoutEveryNms ?? 5 * 60 * 1000,
      blockClass: BLOCK_CLASS,
      blockSelector: options.blockSelector || undefined,
      ignoreClass: IGNORE_CLASS,
      maskTextClass: MASK_CLASS,
      maskTextSelector: maskText || undefined,
      maskInputOptions: masking.maskInputOptions,
      maskInputFn: masking.maskInputFn,
      maskTextFn: typed?.maskTextFn,
      inlineStylesheet: true,
      slimDOMOptions: true,
      // Canvases are recorded by reel-canvas.js, loaded only once the page has one (canvas()).
      recordCanvas: false,
      // Scroll positions at most every 150 ms per element, each with its final position
      // (rrweb-tree-shake.mjs gives every element a throttle of its own). Input stays rrweb's default (every input event,
      // thinned by hold): "last" records a field only on change, when it loses focus, so a
      // search box typed into stayed empty in the replay.
      sampling: { scroll: 150 },
      // The first snapshot once the document is parsed, not at the load event (rrweb's
      // default): a visitor who clicks before the last image arrives and leaves would
      // otherwise not be recorded on that page at all. A stylesheet still loading then is
      // sent when it arrives (rrweb-snapshot's onStylesheetLoad).
      recordAfter: "DOMContentLoaded",
      // A failure inside the recorder must never break the host page.
      errorHandler: () => true,
    });
  });
  whenIdle(prepare, 2000);
}

/** Stops recording; what was recorded so far is still sent. */
export function stop(): void {
  try {
    starting = false;
    shutdown(true);
  } catch {
    // never into the page
  }
}

/** Starts recording again after stop(), with the options of the last init. */
export function start(): void {
  if (lastOptions) init(lastOptions);
}

/**
 * Grants (true) or withdraws (false) consent to record; remembered for the site. Withdrawing
 * stops recording and deletes what was not yet sent.
 */
export function consent(granted: boolean): void {
  try {
    local().set(CONSENT_KEY, granted ? "1" : "0");
    if (granted) return start();
    const s = state;
    shutdown(false);
    (s ? s.store : new BatchStore(local(), MAX_STORED_CHARS)).clear();
  } catch {
    // never into the page
  }
}

/** Links the session to a user of the site; the server indexes userId for search and erasure. */
export function identify(userId: string, traits?: Record<string, unknown>): void {
  emit("reel.identify", { userId: String(userId), traits: traits || {} });
}

/** Records a named event of the site's own. */
export function track(name: string, props?: Record<string, unknown>): void {
  emit("reel.track", { name: String(name), props: props || {} });
}

let flags: Record<string, string> = {};

/**
 * Puts feature flag variants on the session ({checkout: "b"}): merged with those set before,
 * recorded as a `reel.flags` event now and again when recording starts, so each change is in
 * the session with its time. The server indexes every variant (search `flag.<name>:<variant>`).
 */
export function setFlags(f: Record<string, unknown>): void {
  for (const k in f) flags[k] = String(f[k]);
  emit("reel.flags", { flags: { ...flags } });
}

/** The current session id, or null when not recording. */
export function getSessionId(): string | null {
  return state ? state.session : null;
}

/** A dashboard link to this session at this moment (for error trackers and support tools). */
export function getSessionURL(): string | null {
  const s = state;
  if (!s) return null;
  return `${s.endpoint}/sessions/${s.session}?t=${Math.max(0, Date.now() - s.sessions.start)}`;
}

/**
 * Cuts what is buffered into a batch and resolves once every batch is delivered, refused, or
 * has failed 8 times in a row (it is still retried, and stays stored for the next page load).
 */
export function flush(): Promise<void> {
  try {
    if (!state) return Promise.resolve();
    state.batcher.cut();
    return state.sender.idle();
  } catch {
    return Promise.resolve();
  }
}

function shutdown(deliver: boolean): void {
  const s = state;
  if (!s) return;
  state = null;
  setSink(null);
  try {
    s.stopRecording?.();
  } catch {
    // ignore
  }
  for (const f of s.teardown) f();
  const w = window as unknown as { reelCanvas?: CanvasHook };
  w.reelCanvas?.s?.();
  delete w.reelCanvas;
  if (deliver) {
    // The sender goes on delivering what is cut (it keeps no listener: stop() is rare).
    s.batcher.cut();
  } else {
    // Values held back are dropped with the rest (consent withdrawn, key refused).
    clearTimeout(heldTimer);
    held = {};
    s.sender.stop();
  }
  s.tab.release();
}

function listen(s: Running, target: EventTarget, type: string, fn: (e: Event) => void): void {
  const safe = (e: Event) => {
    try {
      fn(e);
    } catch {
      // never into the page
    }
  };
  target.addEventListener(type, safe, { capture: true });
  s.teardown.push(() => target.removeEventListener(type, safe, { capture: true }));
}

function tick(s: Running): void {
  const st = s.storm;
  if (st && Date.now() - s.second > 1000) {
    // The storm is over (a quiet second), or has gone on for a while: show where the page is.
    endStorm(s);
  } else if (st && Date.now() - st.snapshotAt > 10000) {
    st.snapshotAt = Date.now();
    snapshot();
  }
  s.batcher.cut();
}

function endStorm(s: Running): void {
  const st = s.storm;
  if (!st) return;
  s.storm = null;
  emit("reel.health", { kind: "mutation-storm", detail: { droppedEvents: st.events, droppedBytes: st.chars, ms: Date.now() - st.since } });
  snapshot();
}

function snapshot(): void {
  try {
    record.takeFullSnapshot();
  } catch {
    // Not recording yet: the first snapshot is still to come.
  }
}

/** Takes one event from rrweb or Reel; isCheckout is also true for a typed value released by hold. */
function onEvent(s: Running, e: WireEvent, isCheckout?: boolean): void {
  try {
    const now = Date.now();
    if (e.type === EventType.IncrementalSnapshot) {
      const source = e.data.source as number;
      if (source === 5 && !isCheckout) return hold(s, e);
      if ((ACTIVITY_SOURCES >> source) & 1) {
        // The triggering event is dropped when it opens a new session: the snapshot taken
        // instead shows its outcome, and the new session must begin with a snapshot.
        if (activity(s, e.timestamp)) return;
      }
    }
    canvas(s, e);
    if (e.type === EventType.FullSnapshot) setTimeout(writtenStylesheets, 0);
    let json = JSON.stringify(e);
    const assets: Record<string, string> = {};
    // rrweb keeps parts of its events (the snapshot's nodes are its mirror's records), so
    // large strings are replaced in a copy, made only when there is one. Canvas frames are not
    // assets: each differs from the last, and hashing them cost more than recording them.
    if (json.length >= ASSET_MIN && !(e.type === EventType.IncrementalSnapshot && e.data.source === 9) && s.assets.extract(e)) {
      const copy = JSON.parse(json) as unknown;
      s.assets.extract(copy, assets);
      json = JSON.stringify(copy);
    }
    if (e.type === EventType.IncrementalSnapshot && e.data.source === 0) {
      // Byte budget for mutations: past STORM_CHARS_PER_SEC they are paused (counted, not
      // sent) until a quiet second, then a full snapshot shows the result.
      if (now - s.second > 1000) {
        s.second = now;
        s.secondChars = 0;
      }
      s.secondChars += json.length;
      if (s.storm) {
        s.storm.events++;
        s.storm.chars += json.length;
        return;
      }
      if (s.secondChars > STORM_CHARS_PER_SEC) {
        s.storm = { since: now, events: 1, chars: json.length, snapshotAt: now };
        return;
      }
    }
    if (json.length > MAX_EVENT_CHARS) {
      emit("reel.health", { kind: "event-too-large", detail: { type: e.type, source: e.data.source, bytes: json.length } });
      // A mutation too large to send leaves the replay behind the page; a fresh snapshot
      // catches it up (at most every 10 s, and never for a snapshot itself).
      if (e.type === EventType.IncrementalSnapshot && now - s.lastRepair > 10000) {
        s.lastRepair = now;
        setTimeout(snapshot, 0);
      }
      return;
    }
    // Start each periodic checkout in a batch of its own, so replay can seek to it directly.
    if (isCheckout && e.type === EventType.Meta) s.batcher.cut();
    s.batcher.push(json, assets);
  } catch {
    // One event that cannot be serialized must not stop the recording.
  }
}

/**
 * Loads the canvas recorder (reel-canvas.js) from the Reel server the first time the page has
 * a canvas: in a full snapshot (one look at the document) or among the nodes a mutation adds
 * (rrweb lists each added node; counting the page's canvases after every mutation would walk
 * the whole document each time). A new full snapshot renumbers nodes, so the recorder then
 * sends every canvas again.
 */
function canvas(s: Running, e: WireEvent): void {
  const w = window as unknown as { reelCanvas?: CanvasHook };
  const full = e.type === EventType.FullSnapshot;
  if (w.reelCanvas) {
    if (full) w.reelCanvas.r?.();
  } else if (
    s.canvasFps &&
    (full
      ? document.getElementsByTagName("canvas").length
      : e.type === EventType.IncrementalSnapshot && e.data.source === 0 && (e.data.adds as { node: { tagName?: string } }[]).some((a) => a.node.tagName === "canvas"))
  ) {
    w.reelCanvas = { m: record.mirror, e: (data, at) => onEvent(s, { type: EventType.IncrementalSnapshot, timestamp: at || Date.now(), data }), f: s.canvasFps, b: s.block };
    const el = document.createElement("script");
    el.src = `${s.endpoint}/sdk/reel-canvas.js`;
    document.head.append(el);
  }
}

/** Keeps a field's new value until the next INPUT_MS tick; a newer value replaces it. */
function hold(s: Running, e: WireEvent): void {
  held[e.data.id as number] = e;
  heldTimer ||= setTimeout(release, INPUT_MS, s);
}

/**
 * Sends the values held, stamped now: the field holds that value now (a later one would have
 * replaced it), and the stream stays in time order. Runs before every cut, so a page being
 * left or flushed sends what was typed last.
 */
function release(s: Running): void {
  clearTimeout(heldTimer);
  heldTimer = 0;
  const h = held;
  held = {};
  for (const id in h) {
    h[id].timestamp = Date.now();
    onEvent(s, h[id], true);
  }
}

/** Notes user activity; reports whether it moved this tab into a new session. */
function activity(s: Running, now: number): boolean {
  const id = s.sessions.touch(now);
  if (id === s.session) return false;
  if (!s.sessions.sampled) {
    shutdown(true);
    return true;
  }
  restart(s, id);
  return true;
}

function restart(s: Running, session: string): void {
  s.batcher.cut();
  s.session = session;
  snapshot();
}

function cut(s: Running, events: string[], assets: Record<string, string>): void {
  const seq = s.tab.nextSeq++;
  const hashes = Object.keys(assets);
  const header: Omit<Batch, "events" | "sentAt"> & { assets?: Record<string, string> } = { session: s.session, tab: s.tab.id, seq, meta: meta() };
  if (hashes.length) header.assets = assets;
  // Events are already JSON; they are spliced in rather than parsed and serialized again, by
  // the encoding worker (CutBatch).
  const b = new CutBatch(BatchStore.key(Date.now(), s.tab.id, seq), `${JSON.stringify(header).slice(0, -1)},"events":[`, events, hashes);
  // Noted as acknowledged at once, for the site's next pages: a page may not live to see the
  // answer. Wrong only if this batch never arrives; the server then answers 409 for a later
  // batch, whose page has the text, and it is sent again.
  s.assets.mark(hashes, true);
  s.store.later(b);
  s.sender.enqueue(b);
  (window as unknown as { reelTap?: string[] }).reelTap?.push(b.json);
}

function meta(): BatchMeta {
  return {
    sdk: `reel-js/${version}`,
    url: location.href,
    userAgent: navigator.userAgent,
    language: navigator.language,
    screen: { width: screen.width, height: screen.height },
    referrer: document.referrer,
  };
}
