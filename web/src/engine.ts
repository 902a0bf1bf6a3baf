// The playback engine: loads a session's events (streamed, from the nearest full snapshot when
// opening at a moment), drives an rrweb Replayer in a script-free sandboxed frame, follows a
// session still being recorded, and keeps the whole recording for the panes.
import { Replayer } from "rrweb";
import { ApiError, streamEvents, type RREvent, type Source } from "./api";
import { applyArchive, type ArchiveMap, type NodeTags } from "./archive";
import { CANVAS_RULES, CanvasPainter } from "./canvas";
import { pointerFocus } from "./focus";
import { HeldImages } from "./images";
import { deadNodes, pruneMutation, pruneSnapshot, type DeadSet, type MutationData } from "./prune";
import { primeStyles } from "./stylesheets";
import { FULL_SNAPSHOT, INCREMENTAL, META, SRC_MOUSE_INTERACTION } from "./timeline";

export type Status = "loading" | "ready" | "empty" | "error";

export interface EngineOptions {
  source: Source;
  stage: HTMLElement;
  /** Session start, ms since epoch: time 0 of the timeline, whichever tab is shown. */
  base: number;
  tab?: string;
  speed: number;
  skip: boolean;
  /** Poll for new events (a session still being recorded). */
  live: boolean;
  /** Load everything before showing anything (the baseline bench/seek compares against). */
  loadAll?: boolean;
  /** Archived copies to replay with instead of the recorded site's URLs (archive.ts). */
  archive?: ArchiveMap;
  /** Space kept around the replayed page, px (default 16; 0 for a video frame). */
  pad?: number;
  /** Shows the page at its recorded size (1:1), scrolling the stage, instead of scaled to fit. */
  actualSize?: boolean;
  /** Draws the recorded mouse cursor and its trail (default true). */
  cursor?: boolean;
  onChange: () => void;
  onKey: (e: KeyboardEvent) => void;
}

const LIVE_POLL_MS = 2000;
const LIVE_BEHIND_MS = 1000;

/** Whether seeks leave out nodes that are gone by the moment (prune.ts, the server's
 * prune=gone); on unless the browser's localStorage says "reel:seek-prune" = "off", for
 * comparing against rrweb's own. Read once per engine. */
function pruning(): boolean {
  try {
    return localStorage.getItem("reel:seek-prune") !== "off";
  } catch {
    return true;
  }
}

/** rrweb's IncrementalSource.ViewportResize. */
const SRC_VIEWPORT_RESIZE = 4;

/** Marks the replay frame's root while a seek applies events at once (FRAME_RULES). */
const SEEKING_ATTR = "data-reel-seeking";

/**
 * Rules the replay frame gets besides rrweb's. A seek applies the events up to the moment at
 * once to the live replay document, and CSS transitions would then play from the frame before
 * the seek to the one after (a slide caught mid-way): while seeking, nothing transitions.
 * Scroll anchoring would move a scroller when content above it changes; the recording already
 * holds every scroll position the page really had, so the replay never anchors.
 */
const FRAME_RULES = [
  `html[${SEEKING_ATTR}] *, html[${SEEKING_ATTR}] *::before, html[${SEEKING_ATTR}] *::after { transition: none !important; }`,
  `* { overflow-anchor: none !important; }`,
  ...CANVAS_RULES,
];

function replayable(evs: RREvent[]): boolean {
  return evs.length >= 2 && evs.some((e) => e.type === FULL_SNAPSHOT) && evs.some((e) => e.type === META);
}

export class Engine {
  r: Replayer | null = null;
  status: Status = "loading";
  error = "";
  /** Every event of the shown tab(s) once loaded (null while only a window is loaded). */
  full: RREvent[] | null = null;
  fullDone = false;
  /** What each recorded node is, for the attribute changes of later batches (archive.ts). */
  private tags: NodeTags = new Map();
  /** Events of the current window, what the replayer holds. */
  win: RREvent[] = [];
  winStart = 0;
  /** When the window's first full snapshot was taken, ms since epoch. */
  private firstPageAt = 0;
  lastTs = 0;
  playing = false;
  skipping = false;
  /** Where the engine is going while a window loads (session ms). */
  private pending = 0;
  /** The window shows no moment before this one (ms since epoch) as recorded: the server left
   * out what was gone by it (0: the whole window is exact). */
  private exactFrom = 0;
  private readonly prune = pruning();
  private gen = 0;
  private aborts: AbortController[] = [];
  private liveTimer = 0;
  private destroyed = false;
  private finishedAt: number | null = null;
  private painter: CanvasPainter | null = null;
  private images = new HeldImages();
  private releasing = false;
  private dims = { width: 0, height: 0 };
  private ro: ResizeObserver;
  private keyListener = (e: KeyboardEvent) => this.o.onKey(e);
  private shown: () => void = () => {};
  /** Resolves once a frame is on screen. */
  private firstFrame = new Promise<void>((resolve) => (this.shown = resolve));
  private settle: () => void = () => {};
  /** Resolves once a frame is on screen or loading ended without one (nothing to show, error). */
  readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(private o: EngineOptions) {
    this.ro = new ResizeObserver(() => this.fit());
    this.ro.observe(o.stage);
  }

  /** Session time now, in ms from the session start. */
  time(): number {
    if (!this.r) return this.pending;
    return Math.max(0, this.r.getCurrentTime()) + (this.winStart - this.o.base);
  }

  /** Opens the session at t (ms from its start); plays when play is true. */
  async start(t: number, play: boolean): Promise<void> {
    this.pending = t;
    // When the player started loading, in ms since navigation (bench/seek reads it).
    if (!document.body.dataset.loadStartAt) document.body.dataset.loadStartAt = String(Math.round(performance.now()));
    if (t > 0 && !this.o.loadAll) {
      await this.openWindow(t, play);
      if (!this.destroyed && !this.fullDone) this.loadFullInBackground();
    } else {
      await this.openWindow(t, play, true);
    }
    if (!this.destroyed && this.o.live) this.poll();
  }

  /**
   * Streams events from the full snapshot at or before t (or all of them) into a new replayer,
   * which is created as soon as the moment t can be shown.
   */
  private async openWindow(t: number, play: boolean, all = false): Promise<void> {
    const gen = ++this.gen;
    const ctl = new AbortController();
    this.aborts.push(ctl);
    const evs: RREvent[] = [];
    let created = false;
    this.exactFrom = 0;
    const target = this.o.base + t;
    this.status = "loading";
    this.o.onChange();
    const onBatch = (batch: RREvent[], upToTarget = false): unknown => {
      if (gen !== this.gen) return;
      applyArchive(batch, this.o.archive, this.tags);
      for (const e of batch) {
        evs.push(e);
        if (e.timestamp > this.lastTs) this.lastTs = e.timestamp;
        if (created) this.r?.addEvent(e as any);
      }
      if (all) this.full = evs;
      if (!created && !this.o.loadAll && replayable(evs) && (upToTarget || evs[evs.length - 1].timestamp >= target)) {
        created = true;
        this.create(evs, t, play);
        this.o.onChange();
        // The rest of the answer waits, unparsed, until the frame is on screen.
        return this.settled;
      }
      // Until a window can be shown, nothing on screen changes.
      if (created || all) this.o.onChange();
    };
    try {
      if (all) {
        // Streamed, so the first frame shows as soon as its events are in, except for the
        // baseline that loads everything before showing anything.
        await streamEvents(this.o.source.eventsURL({ tab: this.o.tab }), onBatch, ctl.signal, !this.o.loadAll);
      } else {
        // A seek asks for the events from the full snapshot before the moment up to it, in one
        // answer the browser's own parser reads at once, and for the rest once the frame is up.
        // The server leaves out the nodes gone by the moment (prune=gone): the window then shows
        // the moment and what follows exactly, and not what came before it.
        await streamEvents(
          this.o.source.eventsURL({ tab: this.o.tab, from: target, to: target, prune: this.prune ? "gone" : undefined }),
          (b) => onBatch(b, true),
          ctl.signal,
          false,
          (h) => {
            if (gen !== this.gen) return;
            const gone = Number(h.get("X-Reel-Gone")) || 0;
            this.o.stage.dataset.gone = String(gone);
            if (gone > 0) this.exactFrom = target;
          },
        );
        if (gen === this.gen && created) await this.settled;
        if (gen === this.gen) await streamEvents(this.o.source.eventsURL({ tab: this.o.tab, after: target }), onBatch, ctl.signal, true);
      }
    } catch (err) {
      if (gen !== this.gen || this.destroyed) return;
      this.status = "error";
      this.error = err instanceof ApiError ? err.message : String(err);
      this.settle();
      this.o.onChange();
      return;
    }
    if (gen !== this.gen) return;
    if (all) {
      this.full = evs;
      this.fullDone = true;
    }
    if (!created) {
      if (replayable(evs)) this.create(evs, t, play);
      else {
        this.win = evs;
        this.status = "empty";
        this.settle();
      }
    }
    this.o.onChange();
  }

  private async loadFullInBackground(): Promise<void> {
    const ctl = new AbortController();
    this.aborts.push(ctl);
    const evs: RREvent[] = [];
    try {
      // Let the first frame paint before the main thread parses the whole recording.
      await this.firstFrame;
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (this.destroyed) return;
      await streamEvents(
        this.o.source.eventsURL({ tab: this.o.tab }),
        (batch) => {
          applyArchive(batch, this.o.archive, this.tags);
          for (const e of batch) evs.push(e);
        },
        ctl.signal,
        false,
      );
    } catch {
      return; // The window still plays; panes show what it holds.
    }
    if (this.destroyed) return;
    // Events that arrived live meanwhile are in the window; keep them.
    const last = evs.length ? evs[evs.length - 1].timestamp : 0;
    for (const e of this.win) if (e.timestamp > last) evs.push(e);
    this.full = evs;
    this.fullDone = true;
    this.o.onChange();
  }

  private create(evs: RREvent[], t: number, play: boolean): void {
    this.teardownReplayer();
    this.win = evs;
    this.winStart = evs[0].timestamp;
    this.firstPageAt = (evs.find((e) => e.type === FULL_SNAPSHOT) || evs[0]).timestamp;
    let r: Replayer;
    try {
      r = new Replayer(evs as any, {
        root: this.o.stage,
        mouseTail: { strokeStyle: "rgba(229, 72, 77, 0.75)", lineWidth: 3, duration: 800 },
        skipInactive: this.o.skip,
        showWarning: false,
        speed: this.o.speed,
        UNSAFE_replayCanvas: false,
        // Seeking applies the events between the snapshot and the moment straight to the
        // frame's DOM: rrweb's virtual DOM instead mirrors the whole page, applies them, and
        // diffs it back, which costs more than the page has nodes, however few events there are.
        useVirtualDom: false,
        insertStyleRules: FRAME_RULES,
        plugins: [{ onBuild: (node: unknown) => this.images.built(node as Node) }, pointerFocus()],
      });
    } catch (err) {
      this.status = "error";
      this.error = "The recording could not be opened: " + (err instanceof Error ? err.message : String(err));
      this.settle();
      return;
    }
    this.r = r;
    // The page's own requests (images, archived copies) name no dashboard URL as referrer.
    r.iframe.setAttribute("referrerpolicy", "no-referrer");
    primeStyles(r, evs, this.o.base + t, this.firstFrame);
    this.painter = new CanvasPainter(r);
    r.on("resize", (d: any) => {
      this.dims = { width: d.width, height: d.height };
      this.fit();
    });
    r.on("finish", () => {
      this.playing = false;
      this.finishedAt = this.time();
      this.o.onChange();
    });
    // Replaying a focus event moves the keyboard focus into the replay frame (rrweb's
    // triggerFocus, kept for fidelity), so keys are heard there too. Every full snapshot
    // reopens the frame's document, which drops listeners.
    r.on("fullsnapshot-rebuilded", () => {
      const w = r.iframe.contentWindow;
      if (w) {
        w.removeEventListener("keydown", this.keyListener);
        w.addEventListener("keydown", this.keyListener);
      }
    });
    r.on("skip-start", () => {
      this.skipping = true;
      this.o.onChange();
    });
    r.on("skip-end", () => {
      this.skipping = false;
      this.o.onChange();
    });
    r.on("event-cast", (e: any) => this.ripple(e as RREvent));
    this.status = "ready";
    this.applyCursor();
    this.seekWithin(t, play);
    // rrweb's Replayer applies the first recorded page size on a zero-delay timer, after the
    // seek above has applied the size at t (a Meta event of a resize): once that timer has run,
    // the size at t is applied again (timers of equal delay run in the order they were set).
    const at = this.sizeAt(evs, this.o.base + t);
    if (at) {
      setTimeout(() => {
        if (this.r !== r || this.destroyed) return;
        const now = this.sizeAt(this.win, this.winStart + r.getCurrentTime());
        if (now) (r as unknown as { emitter: { emit(n: string, d: unknown): void } }).emitter.emit("resize", now);
      }, 0);
    }
    requestAnimationFrame(() => {
      this.fit();
      requestAnimationFrame(() => {
        if (this.destroyed) return;
        document.body.dataset.playerReady = "1";
        // When the first frame was on screen, in ms since navigation (bench/seek reads it).
        if (!document.body.dataset.firstFrameAt) document.body.dataset.firstFrameAt = String(Math.round(performance.now()));
        this.o.stage.dataset.frameMs = String(Math.round(this.time()));
        this.shown();
        this.settle();
      });
    });
  }

  /** The recorded page size at ts, ms since epoch: that of the last Meta or viewport resize. */
  private sizeAt(evs: RREvent[], ts: number): { width: number; height: number } | null {
    let found: { width: number; height: number } | null = null;
    for (const e of evs) {
      if (e.timestamp > ts) break;
      const size = e.type === META || (e.type === INCREMENTAL && e.data && e.data.source === SRC_VIEWPORT_RESIZE);
      if (size && e.data && e.data.width > 0 && e.data.height > 0) found = { width: e.data.width, height: e.data.height };
    }
    return found;
  }

  /** Marks the replay document as seeking (no transitions, FRAME_RULES), or unmarks it once its
   * style has been computed with every change of the seek in it. */
  private markSeeking(r: Replayer, on: boolean): void {
    const doc = r.iframe.contentDocument;
    const root = doc && doc.documentElement;
    if (!root) return;
    if (on) root.setAttribute(SEEKING_ATTR, "");
    else if (root.hasAttribute(SEEKING_ATTR)) {
      // Style and layout now, with transitions off: the seek's changes become the values
      // transitions start from, so taking the rule away starts none.
      void root.getBoundingClientRect();
      if (doc.body) void doc.body.offsetWidth;
      root.removeAttribute(SEEKING_ATTR);
    }
  }

  private seekWithin(t: number, play: boolean): void {
    const r = this.r!;
    // rrweb applies at once only the events before the moment, and drops the rest when paused:
    // a seek back to before the window's first page (a session opens with a custom event or
    // two) would not rebuild it and would leave the later page on screen. The recording shows
    // nothing else before its first page, so such a seek goes to just after it.
    const rt = Math.max(this.firstPageAt - this.winStart + 1, t - (this.winStart - this.o.base));
    this.finishedAt = null;
    this.holdImages(r);
    const x = r as unknown as {
      applyScroll(d: { id: number }, sync: boolean): void;
      applyMutation(d: MutationData, sync: boolean): void;
      rebuildFullSnapshot(e: RREvent, sync?: boolean): void;
      service: { state: { context: { events: RREvent[]; baselineTime: number } } };
    };
    // Fast-forwarding applies every recorded scroll on the way, and each one makes the
    // browser lay the page out again; only the last position of each element is seen.
    const scrolls = new Map<number, unknown>();
    const applyScroll = x.applyScroll;
    x.applyScroll = (d, sync) => (sync ? scrolls.set(d.id, d) : applyScroll.call(r, d, sync));
    // Nodes added and gone again before the moment are not built at all (prune.ts).
    const { rebuildFullSnapshot, applyMutation } = x;
    let dead: DeadSet | null = null;
    this.markSeeking(r, true);
    // A full snapshot on the way builds a new document: mark it too.
    x.rebuildFullSnapshot = (e, sync) => {
      rebuildFullSnapshot.call(r, e, sync);
      if (sync) this.markSeeking(r, true);
    };
    if (this.prune) {
      x.rebuildFullSnapshot = (e, sync) => {
        if (sync) {
          const { events, baselineTime } = x.service.state.context;
          const i = events.indexOf(e);
          try {
            dead = i >= 0 && e.data && e.data.node ? deadNodes(e.data.node, events, i + 1, baselineTime) : null;
          } catch {
            dead = null; // a recording too broken to reason about is replayed as rrweb would
          }
          this.o.stage.dataset.pruned = String(dead ? dead.size : 0);
          if (dead && dead.size) {
            const node = pruneSnapshot(e.data.node, dead);
            if (node !== e.data.node) e = { ...e, data: { ...e.data, node } };
          }
        }
        rebuildFullSnapshot.call(r, e, sync);
        if (sync) this.markSeeking(r, true);
      };
      x.applyMutation = (d, sync) => applyMutation.call(r, sync && dead ? pruneMutation(d, dead) : d, sync);
    }
    try {
      if (play) r.play(rt);
      else r.pause(rt);
    } finally {
      x.applyScroll = applyScroll;
      x.rebuildFullSnapshot = rebuildFullSnapshot;
      x.applyMutation = applyMutation;
      for (const d of scrolls.values()) applyScroll.call(r, d as { id: number }, true);
      this.markSeeking(r, false);
    }
    this.playing = play;
    this.pending = t;
  }

  /**
   * Holds back the image requests of the page the seek builds until its frame has been on
   * screen (images.ts): after the next frame that shows it and the one after, when the first
   * frame's time has been noted.
   */
  private holdImages(r: Replayer): void {
    this.images.hold(r.iframe.contentDocument);
    if (this.releasing) return;
    this.releasing = true;
    requestAnimationFrame(() =>
      requestAnimationFrame(() =>
        setTimeout(() => {
          this.releasing = false;
          this.images.release();
        }),
      ),
    );
  }

  /** Moves to t (session ms); loads an earlier window when t is before the loaded one. */
  seek(t: number, play = this.playing): void {
    t = Math.max(0, t);
    if (this.r && t >= this.winStart - this.o.base - 1 && this.o.base + t >= this.exactFrom) {
      this.seekWithin(t, play);
    } else if (this.fullDone && this.full && replayable(this.full) && this.full !== this.win) {
      this.gen++;
      this.exactFrom = 0;
      this.create(this.full, t, play);
    } else if (this.r || this.status !== "loading") {
      this.pending = t;
      this.openWindow(t, play);
    } else {
      this.pending = t;
    }
    this.o.onChange();
  }

  play(): void {
    if (!this.r) return;
    this.seekWithin(this.time(), true);
    this.o.onChange();
  }

  pause(): void {
    this.skipping = false; // the banner says what playing does; paused, nothing is skipped
    if (!this.r) return;
    this.r.pause();
    this.playing = false;
    this.pending = this.time();
    this.o.onChange();
  }

  setSpeed(speed: number): void {
    this.o.speed = speed;
    this.r?.setConfig({ speed });
  }

  setSkip(skip: boolean): void {
    this.o.skip = skip;
    this.r?.setConfig({ skipInactive: skip });
    if (!skip) this.skipping = false;
  }

  /** Time of the last event known, in session ms. */
  end(): number {
    return Math.max(0, this.lastTs - this.o.base);
  }

  /** Follows a session in progress: fetches what was recorded since the last event. */
  private poll(): void {
    const tick = async () => {
      if (this.destroyed) return;
      if (!document.hidden) {
        try {
          const after = this.lastTs;
          const fresh: RREvent[] = [];
          await streamEvents(this.o.source.eventsURL({ tab: this.o.tab, after }), (b) => {
            for (const e of b) if (e.timestamp > after) fresh.push(e);
          });
          if (this.destroyed) return;
          applyArchive(fresh, this.o.archive, this.tags);
          if (fresh.length) this.append(fresh);
        } catch {
          // Try again next tick.
        }
      }
      this.liveTimer = window.setTimeout(tick, LIVE_POLL_MS);
    };
    this.liveTimer = window.setTimeout(tick, LIVE_POLL_MS);
  }

  private append(fresh: RREvent[]): void {
    fresh.sort((a, b) => a.timestamp - b.timestamp);
    const following = this.finishedAt !== null;
    for (const e of fresh) {
      this.lastTs = Math.max(this.lastTs, e.timestamp);
      this.win.push(e);
      if (this.full && this.full !== this.win) this.full.push(e);
      this.r?.addEvent(e as any);
    }
    if (!this.r && replayable(this.win)) this.create(this.win, this.pending, true);
    // Playback had caught up with the recording: carry on with what just arrived, at most
    // LIVE_BEHIND_MS behind the newest event.
    else if (following && this.r) this.seekWithin(Math.max(this.finishedAt!, this.end() - LIVE_BEHIND_MS), true);
    this.o.onChange();
  }

  /** True while the engine is at the newest moment of a live session. */
  atLiveEdge(): boolean {
    return this.o.live && (this.finishedAt !== null || this.end() - this.time() < 5000);
  }

  private fit(): void {
    const stage = this.o.stage;
    const r = this.r;
    const { width, height } = this.dims;
    if (!r || !width || !height) return;
    const pad = this.o.pad ?? 16;
    const cw = stage.clientWidth - pad * 2;
    const ch = stage.clientHeight - pad * 2;
    const actual = !!this.o.actualSize;
    const scale = actual ? 1 : Math.max(0.05, Math.min(1, cw / width, ch / height));
    const w = r.wrapper;
    w.style.transform = `scale(${scale})`;
    // At 1:1 a page larger than the stage starts at its top left corner and the stage scrolls.
    w.style.left = `${Math.max(actual ? pad : 0, Math.round((stage.clientWidth - width * scale) / 2))}px`;
    w.style.top = `${Math.max(actual ? pad : 0, Math.round((stage.clientHeight - height * scale) / 2))}px`;
    stage.classList.toggle("actual-size", actual);
    stage.dataset.scale = scale.toFixed(3);
    stage.dataset.pageWidth = String(width);
    stage.dataset.pageHeight = String(height);
  }

  /** A ripple where a click landed, while playing (not while seeking casts events at once). */
  private ripple(e: RREvent): void {
    if (!this.playing || e.type !== INCREMENTAL || !e.data || e.data.source !== SRC_MOUSE_INTERACTION || e.data.type !== 2) return;
    const r = this.r;
    if (!r || Math.abs(e.timestamp - (this.winStart + r.getCurrentTime())) > 1000) return;
    const dot = document.createElement("div");
    dot.className = "click-ripple";
    dot.style.left = e.data.x + "px";
    dot.style.top = e.data.y + "px";
    r.wrapper.appendChild(dot);
    setTimeout(() => dot.remove(), 700);
  }

  /** Switches between the page at its recorded size (1:1) and scaled to fit the stage. */
  setActualSize(on: boolean): void {
    this.o.actualSize = on;
    this.fit();
  }

  /** Shows or hides the recorded mouse cursor and its trail. */
  setCursor(on: boolean): void {
    this.o.cursor = on;
    this.applyCursor();
  }

  private applyCursor(): void {
    const r = this.r;
    if (!r) return;
    const on = this.o.cursor !== false;
    // The trail's canvas and the cursor are rrweb's elements in the wrapper, outside the frame.
    r.wrapper.classList.toggle("no-cursor", !on);
    this.o.stage.dataset.cursor = on ? "1" : "0";
  }

  canvasFramesPainted(): number {
    return this.painter ? this.painter.painted : 0;
  }

  private teardownReplayer(): void {
    const r = this.r;
    this.r = null;
    this.painter?.destroy();
    this.painter = null;
    delete document.body.dataset.playerReady;
    if (r) {
      try {
        r.destroy();
      } catch {
        // Already torn down.
      }
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.settle();
    this.gen++;
    for (const c of this.aborts) c.abort();
    clearTimeout(this.liveTimer);
    this.ro.disconnect();
    this.teardownReplayer();
    this.images.destroy();
  }
}
