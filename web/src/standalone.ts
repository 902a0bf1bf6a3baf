// The player of an exported HTML file (reel export --format html; docs/export.md): the
// session's events and archived copies are in the page itself, as JSON in script elements, and
// this script replays them with the dashboard's engine without any network. The video renderer
// drives the same page (window.reelExport), one paused moment per frame.
import "rrweb/dist/style.css";
import "./standalone.css";
import type { RREvent, Source } from "./api";
import { archiveMap, type ArchivedResource } from "./archive";
import { Engine } from "./engine";
import { clock } from "./format";
import { IDLE_MS, isUserSource } from "./measure";
import { INCREMENTAL } from "./timeline";

interface Exported {
  session: { id: string; startedAt?: string; entryUrl?: string; viewport?: { width: number; height: number } };
  tabs: { id: string; events: RREvent[] }[];
  /** Archived copies, path holding a data: URL. */
  resources: ArchivedResource[];
}

/** What the video renderer (internal/export) calls. */
interface ExportAPI {
  /** Resolves once the first frame is on screen (or rejects with why not). */
  ready: Promise<void>;
  /** The shown tab's length, ms. */
  duration(): number;
  /** Spans of activity, ms from the start, idle gaps (measure.IdleGap) left out. */
  active(): [number, number][];
  /** Shows moment t (ms from the start), paused; resolves once it is painted. */
  show(t: number): Promise<void>;
}

declare global {
  interface Window {
    reelExport: ExportAPI;
  }
}

function read<T>(id: string): T {
  const el = document.getElementById(id);
  if (!el || !el.textContent) throw new Error("this export is missing its " + id);
  return JSON.parse(el.textContent) as T;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

/** A Source over events held in memory: every events URL is a blob: URL of the tab's array. */
function memorySource(events: RREvent[]): Source {
  const url = URL.createObjectURL(new Blob([JSON.stringify(events)], { type: "application/json" }));
  const none = () => Promise.reject(new Error("not in an export"));
  return { session: none, tabs: none, archive: none, eventsURL: () => url };
}

/** Active spans of a tab's events, the same rule as measure.ActiveMS (gaps under IDLE_MS). */
export function activeSpans(evs: RREvent[], base: number): [number, number][] {
  const ts = evs.filter((e) => e.type === INCREMENTAL && e.data && isUserSource(e.data.source)).map((e) => e.timestamp - base);
  ts.sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (let i = 1; i < ts.length; i++) {
    if (ts[i] - ts[i - 1] >= IDLE_MS || ts[i] === ts[i - 1]) continue;
    const last = out[out.length - 1];
    if (last && last[1] === ts[i - 1]) last[1] = ts[i];
    else out.push([ts[i - 1], ts[i]]);
  }
  return out;
}

const frame = () => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));

function main(): void {
  const data = read<Exported>("reel-export");
  const video = document.documentElement.dataset.mode === "video";
  const archive = archiveMap(data.resources);
  const stage = el("div", { className: "stage" });
  const play = el("button", { type: "button", className: "play", textContent: "Play" });
  const bar = el("input", { type: "range", min: "0", value: "0", step: "100", className: "seek" });
  bar.setAttribute("aria-label", "Position");
  const time = el("span", { className: "time" });
  const tabs = el("select", { className: "tabs" });
  tabs.setAttribute("aria-label", "Tab");
  data.tabs.forEach((_, i) => tabs.append(el("option", { value: String(i), textContent: "Tab " + (i + 1) })));
  const controls = el("div", { className: "controls" }, play, bar, time);
  if (data.tabs.length > 1) controls.append(tabs);
  const title = el("header", {}, el("strong", { textContent: "Reel" }), " session " + data.session.id + (data.session.entryUrl ? " · " + data.session.entryUrl : ""));
  if (video) document.body.append(stage);
  else document.body.append(title, stage, controls);

  let en: Engine | null = null;
  let evs: RREvent[] = [];
  let base = 0;
  let readyResolve: () => void = () => {};
  let readyReject: (e: Error) => void = () => {};
  const ready = new Promise<void>((res, rej) => ((readyResolve = res), (readyReject = rej)));
  const update = () => {
    if (!en) return;
    const d = en.end();
    bar.max = String(d);
    if (document.activeElement !== bar) bar.value = String(Math.round(en.time()));
    time.textContent = clock(en.time()) + " / " + clock(d);
    play.textContent = en.playing ? "Pause" : "Play";
  };
  const open = (i: number) => {
    en?.destroy();
    stage.replaceChildren();
    evs = data.tabs[i] ? data.tabs[i].events : [];
    base = evs.length ? evs[0].timestamp : 0;
    en = new Engine({
      source: memorySource(evs),
      stage,
      base,
      speed: 1,
      skip: true,
      live: false,
      archive,
      pad: video ? 0 : 16,
      onChange: update,
      onKey: () => {},
    });
    const e = en;
    e.start(0, false).then(() => {
      e.settled.then(() => {
        if (e.status === "ready") readyResolve();
        else readyReject(new Error(e.error || "nothing to replay in this session"));
        update();
      });
    });
  };
  play.onclick = () => {
    if (!en) return;
    if (en.playing) en.pause();
    else {
      if (en.time() >= en.end()) en.seek(0, true);
      else en.play();
    }
    update();
  };
  bar.oninput = () => en?.seek(Number(bar.value), false);
  tabs.onchange = () => open(Number(tabs.value));
  setInterval(update, 250);
  open(0);

  window.reelExport = {
    ready,
    duration: () => (en ? en.end() : 0),
    active: () => activeSpans(evs, base),
    show: async (t: number) => {
      if (!en) return;
      en.seek(t, false);
      update();
      await frame();
    },
  };
}

try {
  main();
} catch (err) {
  document.body.textContent = "This export cannot be replayed: " + (err instanceof Error ? err.message : String(err));
}
