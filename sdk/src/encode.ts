// Encoding a batch for the wire (delta encoding of ids and timestamps, then gzip) runs in a
// worker: for a batch of half a megabyte it is tens of milliseconds of main-thread time that
// plain rrweb never spends, at every flush. The worker is made from this file's own source
// (a Blob URL: nothing to fetch), so the functions it runs must refer to nothing outside
// themselves. Where a page's CSP forbids blob: workers, encoding falls back to the main thread.

/**
 * Adds `sentAt` to a batch and delta-encodes its node ids and timestamps (docs/wire-format.md,
 * `enc=delta`): rrweb numbers nodes in document order and timestamps climb, so the differences
 * are small and repeat, and gzip makes a batch 15–45% smaller. It works on the JSON text, as
 * the server's inverse does, so the two agree on any text. A number too long to be exact in a
 * double leaves the batch unencoded. Returns the URL and body to send.
 */
export function stamp(url: string, json: string): [string, string] {
  const prev: Record<string, number> = {};
  let exact = 1;
  json = `{"sentAt":${Date.now()},${json.slice(1)}`;
  // Integers only: "-0.5" would lose its sign as a difference.
  const packed = json.replace(/"(id|nextId|parentId|timestamp)":(-?\d+)(?![\d.eE])/g, (_, k: string, v: string) => {
    if (v.length > 15) exact = 0;
    const from = k[0] == "n" ? "i" : k[0];
    const d = +v - (prev[from] || 0);
    if (from == k[0]) prev[from] = +v;
    return `"${k}":${d}`;
  });
  return exact ? [url + "&enc=delta", packed] : [url, json];
}

export function gzip(text: string): Promise<Blob> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(stream).blob();
}

/**
 * Stamps, delta-encodes and gzips a batch on this thread: the URL to post it to and the body.
 * What the worker does (encodeAndPost), for when there is none or it failed.
 */
export async function encode(url: string, json: Text): Promise<[string, Blob]> {
  const [u, j] = stamp(url, joined(json));
  return [u, await gzip(j)];
}

/** A batch's JSON, or its head and its events' JSON (CutBatch), joined where it is encoded. */
export type Text = string | [string, string[]];

export const joined = (t: Text) => (typeof t == "string" ? t : t[0] + t[1].join(",") + "]}");

/**
 * What a request made by the worker got: its status (0: the request failed; -1: not made, the
 * batch was taken over), its Retry-After and, for a 409, the answer's text.
 */
export type Answer = [status: number, retryAfter: string | null, text: string];

interface Job {
  /** Asked once the body is ready, just before the request, whether to make it. */
  ask: () => boolean;
  done: (a: Answer) => void;
  fail: (e: unknown) => void;
}

/** undefined: not tried yet; null: unavailable (main thread then). */
let worker: Worker | null | undefined;
const jobs = new Map<number, Job>();
let next = 0;

/**
 * The worker's request (post() in transport.ts makes the same one on the main thread): the
 * answer is read to its end, and its text kept only for a 409 (the assets the server lacks).
 */
async function postHere(url: string, body: Blob): Promise<Answer> {
  try {
    const res = await fetch(url, { method: "POST", body, credentials: "omit", headers: { "Content-Type": "text/plain" } });
    const text = await res.text().catch(() => "");
    return [res.status, res.headers.get("Retry-After"), res.status == 409 ? text : ""];
  } catch {
    return [0, null, ""];
  }
}

function start(): Worker | null {
  try {
    // A job asks the page ({i,q}) before its request and waits for the go ({g,ok}): the page
    // may have sent the batch itself meanwhile (Sender.leave, with keepalive). A job whose
    // encoding failed answers {i} alone.
    const src = `const stamp=${stamp},gzip=${gzip},joined=${joined},postHere=${postHere},go=new Map;onmessage=async(e)=>{const{i,u,j,g,ok}=e.data;if(g){go.get(g)?.(ok);go.delete(g);return}let v,t,b;try{[v,t]=stamp(u,joined(j));b=await gzip(t)}catch{return postMessage({i})}postMessage({i,a:await new Promise(r=>{go.set(i,r);postMessage({i,q:1})})?await postHere(v,b):[-1,null,""]})}`;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
    w.onmessage = (e: MessageEvent<{ i: number; a?: Answer; q?: 1 }>) => {
      const job = jobs.get(e.data.i);
      if (!job) return;
      if (e.data.q) return w.postMessage({ g: e.data.i, ok: job.ask() });
      jobs.delete(e.data.i);
      if (e.data.a) job.done(e.data.a);
      else job.fail(new Error("encoding failed in the worker"));
    };
    // A worker that cannot start (CSP) says so only now: what it was given is done here.
    w.onerror = () => {
      worker = null;
      w.terminate();
      for (const job of jobs.values()) job.fail(new Error("no worker"));
      jobs.clear();
    };
    return w;
  } catch {
    return null;
  }
}

/**
 * Starts the worker before the first batch needs it, once the page is idle: starting a worker
 * (its source, a Blob URL, the thread) is main-thread time better spent then than at a flush
 * while the visitor acts.
 */
export function prepare(): void {
  if (worker === undefined) worker = start();
}

/**
 * Stamps, delta-encodes, gzips and posts a batch in the worker, so that neither the encoding
 * nor the request and its answer cost the main thread (the request ends with the page: no
 * keepalive from a worker). `ask` is asked just before the request; false calls it off
 * (status -1). Rejects when there is no worker or it failed: the caller then does it here.
 */
export function encodeAndPost(url: string, json: Text, ask: () => boolean): Promise<Answer> {
  prepare();
  const w = worker;
  if (!w) return Promise.reject(new Error("no worker"));
  return new Promise((done, fail) => {
    jobs.set(++next, { ask, done, fail });
    w.postMessage({ i: next, u: url, j: json });
  });
}
