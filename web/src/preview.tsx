// Thumbnails of each session's first page, as it first appeared, for the session list.
//
// A thumbnail is the player's own replay, paused at the first frame: rrweb's Replayer rebuilds
// the first full snapshot in a frame sandboxed with allow-same-origin only (no scripts run; the
// dashboard's CSP applies too), scaled down and inert. It is built only once its row is on
// screen, a few at a time, from events?until=first-snapshot (docs/api.md): usually the first
// page's Meta and FullSnapshot events and nothing more. What was fetched is kept per session for
// the page's life, so a row shown again is rebuilt without asking the server.
import { Replayer } from "rrweb";
import { useEffect, useRef, useState } from "preact/hooks";
import { sessionSource, streamEvents, type RREvent, type Session } from "./api";
import { primeStyles } from "./stylesheets";
import { applyArchive, archiveMap, type ArchiveMap } from "./archive";
import { FULL_SNAPSHOT, META } from "./timeline";

/** The thumbnail's box in CSS pixels (style.css .preview). */
const WIDTH = 72;
const HEIGHT = 45;
/** Thumbnails fetched and built at the same time. */
const MAX_BUILDING = 2;

type State = "waiting" | "loading" | "ready" | "empty" | "failed";

/** The first page's events, or null while the session has no page recorded. */
type FirstPage = RREvent[] | null;

/**
 * First pages fetched, per session id. A session without a page yet is asked again once it has
 * been updated (updatedAt changed); a failed fetch is forgotten so a later showing retries.
 */
const fetched = new Map<string, { updatedAt: string; page: Promise<FirstPage> }>();

function firstPage(s: Session): Promise<FirstPage> {
  const known = fetched.get(s.id);
  if (known && known.updatedAt === s.updatedAt) return known.page;
  if (known) {
    // Keep a page already found; ask again only when there was none.
    const again = known.page.then((p) => p || load(s));
    fetched.set(s.id, { updatedAt: s.updatedAt, page: again });
    return again;
  }
  const page = load(s);
  fetched.set(s.id, { updatedAt: s.updatedAt, page });
  return page;
}

async function load(s: Session): Promise<FirstPage> {
  const evs: RREvent[] = [];
  // The archived copies of what the page referenced, asked for alongside (archive.ts).
  const copies = sessionSource(s.id)
    .archive()
    .then((r) => archiveMap(r.resources), () => new Map() as ArchiveMap);
  try {
    await streamEvents(
      sessionSource(s.id).eventsURL({ until: "first-snapshot" }),
      (batch) => {
        for (const e of batch) evs.push(e);
      },
      undefined,
      false,
    );
  } catch (err) {
    fetched.delete(s.id);
    throw err;
  }
  const meta = evs.find((e) => e.type === META);
  if (!meta || !evs.some((e) => e.type === FULL_SNAPSHOT)) return null;
  applyArchive(evs, await copies);
  return evs;
}

// At most MAX_BUILDING thumbnails fetch and build at once; the others wait their turn in the
// order their rows came into view. The page's body carries how many are building or waiting,
// and the most that were ever building at once, for the end-to-end tests.
let building = 0;
const queue: (() => void)[] = [];

function count(): void {
  const d = document.body.dataset;
  d.previewsPending = String(building + queue.length);
  if (building > Number(d.previewsMaxBuilding || 0)) d.previewsMaxBuilding = String(building);
}

function turn(): Promise<() => void> {
  return new Promise((resolve) => {
    const take = () => {
      building++;
      count();
      let done = false;
      resolve(() => {
        if (done) return;
        done = true;
        building--;
        const next = queue.shift();
        if (next) next();
        else count();
      });
    };
    if (building < MAX_BUILDING) take();
    else queue.push(take);
    count();
  });
}

// One observer for every thumbnail: each is built the first time its row is on screen.
const watched = new Map<Element, () => void>();
let observer: IntersectionObserver | null = null;

function whenShown(el: Element, fn: () => void): () => void {
  if (!observer) {
    observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        const f = e.isIntersecting && watched.get(e.target);
        if (!f) continue;
        watched.delete(e.target);
        observer!.unobserve(e.target);
        f();
      }
    });
  }
  watched.set(el, fn);
  observer.observe(el);
  return () => {
    watched.delete(el);
    observer?.unobserve(el);
  };
}

/** Rebuilds the first page into stage, scaled to the thumbnail; throws when it cannot. */
function build(stage: HTMLElement, evs: RREvent[]): Replayer {
  const meta = evs.find((e) => e.type === META)!;
  const width = Number(meta.data?.width) || 1280;
  const height = Number(meta.data?.height) || 800;
  const r = new Replayer(evs as any, {
    root: stage,
    showWarning: false,
    mouseTail: false,
    triggerFocus: false,
    UNSAFE_replayCanvas: false,
    useVirtualDom: false,
  });
  try {
    r.iframe.setAttribute("referrerpolicy", "no-referrer");
    primeStyles(r, evs, evs[evs.length - 1].timestamp, Promise.resolve());
    // Paused at the start, the replayer rebuilds the snapshot now rather than on a timer.
    r.pause(0);
    const scale = Math.min(WIDTH / width, HEIGHT / height);
    const w = r.wrapper;
    w.style.width = width + "px";
    w.style.height = height + "px";
    w.style.transform = `scale(${scale})`;
    w.style.left = `${Math.round((WIDTH - width * scale) / 2)}px`;
    w.style.top = `${Math.round((HEIGHT - height * scale) / 2)}px`;
    r.iframe.tabIndex = -1;
    r.iframe.title = "First page";
  } catch (err) {
    r.destroy();
    throw err;
  }
  return r;
}

/** A small picture of the session's first page; a neutral placeholder until, or unless, it is built. */
export function Preview({ session }: { session: Session }) {
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>("waiting");
  // A session with no page yet is asked again when the list shows it updated.
  const [attempt, setAttempt] = useState(0);
  const emptyAt = useRef("");
  useEffect(() => {
    if (state === "empty" && emptyAt.current !== session.updatedAt) setAttempt((n) => n + 1);
  }, [state, session.updatedAt]);

  useEffect(() => {
    const el = box.current!;
    // Nothing in a thumbnail takes the focus or the pointer, whatever the recorded page asks.
    el.inert = true;
    let gone = false;
    let r: Replayer | null = null;
    let release = () => {};
    const stop = whenShown(el, async () => {
      release = await turn();
      if (gone) return release();
      setState("loading");
      try {
        const evs = await firstPage(session);
        if (gone) return;
        if (!evs) {
          emptyAt.current = session.updatedAt;
          setState("empty");
          return;
        }
        r = build(el, evs);
        setState("ready");
      } catch {
        if (!gone) setState("failed");
      } finally {
        release();
      }
    });
    return () => {
      gone = true;
      stop();
      release();
      if (r) r.destroy();
    };
  }, [session.id, attempt]);

  return (
    <div
      class={"preview " + state}
      data-testid="preview"
      data-state={state}
      ref={box}
      aria-hidden="true"
      title={state === "empty" ? "No page recorded yet" : undefined}
    />
  );
}
