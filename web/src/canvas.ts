// Paints recorded canvas content into the replay frame from this (the parent) page.
//
// rrweb replays canvas only with UNSAFE_replayCanvas, which gives the replay frame
// allow-scripts; recorded pages are untrusted, so Reel keeps the frame script-free and draws
// here instead: the frame is same-origin, so its canvas elements' 2D contexts are reachable
// from the dashboard's own code. Images are decoded in this page, never in the frame.
//
// A document that runs no scripts renders a <canvas> as its fallback content, never as its
// bitmap (HTML: "when scripting is disabled, the canvas represents its fallback content"). So
// the replayed canvas keeps its bitmap as a store (commands accumulate on it as recorded),
// and after each painted frame its picture is copied, through a canvas of this page, into an
// <img data-reel-canvas> put inside it as its only shown fallback content: the canvas element,
// its id in rrweb's mirror and the page's CSS for it stay; the frame's rules (CANVAS_RULES,
// given to the Replayer) size it as a canvas would be sized and hide its own fallback.
import type { Replayer } from "rrweb";
import type { RREvent } from "./api";
import { INCREMENTAL, SRC_CANVAS_MUTATION } from "./timeline";

type Ctx = CanvasRenderingContext2D;

/** Marks the picture of a replayed canvas (an <img> inside it). */
export const CANVAS_IMG_ATTR = "data-reel-canvas";

/**
 * Rules for the replay frame. With no scripts a canvas lays out as an ordinary (inline)
 * element around its fallback; these make it lay out as the replaced element it was: an
 * inline-block as wide as its picture unless the page's CSS says otherwise (zero specificity,
 * so any rule of the page wins), with the picture filling it and keeping its aspect ratio when
 * only a width is set, and the page's own fallback content hidden.
 */
export const CANVAS_RULES = [
  `:where(canvas) { display: inline-block; width: fit-content; }`,
  `canvas > img[${CANVAS_IMG_ATTR}] { display: block !important; width: 100% !important; height: 100% !important; max-width: none !important; min-width: 0 !important; margin: 0 !important; padding: 0 !important; border: 0 !important; position: static !important; visibility: inherit !important; opacity: 1 !important; transform: none !important; pointer-events: none !important; }`,
  `canvas > :not(img[${CANVAS_IMG_ATTR}]) { display: none !important; }`,
];

function b64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image(); // this page's document, not the frame's
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("canvas image did not decode"));
    img.src = src;
  });
}

/** Turns rrweb's serialized canvas arguments back into values (images decoded here). */
async function arg(v: any): Promise<any> {
  if (Array.isArray(v)) return Promise.all(v.map(arg));
  if (typeof v === "string" && v.startsWith("data:image/")) return loadImage(v);
  if (!v || typeof v !== "object" || typeof v.rr_type !== "string") return v;
  switch (v.rr_type) {
    case "ArrayBuffer":
      return b64ToBytes(v.base64).buffer;
    case "Blob": {
      const parts = await Promise.all((v.data || []).map(arg));
      return new Blob(parts, { type: v.type });
    }
    case "ImageBitmap": {
      const [src] = await Promise.all((v.args || []).map(arg));
      if (src instanceof Blob) return createImageBitmap(src);
      return src;
    }
    case "HTMLImageElement":
      return typeof v.src === "string" && /^(data:image\/|blob:)/.test(v.src) ? loadImage(v.src) : null;
    case "ImageData": {
      const [data, w, h] = await Promise.all((v.args || []).map(arg));
      return new ImageData(new Uint8ClampedArray(data), w, h);
    }
    default:
      // Typed arrays, Path2D, gradients…: shapes we do not rebuild. Drawn without them.
      return null;
  }
}

// Only drawing commands are replayed; anything else on a context is ignored.
const ALLOWED = /^(clearRect|fillRect|strokeRect|fillText|strokeText|drawImage|putImageData|beginPath|closePath|moveTo|lineTo|arc|arcTo|rect|roundRect|ellipse|quadraticCurveTo|bezierCurveTo|fill|stroke|clip|save|restore|translate|rotate|scale|setTransform|resetTransform|transform|setLineDash|fillStyle|strokeStyle|lineWidth|lineCap|lineJoin|font|textAlign|textBaseline|globalAlpha|globalCompositeOperation|shadowBlur|shadowColor|shadowOffsetX|shadowOffsetY|miterLimit|lineDashOffset|imageSmoothingEnabled|direction|filter)$/;

async function apply(ctx: Ctx, commands: any[]): Promise<void> {
  // Decode every image first, then draw synchronously so a frame is never half painted.
  const resolved = await Promise.all(commands.map(async (c) => ({ c, args: await arg(c.args || []) })));
  for (const { c, args } of resolved) {
    const prop = String(c.property || "");
    if (!ALLOWED.test(prop)) continue;
    try {
      const target = ctx as any;
      if (c.setter) target[prop] = args[0];
      else if (typeof target[prop] === "function") {
        if (prop === "drawImage" && !args[0]) continue;
        target[prop](...args);
      }
    } catch {
      // A command that does not fit (an image that failed to decode) is skipped.
    }
  }
}

/**
 * Follows a Replayer and paints canvas mutations (rrweb IncrementalSource 9, 2D context) and
 * canvases' initial pictures (rr_dataURL) onto the replayed canvases.
 */
export class CanvasPainter {
  private queues = new Map<number, Promise<void>>();
  private gen = new Map<number, number>();
  /** Canvases whose picture is being copied out, and those changed again meanwhile. */
  private copying = new Set<HTMLCanvasElement>();
  private dirty = new Set<HTMLCanvasElement>();
  private urls = new Map<HTMLCanvasElement, string>();
  private scratch = document.createElement("canvas"); // this page's, so toBlob runs here
  private destroyed = false;
  /** Frames queued or being painted, and pictures being copied out. */
  private pending = 0;
  painted = 0;
  /** Pictures on screen (copies into the <img> that loaded). */
  shown = 0;

  constructor(private r: Replayer) {
    r.on("event-cast", (e: any) => this.onEvent(e as RREvent));
    r.on("fullsnapshot-rebuilded", () => this.paintSnapshots());
  }

  private canvas(id: number): HTMLCanvasElement | null {
    const n = this.r.getMirror().getNode(id) as any;
    return n && n.nodeName === "CANVAS" ? (n as HTMLCanvasElement) : null;
  }

  private enqueue(id: number, job: () => Promise<void>, supersedes: boolean): void {
    // A frame that starts with clearRect of the whole canvas makes earlier pending frames moot:
    // while seeking, hundreds of frames are cast at once and only the last one matters.
    const g = (this.gen.get(id) || 0) + (supersedes ? 1 : 0);
    this.gen.set(id, g);
    const prev = this.queues.get(id) || Promise.resolve();
    this.busy(+1);
    const next = prev.then(async () => {
      if (this.gen.get(id) !== g) return this.busy(-1);
      try {
        await job();
        this.painted++;
        const c = this.canvas(id);
        if (c) this.show(c);
      } catch {
        // Undecodable frame: keep the previous picture.
      }
      this.busy(-1);
    });
    this.queues.set(id, next);
  }

  /**
   * Copies the canvas's bitmap into its <img>. One copy at a time per canvas; a canvas painted
   * again while its copy is made is copied once more afterwards (while seeking, hundreds of
   * frames collapse into the last).
   */
  private show(c: HTMLCanvasElement): void {
    if (this.destroyed) return;
    if (this.copying.has(c)) {
      this.dirty.add(c);
      return;
    }
    this.copying.add(c);
    this.busy(+1);
    const done = () => {
      this.copying.delete(c);
      this.busy(-1);
      if (this.dirty.delete(c)) this.show(c);
    };
    const w = c.width;
    const h = c.height;
    if (!w || !h) return done();
    const s = this.scratch;
    s.width = w;
    s.height = h;
    const sctx = s.getContext("2d");
    if (!sctx) return done();
    sctx.clearRect(0, 0, w, h);
    sctx.drawImage(c, 0, 0);
    s.toBlob((blob) => {
      if (!blob || this.destroyed || !c.isConnected) return done();
      const doc = c.ownerDocument;
      let img = c.querySelector(`:scope > img[${CANVAS_IMG_ATTR}]`) as HTMLImageElement | null;
      if (!img) {
        img = doc.createElement("img");
        img.setAttribute(CANVAS_IMG_ATTR, "");
        img.alt = "";
        c.appendChild(img);
      }
      const url = URL.createObjectURL(blob);
      const old = this.urls.get(c);
      this.urls.set(c, url);
      // The intrinsic size is the canvas's, as a canvas's default size is its width and height.
      img.width = w;
      img.height = h;
      const el = img;
      el.onload = el.onerror = () => {
        if (old) URL.revokeObjectURL(old);
        if (el.src === url) {
          this.shown++;
          el.dataset.frame = String(this.shown);
        }
        done();
      };
      el.src = url;
    }, "image/png");
  }

  /**
   * Counts work in progress and marks the replay frame `data-canvas-busy` while there is some:
   * after a seek, pictures appear a little after the page, and whoever compares the replay
   * with a screenshot (bench/real-apps) waits for them.
   */
  private busy(d: number): void {
    this.pending += d;
    const f = this.r.iframe;
    if (this.pending > 0) f.dataset.canvasBusy = "1";
    else delete f.dataset.canvasBusy;
  }

  destroy(): void {
    this.destroyed = true;
    for (const u of this.urls.values()) URL.revokeObjectURL(u);
    this.urls.clear();
  }

  private onEvent(e: RREvent): void {
    if (e.type !== INCREMENTAL || !e.data || e.data.source !== SRC_CANVAS_MUTATION) return;
    const d = e.data;
    if (d.type !== undefined && d.type !== 0) return; // WebGL is not replayed
    const commands: any[] = Array.isArray(d.commands) ? d.commands : [d];
    const id = d.id;
    const first = commands[0];
    const supersedes = !!first && (first.property === "clearRect" || (first.property === "drawImage" && commands.length === 1));
    this.enqueue(
      id,
      async () => {
        const c = this.canvas(id);
        const ctx = c && c.getContext("2d");
        if (ctx) await apply(ctx, commands);
      },
      supersedes,
    );
  }

  /** Draws each canvas's recorded picture from the full snapshot. */
  private paintSnapshots(): void {
    const doc = this.r.iframe.contentDocument;
    if (!doc) return;
    const mirror = this.r.getMirror();
    doc.querySelectorAll("canvas").forEach((c) => {
      const meta = mirror.getMeta(c) as any;
      const url = meta && meta.attributes && meta.attributes.rr_dataURL;
      if (typeof url !== "string" || !url.startsWith("data:image/")) return;
      this.enqueue(
        mirror.getId(c),
        async () => {
          const img = await loadImage(url);
          const ctx = c.getContext("2d");
          if (ctx) {
            ctx.clearRect(0, 0, c.width, c.height);
            ctx.drawImage(img, 0, 0);
          }
        },
        true,
      );
    });
  }
}
