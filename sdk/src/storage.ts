// Web Storage access that never throws. Storage can be missing (sandboxed iframes, some
// privacy modes throw on the mere property access) or full; the SDK then keeps going with
// what it has in memory instead of breaking the host page.

import { joined, type Text } from "./encode";

export interface KV {
  get(key: string): string | null;
  /** Reports whether the value was stored. */
  set(key: string, value: string): boolean;
  remove(key: string): void;
  keys(): string[];
}

export function openStorage(kind: "localStorage" | "sessionStorage"): KV {
  let s: Storage | null = null;
  try {
    s = window[kind];
    const probe = "reel:probe";
    s.setItem(probe, "1");
    s.removeItem(probe);
  } catch {
    s = null;
  }
  if (!s) return memoryKV();
  const st = s;
  return {
    get: (k) => tryOr(() => st.getItem(k), null),
    set: (k, v) => tryOr(() => (st.setItem(k, v), true), false),
    // A failed removal leaves the entry behind; nothing else to do.
    remove: (k) => tryOr(() => st.removeItem(k), undefined),
    // A Storage object's own keys are its items' keys.
    keys: () => tryOr(() => Object.keys(st), []),
  };
}

/** f(), or `fallback` when it throws: storage can throw on any call (quota, privacy modes). */
function tryOr<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function memoryKV(): KV {
  const m = new Map<string, string>();
  return {
    get: (k) => m.get(k) ?? null,
    set: (k, v) => (m.set(k, v), true),
    remove: (k) => void m.delete(k),
    keys: () => [...m.keys()],
  };
}

/** How long a cut batch waits in memory for its acknowledgement before it is written (later()). */
const SAVE_DELAY_MS = 2000;

/** Prefix of the localStorage keys that hold cut but unacknowledged batches. */
export const BATCH_PREFIX = "reel:b:";

/** A batch that has been cut: its storage key and its JSON without `sentAt`. */
export interface StoredBatch {
  key: string;
  json: string;
  /** Hashes of the assets the batch carries (known only to the page that cut it). */
  assets?: string[];
}

/**
 * A batch this page cut. Its events stay separate strings until something needs the batch's
 * whole JSON (storage, a send at page hide, a 409 answer): the ordinary send hands the parts to
 * the encoding worker, which joins them there (joining half a megabyte on the main thread costs
 * as much as handing it over, docs/sdk-performance.md).
 */
export class CutBatch implements StoredBatch {
  #json: string | undefined;
  /** The batch's JSON up to and with the `[` of its events array. */
  readonly head: string;
  /** The events' JSON, until the whole JSON was made. */
  events: string[] | undefined;
  /** The length of the whole JSON. */
  readonly chars: number;
  readonly key: string;
  readonly assets: string[];

  constructor(key: string, head: string, events: string[], assets: string[]) {
    this.key = key;
    this.head = head;
    this.events = events;
    this.assets = assets;
    let n = head.length + 2 + Math.max(0, events.length - 1);
    for (const e of events) n += e.length;
    this.chars = n;
  }

  get json(): string {
    if (this.#json === undefined) {
      this.#json = joined([this.head, this.events!]);
      this.events = undefined;
    }
    return this.#json;
  }

  set json(v: string) {
    this.#json = v;
    this.events = undefined;
  }
}

/** What the encoder is given for a batch: its parts while they are apart, else its JSON. */
export function batchText(b: StoredBatch): Text {
  return b instanceof CutBatch && b.events ? [b.head, b.events] : b.json;
}

/** The length of a batch's JSON, without making it. */
export function batchChars(b: StoredBatch): number {
  return b instanceof CutBatch && b.events ? b.chars : b.json.length;
}

/**
 * BatchStore keeps every cut batch in localStorage until the server acknowledges it (or
 * refuses it for good), so a batch cut while the page is going away is sent by the next page
 * of the site. Keys are `reel:b:<cut time, 13-digit ms>:<tab>:<seq>`, so sorting them sorts
 * by age; the total is bounded and the oldest entries go first.
 */
export class BatchStore {
  #used = -1;
  /** Batches given to later() and not written yet, by key. */
  #pending = new Map<string, StoredBatch>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  readonly #kv: KV;
  readonly #maxChars: number;

  constructor(kv: KV, maxChars: number) {
    this.#kv = kv;
    this.#maxChars = maxChars;
  }

  static key(cutAt: number, tab: string, seq: number): string {
    return `${BATCH_PREFIX}${String(cutAt).padStart(13, "0")}:${tab}:${seq}`;
  }

  /** Every stored batch, oldest first, including other tabs' (double sends are harmless). */
  all(): StoredBatch[] {
    const out: StoredBatch[] = [];
    for (const key of this.#keys()) {
      const json = this.#kv.get(key);
      if (json) out.push({ key, json });
    }
    return out;
  }

  /**
   * Stores `b` after SAVE_DELAY_MS unless it left storage's care before (remove: the server
   * acknowledged it, as it does for most batches within that time), so that most batches never
   * cost the page a synchronous write of up to half a megabyte. save() writes what is pending
   * at once: the page calls it when it is hidden or left. A renderer that crashes within that
   * delay loses the batch.
   */
  later(b: StoredBatch): void {
    this.#pending.set(b.key, b);
    this.#timer ??= setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  /** Writes every batch given to later() and still pending. */
  save(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const p = this.#pending;
    this.#pending = new Map();
    for (const b of p.values()) this.put(b);
  }

  put(b: StoredBatch): boolean {
    this.#pending.delete(b.key);
    const size = b.key.length + b.json.length;
    if (size > this.#maxChars) return false;
    if (this.#used < 0 || this.#used + size > this.#maxChars) this.#recount();
    if (this.#used + size > this.#maxChars) this.#evict(this.#used + size - this.#maxChars);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.#kv.set(b.key, b.json)) {
        this.#used += size;
        return true;
      }
      // The origin's quota is shared with the site itself: make room from our own entries.
      this.#evict(size);
    }
    return false;
  }

  /** Forgets every stored batch (consent withdrawn). */
  clear(): void {
    this.#pending.clear();
    for (const k of this.#keys()) this.#kv.remove(k);
    this.#used = 0;
  }

  remove(key: string): void {
    if (this.#pending.delete(key)) return;
    const json = this.#kv.get(key);
    if (json === null) return;
    this.#kv.remove(key);
    if (this.#used >= 0) this.#used = Math.max(0, this.#used - key.length - json.length);
  }

  #keys(): string[] {
    return this.#kv
      .keys()
      .filter((k) => k.startsWith(BATCH_PREFIX))
      .sort();
  }

  // Other tabs write too, so the running total is only an estimate; recount before acting on it.
  #recount(): void {
    let n = 0;
    for (const k of this.#keys()) n += k.length + (this.#kv.get(k)?.length ?? 0);
    this.#used = n;
  }

  #evict(chars: number): void {
    let freed = 0;
    for (const k of this.#keys()) {
      if (freed >= chars) break;
      const len = k.length + (this.#kv.get(k)?.length ?? 0);
      this.#kv.remove(k);
      freed += len;
    }
    this.#recount();
  }
}
