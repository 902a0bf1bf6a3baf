// Web Storage access that never throws. Storage can be missing (sandboxed iframes, some
// privacy modes throw on the mere property access) or full; the SDK then keeps going with
// what it has in memory instead of breaking the host page.

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
 * BatchStore keeps every cut batch in localStorage until the server acknowledges it (or
 * refuses it for good), so a batch cut while the page is going away is sent by the next page
 * of the site. Keys are `reel:b:<cut time, 13-digit ms>:<tab>:<seq>`, so sorting them sorts
 * by age; the total is bounded and the oldest entries go first.
 */
export class BatchStore {
  #used = -1;

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

  put(b: StoredBatch): boolean {
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
    for (const k of this.#keys()) this.#kv.remove(k);
    this.#used = 0;
  }

  remove(key: string): void {
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
