import type { KV } from "./storage";

// Large strings (stylesheets, inlined fonts and images) cross the wire once per site: an event
// carries "\u0000reel:a:<sha256>" instead, the batch carries the string once in `assets`, and
// hashes the server acknowledged are remembered in localStorage so later page views send only
// the marker. See docs/wire-format.md, "assets".

/** Strings at least this long are sent as assets; shorter ones are not worth a hash. */
export const ASSET_MIN = 1024;
export const MARKER = "\u0000reel:a:";
const CACHE_KEY = "reel:assets";
const MAX_CACHED = 2000;
/** Asset text kept in memory to answer a 409 missing_content. */
const MAX_POOL_CHARS = 8 * 1024 * 1024;

const K = new Uint32Array(64);
(() => {
  // The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
  let n = 0;
  for (let p = 2; n < 64; p++) {
    let prime = true;
    for (let d = 2; d * d <= p; d++) if (p % d === 0) prime = false;
    if (prime) K[n++] = (Math.cbrt(p) % 1) * 2 ** 32;
  }
})();

/** Lowercase hex SHA-256 of the UTF-8 bytes of `s`, synchronously (crypto.subtle is async). */
export function sha256(s: string): string {
  const data = new TextEncoder().encode(s);
  const len = data.length;
  const blocks = ((len + 9 + 63) >> 6) << 6;
  const buf = new Uint8Array(blocks);
  buf.set(data);
  buf[len] = 0x80;
  const view = new DataView(buf.buffer);
  view.setUint32(blocks - 4, len * 8);
  view.setUint32(blocks - 8, Math.floor(len / 0x20000000));
  const H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const W = new Uint32Array(64);
  const r = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let o = 0; o < blocks; o += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getUint32(o + i * 4);
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15];
      const b = W[i - 2];
      W[i] = W[i - 16] + (r(a, 7) ^ r(a, 18) ^ (a >>> 3)) + W[i - 7] + (r(b, 17) ^ r(b, 19) ^ (b >>> 10));
    }
    let [a, b, c, d, e, f, g, h] = H;
    for (let i = 0; i < 64; i++) {
      const t1 = (h + (r(e, 6) ^ r(e, 11) ^ r(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const t2 = ((r(a, 2) ^ r(a, 13) ^ r(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    H[0] += a;
    H[1] += b;
    H[2] += c;
    H[3] += d;
    H[4] += e;
    H[5] += f;
    H[6] += g;
    H[7] += h;
  }
  return H.map((x) => (x >>> 0).toString(16).padStart(8, "0")).join("");
}

/**
 * Assets tracks which large strings this page has seen (their text, for a 409 re-send), which
 * it already put in a batch, and which the server acknowledged (shared by the site's pages).
 */
export class Assets {
  #pool = new Map<string, string>();
  /** The hash of each text in the pool: a page's stylesheets come back in every snapshot. */
  #hashes = new Map<string, string>();
  #poolChars = 0;
  #sent = new Set<string>();
  #acked: Set<string>;

  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
    let list: unknown = [];
    try {
      list = JSON.parse(kv.get(CACHE_KEY) || "[]");
    } catch {
      // A damaged cache is an empty one.
    }
    this.#acked = new Set(Array.isArray(list) ? list.filter((h) => typeof h === "string") : []);
  }

  /**
   * Replaces every large string inside `v` (in place) by its marker and returns the assets
   * this page has not yet put in a batch nor seen acknowledged: the caller's batch carries them.
   * Without `out` it only says whether there is anything to replace, touching nothing: a
   * look at rrweb's own event is a tenth of the cost of copying it first.
   */
  extract(v: unknown, out?: Record<string, string>): boolean {
    let changed = false;
    const visit = (o: Record<string, unknown> | unknown[]) => {
      for (const k in o) {
        const x = (o as Record<string, unknown>)[k];
        if (typeof x === "string") {
          if (x.length >= ASSET_MIN || x.startsWith("\u0000reel:")) {
            changed = true;
            if (!out) return;
            const h = this.#add(x);
            (o as Record<string, unknown>)[k] = MARKER + h;
            if (!this.#sent.has(h) && !this.#acked.has(h)) {
              this.#sent.add(h);
              out[h] = x;
            }
          }
        } else if (x && typeof x === "object") visit(x as Record<string, unknown>);
      }
    };
    if (v && typeof v === "object") visit(v as Record<string, unknown>);
    return changed;
  }

  #add(s: string): string {
    // Looking a string up hashes it natively, ~50x faster than SHA-256 in JavaScript.
    let h = this.#hashes.get(s);
    if (h) return h;
    h = sha256(s);
    if (!this.#pool.has(h)) {
      this.#pool.set(h, s);
      this.#hashes.set(s, h);
      this.#poolChars += s.length;
      for (const [k, t] of this.#pool) {
        if (this.#poolChars <= MAX_POOL_CHARS) break;
        this.#pool.delete(k);
        this.#hashes.delete(t);
        this.#poolChars -= t.length;
      }
    }
    return h;
  }

  /** The text of an asset this page saw, for a re-send after 409 missing_content. */
  text(h: string): string | undefined {
    return this.#pool.get(h);
  }

  /** Notes hashes the server acknowledged (true) or reported missing (false). */
  mark(hashes: string[], have: boolean): void {
    if (!hashes.length) return;
    for (const h of hashes) {
      this.#acked.delete(h);
      if (have) this.#acked.add(h);
      else this.#sent.delete(h);
    }
    const list = [...this.#acked].slice(-MAX_CACHED);
    this.#kv.set(CACHE_KEY, JSON.stringify(list));
  }
}
