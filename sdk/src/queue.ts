import type { BatchStore, StoredBatch } from "./storage";
import { send, sendFinal, type Outcome } from "./transport";

/**
 * Batcher buffers serialized events and cuts them into a batch when the buffer would pass
 * `maxBytes`, or when asked (on the flush timer, on page hide). Each event is serialized
 * once, when it is recorded, so the size estimate is exact and the batch JSON is a join.
 */
export class Batcher {
  private events: string[] = [];
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onCut: (events: string[]) => void,
  ) {}

  get size(): number {
    return this.bytes;
  }

  push(eventJson: string): void {
    const n = eventJson.length + 1;
    if (this.events.length > 0 && this.bytes + n > this.maxBytes) this.cut();
    this.events.push(eventJson);
    this.bytes += n;
    if (this.bytes >= this.maxBytes) this.cut();
  }

  cut(): void {
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    this.bytes = 0;
    this.onCut(events);
  }
}

const MAX_ATTEMPTS = 8;
const MAX_BACKOFF_MS = 60000;
/** Beyond this much unsent JSON in memory the oldest batches wait in storage for a later page. */
const MAX_QUEUE_CHARS = 16 * 1024 * 1024;

interface Item extends StoredBatch {
  attempts: number;
  notBefore: number;
  /** Attempts in flight; the final send at page hide may overlap an ordinary one. */
  busy: number;
}

/**
 * Sender delivers stored batches one at a time, oldest first, so that a server asking to slow
 * down (429/503) is not hit by a burst. A batch leaves storage only when the server stored it
 * (2xx) or refused it for good (4xx). After MAX_ATTEMPTS failures it stays in storage and the
 * next page load sends it again.
 */
export class Sender {
  private items: Item[] = [];
  private running = false;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly url: string,
    private readonly store: BatchStore,
    private readonly onRejected: () => void,
  ) {}

  enqueue(b: StoredBatch): void {
    if (this.stopped || this.items.some((i) => i.key === b.key)) return;
    this.items.push({ ...b, attempts: 0, notBefore: 0, busy: 0 });
    let chars = 0;
    for (const i of this.items) chars += i.json.length;
    while (chars > MAX_QUEUE_CHARS) {
      const victim = this.items.find((i) => !i.busy);
      if (!victim) break;
      chars -= victim.json.length;
      this.forget(victim);
    }
    void this.pump();
  }

  /**
   * Starts every batch that is not waiting out a backoff now, in parallel: the page is being
   * hidden. With `final` the page is going away, so requests start synchronously (see
   * sendFinal); what does not fit stays in storage for the next page of the site.
   */
  sendAllNow(final: boolean): void {
    const now = Date.now();
    for (const it of this.items) {
      if (it.notBefore > now) continue;
      // An ordinary attempt may still be compressing, which the page may not live to finish,
      // so the final send goes out regardless; the server ignores a second copy.
      const sent = final ? sendFinal(this.url, it.json) : null;
      if (sent || !it.busy) void this.attempt(it, sent).then(() => this.pump());
    }
  }

  /** Resolves when nothing is left to send. */
  idle(): Promise<void> {
    if (this.items.length === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.items = [];
    this.wake();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.stopped) {
        const it = this.items.find((i) => !i.busy);
        if (!it) break;
        const wait = it.notBefore - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else await this.attempt(it);
      }
    } finally {
      this.running = false;
    }
  }

  private async attempt(it: Item, sending?: Promise<Outcome> | null): Promise<void> {
    it.busy++;
    const out = await (sending ?? send(this.url, it.json));
    it.busy--;
    this.settle(it, out);
  }

  private settle(it: Item, out: Outcome): void {
    if (!this.items.includes(it)) {
      // Already settled by a parallel attempt, or forgotten; still honour a final answer.
      if (out.kind !== "retry") this.store.remove(it.key);
      return;
    }
    switch (out.kind) {
      case "done":
      case "drop":
        this.store.remove(it.key);
        this.forget(it);
        return;
      case "stop":
        this.store.remove(it.key);
        this.stop();
        this.onRejected();
        return;
      case "retry": {
        it.attempts++;
        if (it.attempts >= MAX_ATTEMPTS) {
          this.forget(it);
          return;
        }
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (it.attempts - 1));
        // Full jitter on our own backoff; a server-given delay is a floor with a little spread.
        const delay = out.afterMs !== undefined ? out.afterMs * (1 + Math.random() * 0.1) : backoff * (0.5 + Math.random() * 0.5);
        it.notBefore = Date.now() + delay;
        return;
      }
    }
  }

  private forget(it: Item): void {
    this.items = this.items.filter((i) => i !== it);
    if (this.items.length === 0) this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
