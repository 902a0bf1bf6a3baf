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
  | { kind: "missing"; hashes: string[] }; // 409 missing_content: re-send with these assets

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
 * preflight; the server recognises gzip by its magic bytes.
 */
export async function send(url: string, json: string, keepalive?: () => void): Promise<Outcome> {
  let body: Blob;
  try {
    [url, body] = await encode(url, json);
  } catch {
    return { kind: "retry" };
  }
  return post(url, body, body.size, keepalive);
}

/**
 * Sends `json` at once, for the moment the page goes away: CompressionStream is asynchronous
 * and the page may be gone before it finishes, so this wraps the JSON in uncompressed gzip
 * (stored deflate blocks, which any gzip reader accepts) and starts a keepalive fetch, which
 * the browser completes after the page is gone. Returns null when the body does not fit in
 * the keepalive quota; the batch then waits in storage for the next page.
 */
export function sendFinal(url: string, json: string): Promise<Outcome> | null {
  [url, json] = stamp(url, json);
  const body = gzipStored(new TextEncoder().encode(json));
  if (keepaliveInFlight + body.length > KEEPALIVE_BUDGET) return null;
  return post(url, body, body.length, () => {});
}

// Starts the fetch synchronously (before its first await), which sendFinal relies on.
// With `keepalive` (a callback), the request is made to outlive the page if it fits the quota,
// and the callback is told when it started.
async function post(url: string, body: Blob | Uint8Array<ArrayBuffer>, size: number, wantKeepalive?: () => void): Promise<Outcome> {
  const keepalive = !!wantKeepalive && keepaliveInFlight + size <= KEEPALIVE_BUDGET;
  if (keepalive) {
    keepaliveInFlight += size;
    wantKeepalive();
  }
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

/** CRC-32 bit by bit: page hide sends at most 60 kB this way, so a table is not worth its bytes. */
function crc32(data: Uint8Array): number {
  let c = ~0;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** gzip (RFC 1952) of `data` in stored deflate blocks (RFC 1951 §3.2.4): framing, no compression. */
export function gzipStored(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(10 + blocks * 5 + data.length + 8);
  const view = new DataView(out.buffer);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let o = 10;
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * 65535, (b + 1) * 65535);
    out[o] = b === blocks - 1 ? 1 : 0;
    view.setUint16(o + 1, chunk.length, true);
    view.setUint16(o + 3, ~chunk.length & 0xffff, true);
    out.set(chunk, o + 5);
    o += 5 + chunk.length;
  }
  view.setUint32(o, crc32(data), true);
  view.setUint32(o + 4, data.length, true);
  return out;
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
