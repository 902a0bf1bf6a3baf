// Paints recorded canvas content into the replay frame from this (the parent) page.
//
// rrweb replays canvas only with UNSAFE_replayCanvas, which gives the replay frame
// allow-scripts; recorded pages are untrusted, so Reel keeps the frame script-free and draws
// here instead: the frame is same-origin, so its canvas elements' 2D contexts are reachable
// from the dashboard's own code. Images are decoded in this page, never in the frame.
import type { Replayer } from "rrweb";
import type { RREvent } from "./api";
import { INCREMENTAL, SRC_CANVAS_MUTATION } from "./timeline";

type Ctx = CanvasRenderingContext2D;

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
  painted = 0;

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
    const next = prev.then(async () => {
      if (this.gen.get(id) !== g) return;
      try {
        await job();
        this.painted++;
      } catch {
        // Undecodable frame: keep the previous picture.
      }
    });
    this.queues.set(id, next);
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
