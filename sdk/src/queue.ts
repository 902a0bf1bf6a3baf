import { batchChars, type BatchStore, type StoredBatch } from "./storage";
import { send, sendNow, type Outcome } from "./transport";

/**
 * Batcher buffers serialized events and cuts them into a batch when the buffer would pass
 * `maxBytes`, or when asked (on the flush timer, on page hide). Each event is serialized
 * once, when it is recorded, so the size estimate is exact and the batch JSON is a join.
 */
export class Batcher {
  #events: string[] = [];
  /** The assets each event brings, by index in #events (most bring none). */
  #assets: Record<number, Record<string, string>> = {};
  #sizes: number[] = [];
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
    if (assets && Object.keys(assets).length) this.#assets[this.#events.length] = assets;
    this.#events.push(eventJson);
    this.#sizes.push(n);
    this.#bytes += n;
    if (this.#bytes >= this.#maxBytes) this.cut();
  }

  /**
   * Cuts what is buffered into a batch, or with `part` into consecutive batches of about that
   * many bytes each (the page is going away, and what it sends then must fit the keepalive
   * quota batch by batch). Each event's assets travel in the batch of the event.
   */
  cut(part = Infinity): void {
    this.#beforeCut();
    const events = this.#events;
    const assets = this.#assets;
    const sizes = this.#sizes;
    this.#events = [];
    this.#assets = {};
    this.#sizes = [];
    this.#bytes = 0;
    for (let i = 0; i < events.length; ) {
      const a: Record<string, string> = {};
      let bytes = 0;
      const from = i;
      while (i < events.length && (i === from || bytes + sizes[i] <= part)) {
        Object.assign(a, assets[i]);
        bytes += sizes[i++];
      }
      this.#onCut(events.slice(from, i), a);
    }
  }
}

/** After this many failed attempts in a row, flush() stops waiting for a batch (it keeps trying). */
const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 60000;
/** Beyond this much unsent JSON in memory the oldest batches wait in storage for a later page. */
const MAX_QUEUE_CHARS = 16 * 1024 * 1024;

interface Item {
  b: StoredBatch;
  attempts: number;
  notBefore: number;
  /** Attempts in flight; a send at page hide may overlap an ordinary one. */
  busy: number;
  /**
   * 0: no request made for it yet (or the last one ended); 1: a request is on its way that ends
   * with the page; 2: a keepalive request is on its way (it survives the page).
   */
  posted: number;
  /** Bumped when a send at page hide takes the batch over: an older attempt still compressing then makes no request. */
  gen: number;
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
    if (this.#stopped || this.#items.some((i) => i.b.key === b.key)) return;
    this.#items.push({ b, attempts: 0, notBefore: 0, busy: 0, posted: 0, gen: 0 });
    let chars = 0;
    for (const i of this.#items) chars += batchChars(i.b);
    let evicted = 0;
    while (chars > MAX_QUEUE_CHARS) {
      const victim = this.#items.find((i) => !i.busy);
      if (!victim) break;
      chars -= batchChars(victim.b);
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
   * Sends every batch that no keepalive request carries yet, synchronously compressed, as
   * keepalive requests that outlive the page: the page is being hidden (it may be frozen or
   * killed without another word) or, with `final`, left. Oldest first, each while it fits in
   * the keepalive quota; batches waiting out a backoff wait on.
   *
   * With `final` the page will not live to see an answer, so a batch sent now leaves storage
   * at once (else the next page of the site would send it again), unless the last request
   * failed or an older batch stays behind: then it stays stored too, as the fallback, and the
   * server drops the copy that arrives twice. A request that ends with the page is replaced.
   */
  leave(final: boolean): void {
    if (this.#hooks.hold()) return;
    const now = Date.now();
    let keep = !this.#healthy;
    for (const it of this.#items) {
      if (it.posted === 2 || (it.posted && !final)) {
        if (final && !keep && it.posted === 2) this.#store.remove(it.b.key);
        continue;
      }
      const sending = it.notBefore > now ? null : sendNow(this.#url, it.b.json);
      if (!sending) {
        keep = true;
        continue;
      }
      it.gen++;
      it.posted = 2;
      void this.#attempt(it, sending).then(() => this.#kick());
      if (final && !keep) this.#store.remove(it.b.key);
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

  async #attempt(it: Item, sending?: Promise<Outcome>): Promise<void> {
    const gen = it.gen;
    it.busy++;
    let out: Outcome;
    try {
      out = await (sending ?? send(this.#url, it.b, (keepalive) => gen === it.gen && !!(it.posted = keepalive ? 2 : 1)));
    } catch {
      out = { kind: "retry" };
    }
    it.busy--;
    if (out.kind === "skip") return;
    if (!it.busy) it.posted = 0;
    this.#healthy = out.kind !== "retry";
    this.#settle(it, out);
  }

  #settle(it: Item, out: Outcome): void {
    if (!this.#items.includes(it)) {
      // Already settled by a parallel attempt, or forgotten; still honour a final answer.
      if (out.kind === "done" || out.kind === "drop") this.#store.remove(it.b.key);
      return;
    }
    switch (out.kind) {
      case "done":
        this.#hooks.delivered(it.b);
        this.#store.remove(it.b.key);
        this.#forget(it);
        return;
      case "drop":
        this.#store.remove(it.b.key);
        this.#forget(it);
        if (out.erased) this.#hooks.erased(it.b);
        return;
      case "stop":
        this.#store.remove(it.b.key);
        this.stop();
        this.#hooks.rejected();
        return;
      case "missing": {
        const json = this.#hooks.missing(it.b, out.hashes);
        if (json === null || it.attempts >= MAX_ATTEMPTS) {
          this.#store.remove(it.b.key);
          this.#forget(it);
          return;
        }
        it.attempts++;
        it.b.json = json;
        this.#store.put(it.b);
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
