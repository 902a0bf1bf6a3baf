// The player's privacy view: outlines, over the replay, what the recording holds masked,
// blocked or scrubbed, in the colours and with the legend of the SDK's privacy preview overlay
// (sdk/src/preview.ts), so a site owner reads both the same way (docs/player.md#privacy-view).
//  - masked: text rrweb masked in the browser (every character but whitespace sent as `*`) and
//    fields whose value was sent masked;
//  - blocked: elements rrweb replaced by a placeholder (sent with `rr_width`/`rr_height` and no
//    content, which the replayer's mirror still holds for each node);
//  - scrubbed: text, values and attributes holding runs of U+2588 `█`, the server scrubber's mask.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Engine } from "./engine";

export type Kind = "masked" | "blocked" | "scrubbed";

/** The same colours as the preview overlay (sdk/src/preview.ts COLORS). */
export const COLORS: Record<Kind, string> = { masked: "#0066ff", blocked: "#ff00aa", scrubbed: "#ff8800" };
const LABELS: Record<Kind, string> = {
  masked: "masked in the browser",
  blocked: "blocked (sent as an empty box)",
  scrubbed: "scrubbed by the server",
};
const KINDS: Kind[] = ["masked", "blocked", "scrubbed"];

const MASKED = /^[\s*]*\*[\s*]*$/;
const SCRUB_RUN = /█+/g;
const ATTRS = ["title", "alt", "href", "src", "placeholder", "aria-label", "value"];

export interface Findings {
  masked: Set<Element>;
  blocked: Set<Element>;
  scrubbed: Set<Element>;
  /** Values the server scrubbed (runs of █) on the page as it is now. */
  scrubbedRuns: number;
}

interface MirrorLike {
  getMeta(n: Node): { type: number; attributes?: Record<string, unknown> } | null;
}

/** Finds what is masked, blocked and scrubbed in the replay's document as it is now. */
export function findPrivacy(doc: Document, mirror: MirrorLike | null): Findings {
  const f: Findings = { masked: new Set(), blocked: new Set(), scrubbed: new Set(), scrubbedRuns: 0 };
  const runs = (s: string) => s.match(SCRUB_RUN)?.length || 0;
  const walker = doc.createTreeWalker(doc.documentElement, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n: Node | null = walker.currentNode; n; n = walker.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) {
      const p = n.parentElement;
      const t = n.textContent || "";
      if (!p || p.tagName === "STYLE" || p.tagName === "SCRIPT") continue;
      if (MASKED.test(t)) f.masked.add(p);
      const k = runs(t);
      if (k) {
        f.scrubbed.add(p);
        f.scrubbedRuns += k;
      }
      continue;
    }
    const e = n as Element;
    const meta = mirror?.getMeta(e);
    if (meta?.attributes && "rr_width" in meta.attributes) f.blocked.add(e);
    if (e instanceof (doc.defaultView as any).HTMLInputElement || e instanceof (doc.defaultView as any).HTMLTextAreaElement) {
      const v = (e as HTMLInputElement).value;
      if (v && MASKED.test(v)) f.masked.add(e);
      if (runs(v)) {
        f.scrubbed.add(e);
        f.scrubbedRuns += runs(v);
      }
    }
    for (const a of ATTRS) {
      const v = a === "value" ? null : e.getAttribute(a);
      if (v && runs(v)) {
        f.scrubbed.add(e);
        f.scrubbedRuns += runs(v);
      }
    }
  }
  return f;
}

/**
 * Draws the findings over the stage while on, refreshed a few times a second (the replay
 * changes as it plays), with a legend and counts.
 */
export function PrivacyLayer({ engine, stage }: { engine: Engine | null; stage: HTMLElement | null }) {
  const layer = useRef<HTMLDivElement>(null);
  const [counts, setCounts] = useState<Record<Kind, number> & { runs: number }>({ masked: 0, blocked: 0, scrubbed: 0, runs: 0 });
  useEffect(() => {
    let last = "";
    const draw = () => {
      const r = engine?.r;
      const el = layer.current;
      const doc = r?.iframe?.contentDocument;
      if (!r || !el || !stage || !doc?.documentElement) return;
      const f = findPrivacy(doc, r.getMirror() as unknown as MirrorLike);
      const frame = r.iframe.getBoundingClientRect();
      const scale = r.iframe.clientWidth ? frame.width / r.iframe.clientWidth : 1;
      const base = stage.getBoundingClientRect();
      const boxes: HTMLElement[] = [];
      KINDS.forEach((k, i) => {
        for (const e of f[k]) {
          const b = e.getBoundingClientRect();
          if (!b.width && !b.height) continue;
          const inset = 3 + 3 * i;
          const d = document.createElement("div");
          d.className = "privacy-box";
          d.dataset.kind = k;
          d.style.left = `${frame.left - base.left + (b.left - inset) * scale}px`;
          d.style.top = `${frame.top - base.top + (b.top - inset) * scale}px`;
          d.style.width = `${(b.width + 2 * inset) * scale}px`;
          d.style.height = `${(b.height + 2 * inset) * scale}px`;
          d.style.borderColor = COLORS[k];
          boxes.push(d);
        }
      });
      el.replaceChildren(...boxes);
      const c = { masked: f.masked.size, blocked: f.blocked.size, scrubbed: f.scrubbed.size, runs: f.scrubbedRuns };
      const key = JSON.stringify(c);
      if (key !== last) {
        last = key;
        setCounts(c);
      }
    };
    draw();
    const timer = setInterval(draw, 250);
    return () => {
      clearInterval(timer);
      layer.current?.replaceChildren();
    };
  }, [engine, stage]);
  return (
    <>
      <div class="privacy-layer" ref={layer} data-testid="privacy-layer" />
      <ul class="privacy-legend" data-testid="privacy-legend">
        {KINDS.map((k) => (
          <li key={k} data-kind={k}>
            <span class="swatch" style={{ borderColor: COLORS[k] }} />
            {LABELS[k]}: {counts[k]} {counts[k] === 1 ? "element" : "elements"}
            {k === "scrubbed" && counts.runs > 0 ? ` (${counts.runs} ${counts.runs === 1 ? "value" : "values"})` : ""}
          </li>
        ))}
      </ul>
    </>
  );
}
