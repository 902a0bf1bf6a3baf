import { encode, encodeAndPost, stamp } from "./encode";
import { batchText, type StoredBatch } from "./storage";

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
 * Posts batch `b` (its JSON is without `sentAt`) to `url`, delta-encoded and gzipped by
 * CompressionStream, from a worker (src/encode.ts): the request is then not a keepalive one,
 * and a batch still on its way when the page is left is sent again at page hide (Sender.leave).
 * Without a worker (a CSP that forbids blob: workers), or when its encoding failed, the batch
 * is encoded and posted on this thread,
 * as a keepalive request while it fits. The Content-Type is text/plain so that the request is
 * a CORS "simple request" without a preflight; the server recognises gzip by its magic bytes.
 * `posting` is asked just before the request is made (with whether it is a keepalive one);
 * false calls it off (another attempt took the batch over meanwhile) and the outcome is "skip".
 */
export async function send(url: string, b: StoredBatch, posting?: (keepalive: boolean) => boolean): Promise<Outcome> {
  const text = batchText(b);
  try {
    const a = await encodeAndPost(url, text, () => !posting || posting(false));
    return a[0] < 0 ? { kind: "skip" } : answer(...a);
  } catch {
    // No worker, or its encoding failed: here, then.
  }
  let body: Blob;
  try {
    [url, body] = await encode(url, text);
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
  let text: string;
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
  return answer(status, retryAfter, text);
}

/** The outcome of a request that got `status` (0: it failed), with its Retry-After and text. */
function answer(status: number, retryAfter: string | null, text: string): Outcome {
  if (!status) return { kind: "retry" };
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
 * Code lengths of a Huffman code for `freq`, none longer than `max` bits (symbols that never
 * occur get 0). Where the optimal code is too deep, the counts are flattened and it is built
 * again: a little worse than package-merge, in a few lines.
 */
function huffLengths(freq: number[], max: number): number[] {
  for (let f = freq; ; f = f.map((x) => (x ? (x >> 1) + 1 : 0))) {
    const len = f.map(() => 0);
    // Nodes: [weight, leaf symbol or -1, left, right]; the two lightest merge until one is left.
    let q: [number, number, number, number][] = [];
    const nodes: [number, number, number, number][] = [];
    f.forEach((w, i) => w && q.push([w, i, -1, -1]));
    for (const x of q) nodes.push(x);
    if (q.length === 1) return len.map((_, i) => (f[i] ? 1 : 0));
    while (q.length > 1) {
      q.sort((a, b) => a[0] - b[0]);
      const a = q.shift()!;
      const b = q.shift()!;
      const m: [number, number, number, number] = [a[0] + b[0], -1, nodes.indexOf(a), nodes.indexOf(b)];
      nodes.push(m);
      q.push(m);
    }
    let deepest = 0;
    const walk = (k: number, d: number) => {
      const [, leaf, l, r] = nodes[k];
      if (leaf >= 0) deepest = Math.max(deepest, (len[leaf] = d));
      else {
        walk(l, d + 1);
        walk(r, d + 1);
      }
    };
    walk(nodes.length - 1, 0);
    if (deepest <= max) return len;
  }
}

/** Canonical codes for code lengths (RFC 1951 §3.2.2). */
function huffCodes(len: number[]): number[] {
  const count = new Array(16).fill(0);
  for (const l of len) if (l) count[l]++;
  const next = new Array(16).fill(0);
  for (let b = 1, c = 0; b < 16; b++) next[b] = c = (c + count[b - 1]) << 1;
  return len.map((l) => (l ? next[l]++ : 0));
}

/**
 * gzip (RFC 1952) of `data`, compressed synchronously in one deflate block with Huffman codes
 * made for it (RFC 1951 §3.2.7) and LZ77 matches found through a hash of the next 4 bytes (up
 * to 8 candidates each). Less than CompressionStream achieves, but at once, when the page is
 * going away and the keepalive quota is 64 KiB. (Fixed codes cost the wire about 8 %:
 * docs/decisions.md, 2026-12-07.)
 */
export function gzipSync(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = data.length;
  // First the matches, as symbols: literal or length code, its extra bits, distance code and
  // its extra bits; then the codes made from how often each symbol occurs.
  const syms: number[] = [];
  const litFreq = new Array(286).fill(0);
  const distFreq = new Array(30).fill(0);
  const head = new Int32Array(1 << 15);
  const prev = new Int32Array(1 << 15);
  const hash = (i: number) => ((data[i] << 12) ^ (data[i + 1] << 8) ^ (data[i + 2] << 4) ^ data[i + 3]) & 0x7fff;
  const insert = (i: number) => {
    const h = hash(i);
    prev[i & 0x7fff] = head[h];
    head[h] = i + 1;
  };
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
      syms.push(data[i]);
      litFreq[data[i]]++;
      if (i + 4 <= n) insert(i);
      i++;
      continue;
    }
    let c = 28;
    while (LEN_BASE[c] > best) c--;
    let d = 29;
    while (DIST_BASE[d] > dist) d--;
    syms.push(257 + c, best - LEN_BASE[c], d, dist - DIST_BASE[d]);
    litFreq[257 + c]++;
    distFreq[d]++;
    for (let k = i, end = Math.min(i + best, n - 3); k < end; k++) insert(k);
    i += best;
  }
  litFreq[256] = 1;
  // Two codes at least in each alphabet, as decoders expect.
  litFreq[0] ||= 1;
  distFreq[0] ||= 1;
  distFreq[1] ||= 1;
  const litLen = huffLengths(litFreq, 15);
  const distLen = huffLengths(distFreq, 15);
  const litCode = huffCodes(litLen);
  const distCode = huffCodes(distLen);
  let hlit = 286;
  while (hlit > 257 && !litLen[hlit - 1]) hlit--;
  let hdist = 30;
  while (hdist > 1 && !distLen[hdist - 1]) hdist--;
  // The code lengths themselves, run-length coded (16: repeat the last 3–6 times, 17 and 18:
  // 3–10 and 11–138 zeros) with a Huffman code of their own.
  const lens = [...litLen.slice(0, hlit), ...distLen.slice(0, hdist)];
  const rle: number[] = [];
  const clFreq = new Array(19).fill(0);
  for (let i = 0; i < lens.length; ) {
    const l = lens[i];
    let run = 1;
    while (i + run < lens.length && lens[i + run] === l) run++;
    if (!l && run >= 3) {
      run = Math.min(run, 138);
      rle.push(run >= 11 ? 18 : 17, run - (run >= 11 ? 11 : 3));
      clFreq[run >= 11 ? 18 : 17]++;
    } else if (l && run >= 4) {
      run = Math.min(run, 7);
      rle.push(l, 0, 16, run - 4);
      clFreq[l]++;
      clFreq[16]++;
    } else {
      run = 1;
      rle.push(l, 0);
      clFreq[l]++;
    }
    i += run;
  }
  const clLen = huffLengths(clFreq, 7);
  const clCode = huffCodes(clLen);
  const ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  let hclen = 19;
  while (hclen > 4 && !clLen[ORDER[hclen - 1]]) hclen--;

  const out = new Uint8Array(2 * n + 1024);
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
  put(5, 3); // last block, dynamic codes
  put(hlit - 257, 5);
  put(hdist - 1, 5);
  put(hclen - 4, 4);
  for (let k = 0; k < hclen; k++) put(clLen[ORDER[k]], 3);
  for (let k = 0; k < rle.length; k += 2) {
    const s = rle[k];
    code(clCode[s], clLen[s]);
    if (s >= 16) put(rle[k + 1], s === 16 ? 2 : s === 17 ? 3 : 7);
  }
  for (let k = 0; k < syms.length; ) {
    const s = syms[k++];
    code(litCode[s], litLen[s]);
    if (s > 256) {
      put(syms[k++], lenExtra(s - 257));
      const d = syms[k++];
      code(distCode[d], distLen[d]);
      put(syms[k++], distExtra(d));
    }
  }
  code(litCode[256], litLen[256]);
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
