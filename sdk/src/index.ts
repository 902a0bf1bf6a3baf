import { record } from "rrweb";
import { BLOCK_CLASS, IGNORE_CLASS, MASK_CLASS, inputMasking } from "./privacy";
import { Batcher, Sender } from "./queue";
import { Sessions, Tab } from "./session";
import { BatchStore, openStorage } from "./storage";
import { compressionSupported } from "./transport";
import { EventType, PROTOCOL_VERSION, type Batch, type BatchMeta, type WireEvent } from "./wire";

declare const __REEL_VERSION__: string;

/** The SDK's version, as sent in every batch's `meta.sdk` (`reel-js/<version>`). */
export const version: string = __REEL_VERSION__;

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
   * Mask the value of every form field (the default). With false, only sensitive fields are
   * masked: passwords, emails, phone numbers, card data and anything inside `.reel-mask`.
   */
  maskAllInputs?: boolean;
  /** A new full snapshot is taken this often, so that replay can start anywhere in a session. */
  checkoutEveryNms?: number;
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

// rrweb IncrementalSource values that mean a person did something (mouse, scroll, resize,
// input, touch, media, drag, selection), as opposed to the page changing by itself.
const ACTIVITY_SOURCES = new Set([1, 2, 3, 4, 5, 6, 7, 12, 14]);

interface Running {
  sessions: Sessions;
  session: string;
  tab: Tab;
  store: BatchStore;
  batcher: Batcher;
  sender: Sender;
  stopRecording?: () => void;
  teardown: (() => void)[];
}

let state: Running | null = null;

/** Starts recording this page and sending what is recorded. A second call is ignored. */
export function init(options: ReelOptions): void {
  if (state) return;
  if (!options || typeof options.key !== "string" || options.key === "") {
    console.warn("Reel: init needs { key }");
    return;
  }
  if (!compressionSupported()) {
    console.warn("Reel: this browser lacks CompressionStream; not recording");
    return;
  }
  const endpoint = (options.endpoint || scriptOrigin || location.origin).replace(/\/+$/, "");
  const url = `${endpoint}/api/v1/ingest?v=${PROTOCOL_VERSION}&key=${encodeURIComponent(options.key)}`;
  const local = openStorage("localStorage");
  const store = new BatchStore(local, MAX_STORED_CHARS);
  const sessions = new Sessions(local);
  const tab = new Tab(openStorage("sessionStorage"));

  const s: Running = {
    sessions,
    session: sessions.touch(Date.now()),
    tab,
    store,
    batcher: new Batcher(options.maxBatchBytes ?? 512 * 1024, (events) => cut(s, events)),
    sender: new Sender(url, store, () => {
      console.warn("Reel: the server refused this key or origin; recording stopped");
      shutdown(false);
    }),
    teardown: [],
  };
  state = s;

  // Batches that earlier pages cut but could not deliver (navigation, closed tab, outage).
  for (const b of store.all()) s.sender.enqueue(b);

  const timer = setInterval(() => s.batcher.cut(), options.flushIntervalMs ?? 5000);
  s.teardown.push(() => clearInterval(timer));
  listen(s, document, "visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      s.batcher.cut();
      s.sender.sendAllNow(false);
    } else {
      activity(s, Date.now());
    }
  });
  listen(s, window, "pagehide", () => {
    s.batcher.cut();
    s.tab.release();
    s.sender.sendAllNow(true);
  });
  listen(s, window, "pageshow", (e) => {
    if (!(e as PageTransitionEvent).persisted) return;
    // Back from the back/forward cache: other pages of this tab ran meanwhile, so the replay
    // of this tab needs a fresh snapshot of this page.
    s.tab.reclaim();
    s.sessions.touch(Date.now());
    restart(s, s.sessions.id);
  });

  const masking = inputMasking(options.maskAllInputs ?? true);
  s.stopRecording = record({
    emit: (e, isCheckout) => onEvent(s, e as unknown as WireEvent, isCheckout),
    checkoutEveryNms: options.checkoutEveryNms ?? 5 * 60 * 1000,
    blockClass: BLOCK_CLASS,
    ignoreClass: IGNORE_CLASS,
    maskTextClass: MASK_CLASS,
    maskInputOptions: masking.maskInputOptions,
    maskInputFn: masking.maskInputFn,
    inlineStylesheet: true,
    slimDOMOptions: true,
    // A failure inside the recorder must never break the host page.
    errorHandler: () => true,
  });
}

/** Stops recording; what was recorded so far is still sent. */
export function stop(): void {
  shutdown(true);
}

/** The current session id, or null when not recording. */
export function getSessionId(): string | null {
  return state ? state.session : null;
}

/**
 * Cuts what is buffered into a batch and resolves once every batch is delivered, refused, or
 * given up on for this page (it then stays stored for the next page load).
 */
export function flush(): Promise<void> {
  if (!state) return Promise.resolve();
  state.batcher.cut();
  return state.sender.idle();
}

function shutdown(deliver: boolean): void {
  const s = state;
  if (!s) return;
  state = null;
  s.stopRecording?.();
  for (const f of s.teardown) f();
  if (deliver) {
    s.batcher.cut();
    s.sender.sendAllNow(false);
  } else {
    s.sender.stop();
  }
  s.tab.release();
}

function listen(s: Running, target: EventTarget, type: string, fn: (e: Event) => void): void {
  target.addEventListener(type, fn, { capture: true });
  s.teardown.push(() => target.removeEventListener(type, fn, { capture: true }));
}

function onEvent(s: Running, e: WireEvent, isCheckout?: boolean): void {
  try {
    if (e.type === EventType.IncrementalSnapshot && ACTIVITY_SOURCES.has(e.data.source as number)) {
      // The triggering event is dropped when it opens a new session: the snapshot taken
      // instead shows its outcome, and the new session must begin with a snapshot.
      if (activity(s, e.timestamp)) return;
    }
    // Start each periodic checkout in a batch of its own, so replay can seek to it directly.
    if (isCheckout && e.type === EventType.Meta) s.batcher.cut();
    s.batcher.push(JSON.stringify(e));
  } catch {
    // One event that cannot be serialized must not stop the recording.
  }
}

/** Notes user activity; reports whether it moved this tab into a new session. */
function activity(s: Running, now: number): boolean {
  const id = s.sessions.touch(now);
  if (id === s.session) return false;
  restart(s, id);
  return true;
}

function restart(s: Running, session: string): void {
  s.batcher.cut();
  s.session = session;
  try {
    record.takeFullSnapshot();
  } catch {
    // Not recording yet: the first snapshot is still to come and will open the session.
  }
}

function cut(s: Running, events: string[]): void {
  const seq = s.tab.nextSeq++;
  const header: Omit<Batch, "events" | "sentAt"> = { session: s.session, tab: s.tab.id, seq, meta: meta() };
  // Events are already JSON; splice them in rather than parse and serialize them again.
  const json = `${JSON.stringify(header).slice(0, -1)},"events":[${events.join(",")}]}`;
  const b = { key: BatchStore.key(Date.now(), s.tab.id, seq), json };
  s.store.put(b);
  s.sender.enqueue(b);
}

function meta(): BatchMeta {
  return {
    sdk: `reel-js/${version}`,
    url: location.href,
    userAgent: navigator.userAgent,
    language: navigator.language,
    screen: { width: screen.width, height: screen.height },
  };
}
