import type { BatchStore, StoredBatch } from "./storage";
import { send, sendFinal, type Outcome } from "./transport";

/**
 * Batcher buffers serialized events and cuts them into a batch when the buffer would pass
 * `maxBytes`, or when asked (on the flush timer, on page hide). Each event is serialized
 * once, when it is recorded, so the size estimate is exact and the batch JSON is a join.
 */
export class Batcher {
  #events: string[] = [];
  #assets: Record<string, string> = {};
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #onCut: (events: string[], assets: Record<string, string>) => void;
  readonly #beforeCut: () => void;

  /** beforeCut runs at the start of every cut, to push what is held back (typed values). */
  constructor(maxBytes: number, onCut: (events: string[], assets: Record<string, string>) => void, beforeCut: () => void) {
    this.#maxBytes = maxBytes;
    this.#onCut = onCut;
    this.#beforeCut = beforeCut;
  }

  /** Adds one event's JSON and the assets it brings (text not yet sent by this page). */
  push(eventJson: string, assets?: Record<string, string>): void {
    let n = eventJson.length + 1;
    for (const h in assets) n += assets[h].length + 70;
    if (this.#events.length > 0 && this.#bytes + n > this.#maxBytes) this.cut();
    this.#events.push(eventJson);
    Object.assign(this.#assets, assets);
    this.#bytes += n;
    if (this.#bytes >= this.#maxBytes) this.cut();
  }

  cut(): void {
    this.#beforeCut();
    if (this.#events.length === 0) return;
    const events = this.#events;
    const assets = this.#assets;
    this.#events = [];
    this.#assets = {};
    this.#bytes = 0;
    this.#onCut(events, assets);
  }
}

/** After this many failed attempts in a row, flush() stops waiting for a batch (it keeps trying). */
const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 60000;
/** Beyond this much unsent JSON in memory the oldest batches wait in storage for a later page. */
const MAX_QUEUE_CHARS = 16 * 1024 * 1024;

interface Item extends StoredBatch {
  attempts: number;
  notBefore: number;
  /** Attempts in flight; the final send at page hide may overlap an ordinary one. */
  busy: number;
  /** A compressed keepalive request for it has started (it survives the page). */
  flying?: boolean;
}

export interface SenderHooks {
  /** 401/403: the key or origin will never be accepted. */
  rejected(): void;
  /** 410: the batch's session was erased on the server (the batch is dropped). */
  erased(b: StoredBatch): void;
  /** The server stored this batch. */
  delivered(b: StoredBatch): void;
  /**
   * The server lacks these assets (409 missing_content): returns the batch JSON with them
   * included, or null when this page no longer has their text (the batch is then dropped).
   */
  missing(b: StoredBatch, hashes: string[]): string | null;
  /** Batches left memory unsent (the queue bound); they may still be in storage. */
  evicted(n: number): void;
  /** True while uploads must wait (minimum session duration not reached yet). */
  hold(): boolean;
}

/**
 * Sender delivers stored batches one at a time, oldest first, so that a server asking to slow
 * down (429/503) is not hit by a burst. A batch leaves storage only when the server stored it
 * (2xx) or refused it for good (4xx). Failures are retried with capped exponential backoff for
 * as long as the page lives (memory is bounded by MAX_QUEUE_CHARS), and at once when the
 * browser says it is back online.
 */
export class Sender {
  #items: Item[] = [];
  #running = false;
  #stopped = false;
  #waiters: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** No request has failed since the last success (optimistic until one does). */
  #healthy = true;
  readonly #url: string;
  readonly #store: BatchStore;
  readonly #hooks: SenderHooks;

  constructor(url: string, store: BatchStore, hooks: SenderHooks) {
    this.#url = url;
    this.#store = store;
    this.#hooks = hooks;
  }

  enqueue(b: StoredBatch): void {
    if (this.#stopped || this.#items.some((i) => i.key === b.key)) return;
    this.#items.push({ ...b, attempts: 0, notBefore: 0, busy: 0 });
    let chars = 0;
    for (const i of this.#items) chars += i.json.length;
    let evicted = 0;
    while (chars > MAX_QUEUE_CHARS) {
      const victim = this.#items.find((i) => !i.busy);
      if (!victim) break;
      chars -= victim.json.length;
      this.#forget(victim);
      evicted++;
    }
    if (evicted) this.#hooks.evicted(evicted);
    this.#kick();
  }

  /** Retries now whatever is waiting out a backoff (the browser came back online). */
  retryNow(): void {
    for (const it of this.#items) it.notBefore = 0;
    this.#kick();
  }

  /**
   * Starts every batch that is not waiting out a backoff now, in parallel, as keepalive
   * requests that outlive the page: the page is being hidden or left. With `final` the page is
   * going away, so requests must start synchronously (see sendFinal): batches whose compressed
   * keepalive request is already on its way are left to it, and if the server answered the
   * last request, they are taken out of storage now (the page will not live to see their
   * answer, and the next page would send them again). The rest stays stored for the next page.
   */
  sendAllNow(final: boolean): void {
    if (this.#hooks.hold()) return;
    const now = Date.now();
    for (const it of this.#items) {
      if (it.notBefore > now) continue;
      if (final && it.flying) {
        if (this.#healthy) this.#store.remove(it.key);
        continue;
      }
      // Still being compressed: it stays stored, and the next page sends it compressed rather
      // than this one sending it raw now.
      if (final && it.busy) continue;
      const sent = final ? sendFinal(this.#url, it.json) : null;
      if (sent || !it.busy) void this.#attempt(it, sent ?? send(this.#url, it.json, () => (it.flying = true))).then(() => this.#kick());
    }
  }

  /** Resolves when nothing is left to send, or what is left has failed MAX_ATTEMPTS times. */
  idle(): Promise<void> {
    if (this.#settled()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    this.#items = [];
    clearTimeout(this.#timer);
    this.#wake();
  }

  #settled(): boolean {
    return this.#stopped || this.#items.every((i) => i.attempts >= MAX_ATTEMPTS);
  }

  #kick(): void {
    clearTimeout(this.#timer);
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (!this.#stopped) {
        const it = this.#items.find((i) => !i.busy);
        if (!it) break;
        const wait = this.#hooks.hold() ? 1000 : it.notBefore - Date.now();
        if (wait > 0) {
          // Wake up later (or earlier, on enqueue/online) instead of holding the loop.
          this.#timer = setTimeout(() => this.#kick(), wait);
          break;
        }
        await this.#attempt(it);
      }
    } finally {
      this.#running = false;
    }
  }

  async #attempt(it: Item, sending?: Promise<Outcome> | null): Promise<void> {
    it.busy++;
    let out: Outcome;
    try {
      out = await (sending ?? send(this.#url, it.json, () => (it.flying = true)));
    } catch {
      out = { kind: "retry" };
    }
    it.busy--;
    it.flying = false;
    this.#healthy = out.kind !== "retry";
    this.#settle(it, out);
  }

  #settle(it: Item, out: Outcome): void {
    if (!this.#items.includes(it)) {
      // Already settled by a parallel attempt, or forgotten; still honour a final answer.
      if (out.kind === "done" || out.kind === "drop") this.#store.remove(it.key);
      return;
    }
    switch (out.kind) {
      case "done":
        this.#hooks.delivered(it);
        this.#store.remove(it.key);
        this.#forget(it);
        return;
      case "drop":
        this.#store.remove(it.key);
        this.#forget(it);
        if (out.erased) this.#hooks.erased(it);
        return;
      case "stop":
        this.#store.remove(it.key);
        this.stop();
        this.#hooks.rejected();
        return;
      case "missing": {
        const json = this.#hooks.missing(it, out.hashes);
        if (json === null || it.attempts >= MAX_ATTEMPTS) {
          this.#store.remove(it.key);
          this.#forget(it);
          return;
        }
        it.attempts++;
        it.json = json;
        this.#store.put(it);
        return;
      }
      case "retry": {
        it.attempts++;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(it.attempts - 1, 6));
        // Full jitter on our own backoff; a server-given delay is a floor with a little spread.
        const delay = out.afterMs !== undefined ? out.afterMs * (1 + Math.random() * 0.1) : backoff * (0.5 + Math.random() * 0.5);
        it.notBefore = Date.now() + delay;
        if (this.#settled()) this.#wake();
        return;
      }
    }
  }

  #forget(it: Item): void {
    this.#items = this.#items.filter((i) => i !== it);
    if (this.#settled()) this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}
