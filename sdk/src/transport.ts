import { encode, stamp } from "./encode";

// Sends one batch and says what to do next. Bodies are gzipped with the browser's own
// CompressionStream: a JavaScript gzip would cost more bundle bytes than the rest of the
// transport together.

/** What the sender should do with a batch after one attempt. */
export type Outcome =
  | { kind: "done" } // 2xx: durable on the server
  | { kind: "drop"; erased?: boolean } // a 4xx that retrying cannot fix; 410: the session was erased, start another
  | { kind: "stop" } // 401/403: this key or origin will never be accepted
  | { kind: "retry"; afterMs?: number } // network error, 429, 5xx
  | { kind: "missing"; hashes: string[] } // 409 missing_content: re-send with these assets
  | { kind: "skip" }; // not sent: another attempt took the batch over

// The page's fetch as it was when the SDK loaded: the network capture wraps window.fetch, and
// Reel's own requests must neither pass through it nor through other scripts' wrappers.
const nativeFetch = typeof fetch === "function" ? fetch.bind(window) : fetch;

/** Chrome and others allow 64 KiB of keepalive bodies in flight per page; stay under it. */
const KEEPALIVE_BUDGET = 60000;
const MAX_RETRY_AFTER_MS = 10 * 60 * 1000;

let keepaliveInFlight = 0;

export function compressionSupported(): boolean {
  return typeof CompressionStream === "function";
}

/**
 * Posts `json` (a batch without `sentAt`) to `url`, delta-encoded and gzipped by
 * CompressionStream in a worker (src/encode.ts). The
 * Content-Type is text/plain so that the request is a CORS "simple request" without a
 * preflight; the server recognises gzip by its magic bytes. `posting` is asked just before the
 * request starts (with whether it is a keepalive one); false calls it off (another attempt took
 * the batch over meanwhile) and the outcome is "skip".
 */
export async function send(url: string, json: string, posting?: (keepalive: boolean) => boolean): Promise<Outcome> {
  let body: Blob;
  try {
    [url, body] = await encode(url, json);
  } catch {
    return { kind: "retry" };
  }
  return post(url, body, body.size, posting);
}

/**
 * Sends `json` at once, for the moment the page is hidden or goes away: CompressionStream is
 * asynchronous and the page may be gone (or frozen) before it finishes, so this compresses
 * synchronously (gzipSync) and starts a keepalive fetch, which the browser completes after the
 * page is gone. Returns null when the body does not fit in what is left of the keepalive quota.
 */
export function sendNow(url: string, json: string): Promise<Outcome> | null {
  // Past this the compressed body could not fit anyway; spare the page the work.
  if (json.length > 16 * KEEPALIVE_BUDGET) return null;
  [url, json] = stamp(url, json);
  const body = gzipSync(new TextEncoder().encode(json));
  if (keepaliveInFlight + body.length > KEEPALIVE_BUDGET) return null;
  return post(url, body, body.length);
}

// Starts the fetch synchronously (before its first await), which sendNow relies on. The
// request is made to outlive the page whenever it fits the keepalive quota.
async function post(url: string, body: Blob | Uint8Array<ArrayBuffer>, size: number, posting?: (keepalive: boolean) => boolean): Promise<Outcome> {
  const keepalive = keepaliveInFlight + size <= KEEPALIVE_BUDGET;
  if (posting && !posting(keepalive)) return { kind: "skip" };
  if (keepalive) keepaliveInFlight += size;
  let status: number;
  let retryAfter: string | null;
  let text = "";
  try {
    const res = await nativeFetch(url, {
      method: "POST",
      body,
      keepalive,
      credentials: "omit",
      headers: { "Content-Type": "text/plain" },
    });
    status = res.status;
    retryAfter = res.headers.get("Retry-After");
    // Read the answer to its end: until then the browser counts a keepalive body against its
    // 64 KiB quota, and further keepalive requests fail.
    text = await res.text().catch(() => "");
  } catch {
    return { kind: "retry" };
  } finally {
    if (keepalive) keepaliveInFlight -= size;
  }
  if (status === 409) {
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; missing?: unknown } }).error;
      const m = e?.missing;
      if (e?.code === "missing_content" && Array.isArray(m)) return { kind: "missing", hashes: m.filter((h) => typeof h === "string") };
    } catch {
      // Not the answer we know: treat as any other 4xx.
    }
  }
  return classify(status, retryAfter);
}

/** Fetches the project's remote SDK configuration; null when unavailable. */
export async function fetchConfig(url: string, timeoutMs: number): Promise<Record<string, unknown> | null> {
  const ctl = typeof AbortController === "function" ? new AbortController() : null;
  const timer = setTimeout(() => ctl?.abort(), timeoutMs);
  try {
    const res = await nativeFetch(url, { credentials: "omit", signal: ctl?.signal });
    if (!res.ok) return null;
    const v = (await res.json()) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

let crcTable: Int32Array | undefined;

function crc32(data: Uint8Array): number {
  const t = (crcTable ||= Int32Array.from({ length: 256 }, (_, n) => {
    for (let k = 0; k < 8; k++) n = (n >>> 1) ^ (0xedb88320 & -(n & 1));
    return n;
  }));
  let c = ~0;
  for (const b of data) c = t[(c ^ b) & 255] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Base values of deflate's length codes (257–284) and distance codes (0–29), RFC 1951 §3.2.5. */
const LEN_BASE: number[] = [];
const DIST_BASE: number[] = [];
const lenExtra = (i: number) => (i < 8 ? 0 : (i - 4) >> 2);
const distExtra = (i: number) => (i < 4 ? 0 : (i >> 1) - 1);
for (let i = 0, l = 3, d = 1; i < 30; i++) {
  LEN_BASE.push(l);
  DIST_BASE.push(d);
  l += 1 << lenExtra(i);
  d += 1 << distExtra(i);
}

/**
 * gzip (RFC 1952) of `data`, compressed synchronously in one deflate block with the fixed
 * Huffman codes (RFC 1951 §3.2.6) and LZ77 matches found through a hash of the next 4 bytes
 * (up to 8 candidates each). Batch JSON shrinks to about a fifth: less than CompressionStream
 * achieves, but at once, when the page is going away and the keepalive quota is 64 KiB.
 */
export function gzipSync(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = data.length;
  // Fixed codes spend at most 9 bits on a byte; a match is used only where it is shorter.
  const out = new Uint8Array(n + (n >> 3) + 32);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let pos = 10;
  let acc = 0;
  let bits = 0;
  const put = (v: number, len: number) => {
    acc |= v << bits;
    for (bits += len; bits >= 8; bits -= 8) {
      out[pos++] = acc;
      acc >>>= 8;
    }
  };
  // Huffman codes are packed starting with their most significant bit.
  const code = (c: number, len: number) => {
    let r = 0;
    for (let k = 0; k < len; k++) r |= ((c >> k) & 1) << (len - 1 - k);
    put(r, len);
  };
  const sym = (s: number) => (s < 144 ? code(0x30 + s, 8) : s < 256 ? code(0x190 + s - 144, 9) : s < 280 ? code(s - 256, 7) : code(0xc0 + s - 280, 8));
  const head = new Int32Array(1 << 15);
  const prev = new Int32Array(1 << 15);
  const hash = (i: number) => ((data[i] << 12) ^ (data[i + 1] << 8) ^ (data[i + 2] << 4) ^ data[i + 3]) & 0x7fff;
  const insert = (i: number) => {
    const h = hash(i);
    prev[i & 0x7fff] = head[h];
    head[h] = i + 1;
  };
  put(3, 3); // last block, fixed codes
  for (let i = 0; i < n; ) {
    let best = 0;
    let dist = 0;
    if (i + 4 <= n) {
      const max = Math.min(257, n - i);
      for (let j = head[hash(i)] - 1, tries = 8; j >= 0 && j < i && i - j <= 32768 && tries--; j = prev[j & 0x7fff] - 1) {
        let l = 0;
        while (l < max && data[j + l] === data[i + l]) l++;
        if (l > best) {
          best = l;
          dist = i - j;
        }
      }
    }
    if (best < 4) {
      sym(data[i]);
      if (i + 4 <= n) insert(i);
      i++;
      continue;
    }
    let c = 28;
    while (LEN_BASE[c] > best) c--;
    sym(257 + c);
    put(best - LEN_BASE[c], lenExtra(c));
    c = 29;
    while (DIST_BASE[c] > dist) c--;
    code(c, 5);
    put(dist - DIST_BASE[c], distExtra(c));
    for (let k = i, end = Math.min(i + best, n - 3); k < end; k++) insert(k);
    i += best;
  }
  sym(256);
  if (bits) out[pos++] = acc;
  const view = new DataView(out.buffer);
  view.setUint32(pos, crc32(data), true);
  view.setUint32(pos + 4, n, true);
  return out.slice(0, pos + 8);
}

export function classify(status: number, retryAfter: string | null): Outcome {
  if (status >= 200 && status < 300) return { kind: "done" };
  if (status === 401 || status === 403) return { kind: "stop" };
  if (status === 429 || status >= 500) return { kind: "retry", afterMs: parseRetryAfter(retryAfter) };
  return { kind: "drop", erased: status === 410 };
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(v: string | null): number | undefined {
  if (!v) return undefined;
  let ms = /^\s*\d+\s*$/.test(v) ? Number(v) * 1000 : Date.parse(v) - Date.now();
  if (!Number.isFinite(ms)) return undefined;
  ms = Math.max(0, ms);
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
