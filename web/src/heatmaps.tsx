// Heatmaps: clicks and scroll depth of one page (GET /api/v1/heatmaps), drawn over a replay of a
// recent view of that page. The replay runs in rrweb's script-free sandboxed frame, paused; the
// heat is painted from this page onto a canvas laid over it. Clicks are placed on the element
// their selector finds in the replayed document, at the same place within its box, so the heat
// follows elements that moved; a selector that finds nothing falls back to the page position.
import { useEffect, useRef, useState } from "preact/hooks";
import { Replayer } from "rrweb";
import { applyArchive, archiveMap, type ArchiveMap } from "./archive";
import { api, ApiError, sessionSource, streamEvents, type Heatmap, type RREvent } from "./api";
import { Link, ProjectPicker, useProjects, withParam } from "./nav";
import { navigate } from "./router";

const DEVICES = ["all", "desktop", "mobile", "tablet"];
const MAX_HEIGHT = 12000; // px of page drawn: a canvas taller than this costs more than it shows
const RADIUS = 22;

/** 256 colours from cold to hot (blue, cyan, green, yellow, red), as RGB triples. */
const PALETTE = (() => {
  const stops = [
    [0, 0, 255],
    [0, 255, 255],
    [0, 255, 0],
    [255, 255, 0],
    [255, 0, 0],
  ];
  const out: number[][] = [];
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t));
    const f = t - k;
    out.push(stops[k].map((c, j) => Math.round(c + (stops[k + 1][j] - c) * f)));
  }
  return out;
})();

function rgb(share: number): string {
  const [r, g, b] = PALETTE[Math.max(0, Math.min(255, Math.round(share * 255)))];
  return `rgb(${r}, ${g}, ${b})`;
}

function pct(share: number): string {
  return Math.round(share * 100) + "%";
}

export function Heatmaps({ loc }: { loc: URL }) {
  const sp = loc.searchParams;
  const { projects, project, error: projectsError } = useProjects(sp.get("project"));
  const page = sp.get("page") || "";
  const device = DEVICES.includes(sp.get("device") || "") ? sp.get("device")! : "all";
  const mode = sp.get("mode") === "scroll" ? "scroll" : "click";
  const from = sp.get("from") || "";
  const to = sp.get("to") || "";
  const [draft, setDraft] = useState(page);
  const [data, setData] = useState<Heatmap | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(false);

  useEffect(() => setDraft(page), [page]);
  // The recorded pages with heat, offered as suggestions while typing the path.
  const [pages, setPages] = useState<{ path: string; sessions: number }[]>([]);
  useEffect(() => {
    setPages([]);
    if (!project) return;
    let live = true;
    api.heatPages(project).then(
      (r) => live && setPages(r.pages),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [project]);
  useEffect(() => {
    setData(null);
    setError("");
    if (projects === null || !project || !page) return;
    let live = true;
    setLoading(true);
    api.heatmap({ project, page, device, from, to }).then(
      (r) => {
        if (!live) return;
        setData(r);
        setLoading(false);
      },
      (err) => {
        if (!live || (err instanceof ApiError && err.status === 401)) return;
        setError(err instanceof Error ? err.message : String(err));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [projects, project, page, device, from, to]);

  const set = (key: string, value: string | null) => navigate(withParam(loc, key, value));
  const err = error || projectsError;
  const empty = data && data.clicks === 0 && data.scroll.views === 0;
  return (
    <main class="page heatmaps">
      <div class="titlebar">
        <h1>Heatmaps</h1>
        {data && !empty && (
          <span class="muted count" data-testid="heat-count">
            {data.clicks} {data.clicks === 1 ? "click" : "clicks"} in {data.sessions} {data.sessions === 1 ? "session" : "sessions"} ·{" "}
            {data.scroll.views} page {data.scroll.views === 1 ? "view" : "views"}
          </span>
        )}
        <div class="spacer" />
        <ProjectPicker projects={projects} project={project} loc={loc} />
      </div>
      <form
        class="heat-controls"
        onSubmit={(e) => {
          e.preventDefault();
          set("page", draft.trim() || null);
        }}
      >
        <input
          type="text"
          aria-label="Page"
          placeholder="/pricing or /blog/*"
          data-testid="heat-page"
          list="heat-pages"
          autoComplete="off"
          value={draft}
          onInput={(e) => setDraft(e.currentTarget.value)}
        />
        <datalist id="heat-pages" data-testid="heat-pages">
          {pages.map((p) => (
            <option value={p.path}>
              {p.sessions} {p.sessions === 1 ? "session" : "sessions"}
            </option>
          ))}
        </datalist>
        <button type="submit" class="primary" data-testid="heat-show">
          Show
        </button>
        <select aria-label="Device" data-testid="heat-device" value={device} onChange={(e) => set("device", e.currentTarget.value === "all" ? null : e.currentTarget.value)}>
          {DEVICES.map((d) => (
            <option value={d}>{d === "all" ? "All devices" : d[0].toUpperCase() + d.slice(1)}</option>
          ))}
        </select>
        <label class="muted">
          From <input type="date" aria-label="From" data-testid="heat-from" value={from} onChange={(e) => set("from", e.currentTarget.value || null)} />
        </label>
        <label class="muted">
          to <input type="date" aria-label="To" data-testid="heat-to" value={to} onChange={(e) => set("to", e.currentTarget.value || null)} />
        </label>
        <div class="chips" role="group" aria-label="Mode">
          {(["click", "scroll"] as const).map((m) => (
            <button type="button" class={"chip" + (mode === m ? " on" : "")} data-testid={"heat-mode-" + m} aria-pressed={mode === m} onClick={() => set("mode", m === "click" ? null : m)}>
              {m === "click" ? "Clicks" : "Scroll depth"}
            </button>
          ))}
        </div>
      </form>
      {err && <p class="error banner">{err}</p>}
      {!page && !err && (
        <section class="empty" data-testid="heat-empty">
          <h2>Pick a page</h2>
          <p>
            Enter a page path, such as <code>/pricing</code>, or a pattern where <code>*</code> matches any characters, such as{" "}
            <code>/blog/*</code>. Reel shows where visitors clicked and how far down they scrolled, over a replay of a recent visit.
          </p>
        </section>
      )}
      {loading && <p class="muted loading">Loading heatmap…</p>}
      {empty && (
        <section class="empty" data-testid="heat-empty">
          <h2>No clicks or scrolling recorded on {page}</h2>
          <p>
            Heatmaps are built from pages recorded with the Reel SDK: every click and how far each page view was scrolled. Check the path
            (it is the part of the address after the host, such as <code>/demo/cart.html</code>; <code>*</code> matches any characters),
            the device and the dates.
          </p>
          <p class="muted">
            Sessions are analysed while they are recorded, so the clicks of a visit you just made show up within a
            minute. <Link href="/">Sessions</Link> are listed right away.
          </p>
        </section>
      )}
      {data && !empty && <HeatView data={data} mode={mode} allDevices={device === "all"} />}
    </main>
  );
}

interface Placed {
  selector: string;
  clicks: number;
  found: boolean;
}

/** The replayed backdrop with the heat painted over it, and the legend beside it. */
function HeatView({ data, mode, allDevices }: { data: Heatmap; mode: "click" | "scroll"; allDevices: boolean }) {
  const stage = useRef<HTMLDivElement>(null);
  const [replayer, setReplayer] = useState<Replayer | null>(null);
  const [status, setStatus] = useState<"loading" | "ready" | "none" | "error">("loading");
  const [placed, setPlaced] = useState<Placed[]>([]);
  const b = data.backdrop;

  // Replay the backdrop page view, paused at its moment, with the frame as tall as the page.
  useEffect(() => {
    const el = stage.current;
    if (!el || !b) {
      setStatus("none");
      return;
    }
    let live = true;
    let r: Replayer | null = null;
    setStatus("loading");
    const evs: RREvent[] = [];
    const source = sessionSource(b.sessionId);
    // The archived copies of what the page referenced (archive.ts), asked for alongside.
    const copies = source.archive().then((r) => archiveMap(r.resources), () => new Map() as ArchiveMap);
    Promise.all([
      streamEvents(source.eventsURL({ tab: b.tab, from: b.at }), (batch) => evs.push(...batch), undefined, false),
      copies,
    ]).then(
      ([, m]) => {
        if (!live) return;
        applyArchive(evs, m);
        const upTo = evs.filter((e) => e.timestamp <= b.at + 1);
        if (!upTo.some((e) => e.type === 2)) {
          setStatus("error");
          return;
        }
        r = new Replayer(upTo as any, { root: el, mouseTail: false, showWarning: false, UNSAFE_replayCanvas: false, triggerFocus: false });
        r.iframe.setAttribute("referrerpolicy", "no-referrer");
        r.pause(Math.max(0, b.at - upTo[0].timestamp));
        // The frame's document is built synchronously by pause(); let its styles apply.
        requestAnimationFrame(() => {
          if (!live || !r) return;
          fit(el, r);
          setReplayer(r);
          setStatus("ready");
        });
      },
      () => live && setStatus("error"),
    );
    return () => {
      live = false;
      setReplayer(null);
      try {
        r?.destroy();
      } catch {
        // Already gone.
      }
      el.replaceChildren();
    };
  }, [b && b.sessionId, b && b.tab, b && b.at]);

  // Paint the heat over the replay (or over an empty page when there is no backdrop).
  useEffect(() => {
    const el = stage.current;
    if (!el || status === "loading") return;
    const doc = replayer ? replayer.iframe.contentDocument : null;
    const width = replayer ? replayer.iframe.offsetWidth : Math.max(360, ...data.elements.flatMap((e) => e.bins.map((x) => x.pageX + RADIUS)));
    const height = replayer ? replayer.iframe.offsetHeight : Math.min(MAX_HEIGHT, Math.max(600, ...data.elements.flatMap((e) => e.bins.map((x) => x.pageY + RADIUS))));
    let host: HTMLElement = el;
    if (replayer) host = replayer.wrapper;
    else {
      el.replaceChildren();
      host = document.createElement("div");
      host.className = "heat-blank";
      host.style.width = width + "px";
      host.style.height = height + "px";
      el.appendChild(host);
      fitBox(el, host, width, height);
    }
    const canvas = document.createElement("canvas");
    canvas.className = "heat-canvas";
    canvas.dataset.testid = "heat-canvas";
    canvas.width = width;
    canvas.height = height;
    host.appendChild(canvas);
    const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    const sy = doc && doc.defaultView ? doc.defaultView.scrollY : 0;
    if (mode === "click") setPlaced(paintClicks(ctx, data, doc, sy));
    else paintScroll(ctx, data, width, height);
    canvas.dataset.mode = mode;
    canvas.dataset.painted = "1";
    return () => canvas.remove();
  }, [replayer, status, data, mode]);

  const max = Math.max(1, ...data.elements.flatMap((e) => e.bins.map((x) => x.clicks)));
  return (
    <div class="heat-layout">
      <div class="heat-stage-wrap">
        {b && (
          <p class="muted heat-backdrop">
            Over a {b.device ? b.device + " " : ""}view of <code>{b.path}</code>
            {allDevices && b.device && (
              <span data-testid="heat-backdrop-device"> (the device with the most clicks; pick a device to see its own layout)</span>
            )}{" "}
            ·{" "}
            <Link href={b.url} data-testid="heat-backdrop-link">
              watch it
            </Link>
            {status === "error" && <span class="error"> · that view could not be replayed, showing positions only</span>}
          </p>
        )}
        {!b && <p class="muted heat-backdrop">No recorded view of this page to draw over; showing page positions.</p>}
        <div class="heat-stage" ref={stage} data-testid="heat-stage" data-status={status} />
      </div>
      <aside class="heat-side">
        {mode === "click" ? (
          <>
            <h3>Clicks</h3>
            <div class="heat-legend" aria-hidden="true" />
            <p class="muted heat-legend-labels">
              <span>1</span>
              <span>{max} per spot</span>
            </p>
            <table class="heat-table" data-testid="heat-elements">
              <tbody>
                {data.elements.slice(0, 25).map((e) => {
                  const p = placed.find((x) => x.selector === e.selector);
                  return (
                    <tr data-testid="heat-element" data-selector={e.selector}>
                      <td class="sel mono" title={e.selector + (p && !p.found ? " (not on this page view: drawn at page positions)" : "")}>
                        {e.selector}
                        {p && !p.found && <span class="muted"> *</span>}
                      </td>
                      <td class="num">{e.clicks}</td>
                      <td class="num muted">{pct(e.clicks / Math.max(1, data.clicks))}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {placed.some((p) => !p.found) && <p class="muted small">* not found in this view; drawn where they were clicked on the page.</p>}
          </>
        ) : (
          <>
            <h3>Scroll depth</h3>
            <p class="muted small">Share of {data.scroll.views} page views that reached each depth of the page.</p>
            <table class="heat-table" data-testid="heat-depths">
              <tbody>
                {data.scroll.reached.slice(1).map((d) => (
                  <tr data-testid="heat-depth" data-depth={d.depth}>
                    <td>{d.depth}% down</td>
                    <td class="bar">
                      <span class="fill" style={{ width: pct(d.share), background: rgb(d.share) }} />
                    </td>
                    <td class="num" data-testid="heat-depth-share">
                      {pct(d.share)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </aside>
    </div>
  );
}

/** Scales the replay to the stage's width and makes its frame as tall as the page. */
function fit(stage: HTMLElement, r: Replayer): void {
  const frame = r.iframe;
  const doc = frame.contentDocument;
  const width = frame.offsetWidth || Number(frame.width) || 1280;
  const height = Math.min(MAX_HEIGHT, Math.max(frame.offsetHeight, doc ? doc.documentElement.scrollHeight : 0));
  frame.style.height = height + "px";
  frame.setAttribute("height", String(height));
  fitBox(stage, r.wrapper, width, height);
}

function fitBox(stage: HTMLElement, box: HTMLElement, width: number, height: number): void {
  const scale = Math.min(1, (stage.clientWidth || width) / width);
  box.style.transform = `scale(${scale})`;
  box.style.left = Math.max(0, Math.round((stage.clientWidth - width * scale) / 2)) + "px";
  stage.style.height = Math.ceil(height * scale) + "px";
  stage.dataset.scale = String(scale);
}

/**
 * Paints the clicks: each bin on its element's box in the replayed document (so it follows the
 * element wherever this layout put it), or at its page position when the selector finds
 * nothing. Intensities add up in the alpha channel, then map to the palette.
 */
function paintClicks(ctx: CanvasRenderingContext2D, data: Heatmap, doc: Document | null, scrollY: number): Placed[] {
  const placed: Placed[] = [];
  const max = Math.max(1, ...data.elements.flatMap((e) => e.bins.map((x) => x.clicks)));
  let drawn = 0;
  for (const e of data.elements) {
    let box: DOMRect | null = null;
    try {
      const el = doc ? doc.querySelector(e.selector) : null;
      const r = el && el.getBoundingClientRect();
      if (r && (r.width > 0 || r.height > 0)) box = r;
    } catch {
      // A selector this browser does not parse: fall back to page positions.
    }
    placed.push({ selector: e.selector, clicks: e.clicks, found: !!box });
    for (const bin of e.bins) {
      const x = box ? box.left + bin.x * box.width : bin.pageX;
      const y = box ? box.top + bin.y * box.height : bin.pageY - scrollY;
      const g = ctx.createRadialGradient(x, y, 0, x, y, RADIUS);
      const a = 0.25 + 0.75 * (bin.clicks / max);
      g.addColorStop(0, `rgba(0,0,0,${a})`);
      g.addColorStop(1, "rgba(0,0,0,0)");
      ctx.fillStyle = g;
      ctx.fillRect(x - RADIUS, y - RADIUS, RADIUS * 2, RADIUS * 2);
      drawn += bin.clicks;
    }
  }
  const { width, height } = ctx.canvas;
  if (width && height) {
    const img = ctx.getImageData(0, 0, width, height);
    const px = img.data;
    for (let i = 0; i < px.length; i += 4) {
      const a = px[i + 3];
      if (!a) continue;
      const [r, g, b] = PALETTE[a];
      px[i] = r;
      px[i + 1] = g;
      px[i + 2] = b;
      px[i + 3] = Math.min(220, 60 + a);
    }
    ctx.putImageData(img, 0, 0);
  }
  ctx.canvas.dataset.clicks = String(drawn);
  ctx.canvas.dataset.found = String(placed.filter((p) => p.found).length);
  return placed;
}

/** Shades each tenth of the page by the share of page views that saw all of it. */
function paintScroll(ctx: CanvasRenderingContext2D, data: Heatmap, width: number, height: number): void {
  const reached = data.scroll.reached;
  for (let k = 0; k < 10; k++) {
    const share = reached[k + 1] ? reached[k + 1].share : 0;
    const top = Math.round((k / 10) * height);
    const bottom = Math.round(((k + 1) / 10) * height);
    ctx.globalAlpha = 0.35;
    ctx.fillStyle = rgb(share);
    ctx.fillRect(0, top, width, bottom - top);
    ctx.globalAlpha = 1;
    ctx.fillStyle = "rgba(0,0,0,0.55)";
    ctx.fillRect(0, bottom - 1, width, 1);
    const label = `${(k + 1) * 10}% down · ${pct(share)} of views`;
    ctx.font = "600 14px system-ui, sans-serif";
    const w = ctx.measureText(label).width + 12;
    ctx.fillStyle = "rgba(0,0,0,0.7)";
    ctx.fillRect(width - w - 8, bottom - 24, w, 20);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, width - w - 2, bottom - 9);
  }
}
