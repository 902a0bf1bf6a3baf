import { emit } from "./custom";
import { cap } from "./serialize";

export interface NetworkOptions {
  /**
   * URLs whose headers and bodies are recorded: a string matches as a prefix of the absolute
   * URL, a RegExp by test. Default: none (method, URL, status, timing and sizes only).
   */
  allowUrls?: (string | RegExp)[];
  /** Header names, JSON keys and query parameters to redact, in addition to the defaults. */
  redactKeys?: string[];
  /** Bodies are cut to this many characters (default 8192). */
  maxBodyBytes?: number;
}

const ALWAYS_REDACTED = ["authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key", "password", "passwd", "secret", "token", "access_token", "refresh_token", "api_key", "apikey"];
const REDACTED = "[redacted]";

interface Call {
  method: string;
  url: string;
  status: number;
  durationMs: number;
  requestSize?: number;
  responseSize?: number;
  failure?: string;
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  requestBody?: string;
  responseBody?: string;
}

/**
 * Records fetch and XMLHttpRequest calls as `reel.network` events. `skip` says which URLs are
 * Reel's own (never recorded). Returns the function that restores the originals.
 */
export function captureNetwork(opts: NetworkOptions, skip: (url: string) => boolean): () => void {
  const allow = opts.allowUrls || [];
  const keys = new Set([...ALWAYS_REDACTED, ...(opts.redactKeys || []).map((k) => k.toLowerCase())]);
  const maxBody = opts.maxBodyBytes ?? 8192;
  const allowed = (url: string) => allow.some((a) => (typeof a === "string" ? url.startsWith(a) : a.test(url)));

  const abs = (u: string) => {
    try {
      const url = new URL(u, location.href);
      for (const k of [...url.searchParams.keys()]) if (keys.has(k.toLowerCase())) url.searchParams.set(k, REDACTED);
      return url.href;
    } catch {
      return String(u);
    }
  };
  const headers = (h: Iterable<[string, string]>) => {
    const out: Record<string, string> = {};
    for (const [k, v] of h) out[k.toLowerCase()] = keys.has(k.toLowerCase()) ? REDACTED : cap(v, 1000);
    return out;
  };
  const body = (b: unknown): string | undefined => {
    if (typeof b !== "string") return b == null ? undefined : `[${Object.prototype.toString.call(b).slice(8, -1)}]`;
    try {
      const parsed = JSON.parse(b) as unknown;
      if (parsed && typeof parsed === "object") return cap(JSON.stringify(redactJSON(parsed, keys)), maxBody);
    } catch {
      // not JSON
    }
    try {
      if (/^[^=&\s]+=[^&]*(&[^=&\s]+=[^&]*)*$/.test(b)) {
        const p = new URLSearchParams(b);
        for (const k of [...p.keys()]) if (keys.has(k.toLowerCase())) p.set(k, REDACTED);
        return cap(p.toString(), maxBody);
      }
    } catch {
      // not a form
    }
    return cap(b, maxBody);
  };
  const size = (b: unknown): number | undefined =>
    // byteLength: an ArrayBuffer or any view of one.
    typeof b === "string" ? b.length : b instanceof Blob ? b.size : (b as ArrayBufferView | null)?.byteLength;
  const done = (c: Call) => emit("reel.network", c);

  const undo: (() => void)[] = [];

  const origFetch = window.fetch;
  if (typeof origFetch === "function") {
    const wrapped = function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      let c: Call | null = null;
      let detail = false;
      const start = performance.now();
      try {
        const req = input instanceof Request ? input : null;
        const url = abs(req ? req.url : String(input));
        if (!skip(url)) {
          detail = allowed(url);
          c = { method: (init?.method || req?.method || "GET").toUpperCase(), url, status: 0, durationMs: 0, requestSize: size(init?.body) };
          if (detail) {
            c.requestHeaders = headers(new Headers(init?.headers || req?.headers || undefined));
            c.requestBody = body(init?.body);
          }
        }
      } catch {
        c = null;
      }
      const p = origFetch.call(window, input, init);
      if (!c) return p;
      const call = c;
      p.then(
        (res) => {
          try {
            call.status = res.status;
            call.durationMs = Math.round(performance.now() - start);
            const len = res.headers.get("content-length");
            if (len) call.responseSize = Number(len);
            if (!detail) return done(call);
            call.responseHeaders = headers(res.headers);
            res
              .clone()
              .text()
              .then(
                (t) => {
                  call.responseSize = t.length;
                  call.responseBody = body(t);
                  done(call);
                },
                () => done(call),
              );
          } catch {
            done(call);
          }
        },
        (err: unknown) => {
          call.durationMs = Math.round(performance.now() - start);
          call.failure = (err as Error)?.name === "AbortError" ? "abort" : "network";
          done(call);
        },
      );
      return p;
    };
    window.fetch = wrapped as typeof fetch;
    undo.push(() => {
      if (window.fetch === wrapped) window.fetch = origFetch;
    });
  }

  const X = typeof XMLHttpRequest === "function" ? XMLHttpRequest.prototype : null;
  if (X) {
    const { open, send, setRequestHeader } = X;
    type Tracked = XMLHttpRequest & { __reel?: Call & { start: number; detail: boolean; h: [string, string][] } };
    X.open = function (this: Tracked, method: string, url: string | URL, ...rest: unknown[]) {
      try {
        const u = abs(String(url));
        this.__reel = skip(u) ? undefined : { method: String(method).toUpperCase(), url: u, status: 0, durationMs: 0, start: 0, detail: allowed(u), h: [] };
      } catch {
        this.__reel = undefined;
      }
      return (open as (...a: unknown[]) => void).call(this, method, url, ...rest);
    } as typeof X.open;
    X.setRequestHeader = function (this: Tracked, k: string, v: string) {
      try {
        this.__reel?.h.push([k, v]);
      } catch {
        // ignore
      }
      return setRequestHeader.call(this, k, v);
    };
    X.send = function (this: Tracked, b?: Document | XMLHttpRequestBodyInit | null) {
      const r = this.__reel;
      if (r) {
        try {
          r.start = performance.now();
          r.requestSize = size(b);
          if (r.detail) {
            r.requestHeaders = headers(r.h);
            r.requestBody = body(b);
          }
          let failure: string | undefined;
          const fail = (kind: string) => () => (failure = kind);
          this.addEventListener("error", fail("network"));
          this.addEventListener("abort", fail("abort"));
          this.addEventListener("timeout", fail("timeout"));
          this.addEventListener("loadend", () => {
            try {
              const { start, detail, h: _h, ...call } = r;
              call.durationMs = Math.round(performance.now() - start);
              call.status = this.status;
              if (failure) call.failure = failure;
              const len = this.getResponseHeader("content-length");
              if (len) call.responseSize = Number(len);
              if (detail && !failure) {
                const rh: [string, string][] = [];
                for (const line of this.getAllResponseHeaders().trim().split(/\r?\n/)) {
                  const i = line.indexOf(":");
                  if (i > 0) rh.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
                }
                call.responseHeaders = headers(rh);
                if (this.responseType === "" || this.responseType === "text") {
                  call.responseSize = this.responseText.length;
                  call.responseBody = body(this.responseText);
                }
              }
              done(call);
            } catch {
              // ignore
            }
          });
        } catch {
          // ignore
        }
      }
      return send.call(this, b);
    };
    undo.push(() => Object.assign(X, { open, send, setRequestHeader }));
  }
  return () => undo.forEach((f) => f());
}

function redactJSON(v: unknown, keys: Set<string>, depth = 0): unknown {
  if (!v || typeof v !== "object" || depth > 20) return v;
  if (Array.isArray(v)) return v.map((x) => redactJSON(x, keys, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = keys.has(k.toLowerCase()) ? REDACTED : redactJSON(x, keys, depth + 1);
  return out;
}
