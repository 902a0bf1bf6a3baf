// Canvas recording, built as reel-canvas.js and loaded by reel.js from the Reel server only
// once the page has a <canvas> (docs/sdk-performance.md). rrweb's own canvas sampler is not
// used: it runs a requestAnimationFrame loop for the page's whole life, canvas or not, which
// keeps the browser producing frames and cost more main-thread time than the rest of the SDK.
//
// Every 1000/fps ms each canvas is copied into an ImageBitmap (a GPU copy) and handed to a
// worker, which encodes it as PNG (WebP when the PNG is large) and returns its base64; a frame
// equal to the last one sent for that canvas is dropped. A frame carries the time it was
// copied, not the later time its encoding came back, so a replay at a moment shows the canvas
// as it was then. Frames are rrweb CanvasMutation events in the shape rrweb's
// sampler emits (clearRect + drawImage of an ImageBitmap made from a Blob), so any rrweb
// player replays them. Where a worker cannot start (a CSP without blob: workers), the canvas
// encodes itself with toBlob, which browsers also do off the main thread.

/** What reel.js leaves in `window.reelCanvas` for this module. */
export interface CanvasHook {
  /** rrweb's mirror: node ids of the canvases. */
  m: { getId(n: Node): number };
  /** Emits the data of an IncrementalSnapshot event, stamped `at` (ms since epoch). */
  e: (data: Record<string, unknown>, at: number) => void;
  /** Frames per second at most. */
  f: number;
  /** Selector of blocked elements (their canvases are not recorded). */
  b: string;
  /** Set here: forget what was sent (a new full snapshot needs every canvas again). */
  r?: () => void;
  /** Set here: stop recording canvases. */
  s?: () => void;
}

const QUALITY = 0.6;
/**
 * A frame is sent as PNG, exact and quick to encode, unless that takes more bytes per pixel
 * than this (a photo, a 3D scene): then as WebP at QUALITY. Lossy WebP halves the colour
 * resolution, which turned a chart's anti-aliased text and thin lines visibly different in
 * the replay; a chart is a few hundredths of a byte per pixel as PNG.
 */
const PNG_MAX_BYTES_PER_PIXEL = 0.25;

// The worker's source; it must not refer to anything outside itself.
function encoder(): void {
  const blank: Record<string, string> = {};
  const b64 = (buf: ArrayBuffer) => {
    const u = new Uint8Array(buf);
    let s = "";
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000) as unknown as number[]);
    return btoa(s);
  };
  const encode = async (c: OffscreenCanvas, q: number, max: number) => {
    let blob = await c.convertToBlob({ type: "image/png" });
    if (blob.size > max * c.width * c.height) blob = await c.convertToBlob({ type: "image/webp", quality: q });
    return [blob.type, b64(await blob.arrayBuffer())];
  };
  self.onmessage = async (ev: MessageEvent) => {
    const { id, at, bmp, q, max } = ev.data as { id: number; at: number; bmp: ImageBitmap; q: number; max: number };
    const w = bmp.width;
    const h = bmp.height;
    try {
      const c = new OffscreenCanvas(w, h);
      // convertToBlob needs a context, even for the blank frame.
      const g = c.getContext("2d")!;
      const size = w + "x" + h;
      blank[size] ||= (await encode(c, q, max))[1];
      g.drawImage(bmp, 0, 0);
      const [type, data] = await encode(c, q, max);
      (self as unknown as Worker).postMessage({ id, at, w, h, type, data, blank: data === blank[size] });
    } catch {
      (self as unknown as Worker).postMessage({ id });
    } finally {
      bmp.close();
    }
  };
}

function start(hook: CanvasHook): void {
  const canvases = document.getElementsByTagName("canvas");
  /** The last frame sent per canvas id. */
  const last = new Map<number, string>();
  const busy = new Set<number>();
  let worker: Worker | null = null;
  try {
    worker = new Worker(URL.createObjectURL(new Blob([`(${encoder})()`], { type: "text/javascript" })));
    worker.onmessage = (ev) => done(ev.data);
    // A CSP that forbids blob: workers says so only now; the next frames encode on this thread.
    worker.onerror = () => {
      worker?.terminate();
      worker = null;
      busy.clear();
    };
  } catch {
    worker = null;
  }

  function done(d: { id: number; at?: number; w?: number; h?: number; type?: string; data?: string; blank?: boolean }): void {
    busy.delete(d.id);
    const { id, data } = d;
    if (!data || last.get(id) === data || (d.blank && !last.has(id))) return;
    last.set(id, data);
    hook.e(
      {
        source: 9,
        id,
        type: 0,
        commands: [
          { property: "clearRect", args: [0, 0, d.w, d.h] },
          { property: "drawImage", args: [{ rr_type: "ImageBitmap", args: [{ rr_type: "Blob", data: [{ rr_type: "ArrayBuffer", base64: data }], type: d.type }] }, 0, 0] },
        ],
      },
      d.at || Date.now(),
    );
  }

  const tick = () => {
    for (const c of Array.from(canvases)) {
      const id = hook.m.getId(c);
      if (id < 0 || busy.has(id) || !c.width || !c.height || (hook.b && c.closest(hook.b))) continue;
      busy.add(id);
      const at = Date.now();
      if (worker) {
        const w = worker;
        createImageBitmap(c).then(
          (bmp) => w.postMessage({ id, at, bmp, q: QUALITY, max: PNG_MAX_BYTES_PER_PIXEL }, [bmp]),
          () => busy.delete(id),
        );
      } else {
        const send = (blob: Blob | null) => {
          if (!blob) return busy.delete(id);
          if (blob.type === "image/png" && blob.size > PNG_MAX_BYTES_PER_PIXEL * c.width * c.height) return c.toBlob(send, "image/webp", QUALITY);
          const r = new FileReader();
          r.onloadend = () => done({ id, at, w: c.width, h: c.height, type: blob.type, data: String(r.result).split(",")[1] });
          r.readAsDataURL(blob);
        };
        c.toBlob(send, "image/png");
      }
    }
  };
  const timer = setInterval(tick, 1000 / Math.max(0.1, Math.min(hook.f || 2, 10)));
  tick();
  hook.r = () => last.clear();
  hook.s = () => {
    clearInterval(timer);
    worker?.terminate();
  };
}

const hook = (window as unknown as { reelCanvas?: CanvasHook }).reelCanvas;
if (hook && !hook.s) start(hook);
