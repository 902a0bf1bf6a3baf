import { Replayer } from "rrweb";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, type RREvent, type SessionDetail } from "./api";
import { absolute, clock, duration, urlPath, viewport } from "./format";
import { isModifiedClick, navigate } from "./router";
import { CopyButton } from "./copy";

// rrweb event and source numbers (rrweb's EventType / IncrementalSource).
const FULL_SNAPSHOT = 2;
const INCREMENTAL = 3;
const META = 4;
const CUSTOM = 5;
const SRC_MUTATION = 0;
const SRC_MOUSE_INTERACTION = 2;
const SRC_INPUT = 5;
const CLICK = 2;
/** Same as rrweb's default inactivePeriodThreshold. */
const INACTIVE_MS = 10_000;
const SPEEDS = [0.5, 1, 2, 4, 8];
const STEP_MS = 5_000;

export function Player({ id, t }: { id: string; t: string | null }) {
  const [session, setSession] = useState<SessionDetail | null>(null);
  const [events, setEvents] = useState<RREvent[] | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const seekRef = useRef<(ms: number) => void>(() => {});

  useEffect(() => {
    let live = true;
    const fail = (err: unknown) => {
      if (!live) return;
      if (err instanceof ApiError) {
        if (err.status === 401) return;
        setError({ status: err.status, message: err.message });
      } else setError({ status: 0, message: String(err) });
    };
    api.session(id).then((s) => live && setSession(s), fail);
    api.events(id).then((e) => live && setEvents(Array.isArray(e) ? e : []), fail);
    return () => {
      live = false;
    };
  }, [id]);

  const startAt = t !== null && /^\d+$/.test(t) ? Number(t) : null;

  return (
    <main class="player-page">
      <section class="viewer">
        <div class="viewer-head">
          <a
            href="/"
            class="back"
            onClick={(e) => {
              if (isModifiedClick(e)) return;
              e.preventDefault();
              navigate("/");
            }}
          >
            ← Sessions
          </a>
          <span class="muted mono">{id}</span>
        </div>
        {error ? (
          <div class="stage-message">
            <h2>{error.status === 404 ? "Session not found" : "Could not load this session"}</h2>
            <p class="muted">{error.status === 404 ? "It may have expired or been deleted." : error.message}</p>
          </div>
        ) : events === null ? (
          <div class="stage-message">
            <p class="muted">Loading recording…</p>
          </div>
        ) : (
          <Replay events={events} startAt={startAt} sessionId={id} seekRef={seekRef} />
        )}
      </section>
      <aside class="facts" data-testid="facts">
        {session ? <Facts s={session} events={events} seek={(ms) => seekRef.current(ms)} /> : !error && <p class="muted">Loading…</p>}
      </aside>
    </main>
  );
}

interface Marks {
  clicks: number[];
  pages: number[];
  errors: number[];
  inactive: [number, number][];
}

function marks(events: RREvent[], total: number): Marks {
  const m: Marks = { clicks: [], pages: [], errors: [], inactive: [] };
  if (events.length === 0) return m;
  const t0 = events[0].timestamp;
  let lastActive = 0;
  let sawMeta = false;
  for (const e of events) {
    const at = e.timestamp - t0;
    if (e.type === META) {
      if (sawMeta) m.pages.push(at);
      sawMeta = true;
    } else if (e.type === CUSTOM && typeof e.data?.tag === "string" && /^reel\.(error|exception)/.test(e.data.tag)) {
      m.errors.push(at);
    } else if (e.type === INCREMENTAL && e.data) {
      const src = e.data.source;
      if (src > SRC_MUTATION && src <= SRC_INPUT) {
        if (at - lastActive > INACTIVE_MS) m.inactive.push([lastActive, at]);
        lastActive = at;
      }
      if (src === SRC_MOUSE_INTERACTION && e.data.type === CLICK) m.clicks.push(at);
    }
  }
  if (total - lastActive > INACTIVE_MS) m.inactive.push([lastActive, total]);
  return m;
}

function isTyping(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
}

function Replay({
  events,
  startAt,
  sessionId,
  seekRef,
}: {
  events: RREvent[];
  startAt: number | null;
  sessionId: string;
  seekRef: { current: (ms: number) => void };
}) {
  const stageRef = useRef<HTMLDivElement>(null);
  const replayerRef = useRef<Replayer | null>(null);
  const dimsRef = useRef({ width: 0, height: 0 });
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [speed, setSpeed] = useState(1);
  const [skip, setSkip] = useState(true);
  const [skipping, setSkipping] = useState(false);
  const [failure, setFailure] = useState("");
  const state = useRef({ playing, time });
  state.current = { playing, time };

  const replayable = events.length >= 2 && events.some((e) => e.type === FULL_SNAPSHOT);
  const total = replayable ? events[events.length - 1].timestamp - events[0].timestamp : 0;
  const m = useMemo(() => marks(events, total), [events, total]);

  // Scale the recorded viewport to fit the stage, centred, never enlarged.
  const fit = () => {
    const stage = stageRef.current;
    const r = replayerRef.current;
    const { width, height } = dimsRef.current;
    if (!stage || !r || !width || !height) return;
    const pad = 16;
    const cw = stage.clientWidth - pad * 2;
    const ch = stage.clientHeight - pad * 2;
    const scale = Math.max(0.05, Math.min(1, cw / width, ch / height));
    const w = r.wrapper;
    w.style.transform = `scale(${scale})`;
    w.style.left = `${Math.round((stage.clientWidth - width * scale) / 2)}px`;
    w.style.top = `${Math.round((stage.clientHeight - height * scale) / 2)}px`;
    stage.dataset.scale = scale.toFixed(3);
  };

  const keyRef = useRef<(e: KeyboardEvent) => void>(() => {});
  const forwardKey = (e: KeyboardEvent) => keyRef.current(e);

  useEffect(() => {
    const stage = stageRef.current;
    if (!stage || !replayable) return;
    let r: Replayer;
    try {
      r = new Replayer(events as any, {
        root: stage,
        mouseTail: { strokeStyle: "rgba(229, 72, 77, 0.75)", lineWidth: 3 },
        skipInactive: skip,
        showWarning: false,
        speed,
      });
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
      return;
    }
    replayerRef.current = r;
    r.on("resize", (d: any) => {
      dimsRef.current = { width: d.width, height: d.height };
      fit();
    });
    r.on("finish", () => {
      setPlaying(false);
      setTime(total);
    });
    // Replaying a focus event moves the keyboard focus into the replay frame
    // (rrweb's triggerFocus, kept for fidelity), so keys are heard there too.
    // Every full snapshot reopens the frame's document, which drops listeners.
    r.on("fullsnapshot-rebuilded", () => {
      const w = r.iframe.contentWindow;
      if (w) {
        w.removeEventListener("keydown", forwardKey);
        w.addEventListener("keydown", forwardKey);
      }
    });
    r.on("skip-start", () => setSkipping(true));
    r.on("skip-end", () => setSkipping(false));

    const at = startAt === null ? null : Math.min(startAt, total);
    if (at === null) {
      r.play(0);
      setPlaying(true);
    } else {
      r.pause(at);
      setTime(at);
    }
    const ro = new ResizeObserver(fit);
    ro.observe(stage);
    let raf = requestAnimationFrame(() => {
      fit();
      raf = requestAnimationFrame(() => {
        document.body.dataset.playerReady = "1";
      });
    });
    return () => {
      cancelAnimationFrame(raf);
      ro.disconnect();
      delete document.body.dataset.playerReady;
      replayerRef.current = null;
      try {
        r.destroy();
      } catch {
        // Already torn down.
      }
    };
  }, [events]);

  // Follow the replayer's clock while playing.
  useEffect(() => {
    if (!playing) return;
    let raf = 0;
    const loop = () => {
      const r = replayerRef.current;
      if (r) setTime(Math.min(total, Math.max(0, r.getCurrentTime())));
      raf = requestAnimationFrame(loop);
    };
    raf = requestAnimationFrame(loop);
    return () => cancelAnimationFrame(raf);
  }, [playing]);

  const seek = (ms: number, resume = state.current.playing) => {
    const r = replayerRef.current;
    if (!r) return;
    const at = Math.max(0, Math.min(total, ms));
    if (resume && at < total) r.play(at);
    else r.pause(at);
    setPlaying(resume && at < total);
    setTime(at);
  };
  seekRef.current = (ms) => seek(ms);

  const toggle = () => {
    const r = replayerRef.current;
    if (!r) return;
    if (state.current.playing) {
      r.pause();
      setPlaying(false);
      setTime(Math.min(total, r.getCurrentTime()));
    } else {
      const at = state.current.time >= total - 50 ? 0 : state.current.time;
      r.play(at);
      setPlaying(true);
      setTime(at);
    }
  };

  // A later ?t= (a pasted share link) moves the paused player there.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (startAt !== null) seek(startAt, false);
  }, [startAt]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
      if (e.key === " " || e.code === "Space") {
        e.preventDefault();
        if (!e.repeat) toggle();
      } else if (e.key === "ArrowLeft") {
        e.preventDefault();
        seek(state.current.time - STEP_MS);
      } else if (e.key === "ArrowRight") {
        e.preventDefault();
        seek(state.current.time + STEP_MS);
      }
    };
    // Space on a focused button would also "click" it on keyup.
    const onKeyUp = (e: KeyboardEvent) => {
      if ((e.key === " " || e.code === "Space") && e.target instanceof HTMLButtonElement) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("keyup", onKeyUp);
    keyRef.current = onKey;
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("keyup", onKeyUp);
    };
  });

  const changeSpeed = (v: number) => {
    setSpeed(v);
    replayerRef.current?.setConfig({ speed: v });
  };
  const changeSkip = (v: boolean) => {
    setSkip(v);
    replayerRef.current?.setConfig({ skipInactive: v });
    if (!v) setSkipping(false);
  };

  if (!replayable || failure) {
    return (
      <div class="stage-message">
        <h2>Nothing to replay {failure ? "" : "yet"}</h2>
        <p class="muted">
          {failure
            ? `The recording could not be opened: ${failure}`
            : "This session has no full page snapshot yet. If it is still being recorded, reload in a few seconds."}
        </p>
      </div>
    );
  }

  const share = `${location.origin}/sessions/${encodeURIComponent(sessionId)}?t=${Math.round(time)}`;

  return (
    <>
      <div class="stage" data-testid="player" ref={stageRef}>
        {skipping && <div class="skipping">Skipping inactivity…</div>}
      </div>
      <div class="controls">
        <button
          type="button"
          class="play"
          data-testid="play"
          aria-label={playing ? "Pause" : "Play"}
          data-state={playing ? "playing" : "paused"}
          title={playing ? "Pause (space)" : "Play (space)"}
          onClick={toggle}
        >
          {playing ? (
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <rect x="3" y="2" width="3.5" height="12" rx="1" />
              <rect x="9.5" y="2" width="3.5" height="12" rx="1" />
            </svg>
          ) : (
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M4 2.5v11a1 1 0 0 0 1.5.86l9-5.5a1 1 0 0 0 0-1.72l-9-5.5A1 1 0 0 0 4 2.5z" />
            </svg>
          )}
        </button>
        <span class="time mono" data-testid="time" data-current-ms={Math.round(time)} data-total-ms={total}>
          {clock(time)} / {clock(total)}
        </span>
        <Scrubber time={time} total={total} marks={m} seek={seek} playing={playing} />
        <label class="speed" title="Playback speed">
          <select
            data-testid="speed"
            value={String(speed)}
            onChange={(e) => {
              changeSpeed(Number(e.currentTarget.value));
              // Give the keyboard back to the player (space, arrows).
              e.currentTarget.blur();
            }}
          >
            {SPEEDS.map((s) => (
              <option value={String(s)}>{s}×</option>
            ))}
          </select>
        </label>
        <label class="toggle" title="Fast-forward through periods without user activity">
          <input
            type="checkbox"
            data-testid="skip-inactive"
            checked={skip}
            onChange={(e) => {
              changeSkip(e.currentTarget.checked);
              e.currentTarget.blur();
            }}
          />
          Skip inactivity
        </label>
        <CopyButton text={share} label="Copy link" />
      </div>
    </>
  );
}

function Scrubber({
  time,
  total,
  marks,
  seek,
  playing,
}: {
  time: number;
  total: number;
  marks: Marks;
  seek: (ms: number, resume?: boolean) => void;
  playing: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const drag = useRef<{ resume: boolean; raf: number; ms: number } | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const [dragMs, setDragMs] = useState<number | null>(null);
  const pct = (ms: number) => (total > 0 ? Math.max(0, Math.min(100, (ms / total) * 100)) : 0);
  const msAt = (clientX: number) => {
    const rect = ref.current!.getBoundingClientRect();
    const f = rect.width > 0 ? (clientX - rect.left) / rect.width : 0;
    return Math.round(Math.max(0, Math.min(1, f)) * total);
  };

  const down = (e: PointerEvent) => {
    if (e.button !== 0) return;
    e.preventDefault();
    ref.current!.setPointerCapture(e.pointerId);
    const ms = msAt(e.clientX);
    drag.current = { resume: playing, raf: 0, ms };
    setDragMs(ms);
    seek(ms, false);
  };
  const move = (e: PointerEvent) => {
    const ms = msAt(e.clientX);
    setHover(ms);
    const d = drag.current;
    if (!d) return;
    d.ms = ms;
    setDragMs(ms);
    // Seeking replays every event up to that point: at most once a frame.
    if (!d.raf)
      d.raf = requestAnimationFrame(() => {
        d.raf = 0;
        seek(d.ms, false);
      });
  };
  const up = (e: PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    drag.current = null;
    cancelAnimationFrame(d.raf);
    setDragMs(null);
    seek(msAt(e.clientX), d.resume);
  };

  const shown = dragMs ?? time;
  return (
    <div
      class="scrubber"
      data-testid="scrubber"
      ref={ref}
      role="slider"
      aria-label="Seek"
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={Math.round(shown)}
      aria-valuetext={clock(shown)}
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={up}
      onPointerCancel={up}
      onPointerLeave={() => setHover(null)}
    >
      <div class="track">
        {marks.inactive.map(([a, b]) => (
          <div class="inactive" style={{ left: pct(a) + "%", width: pct(b) - pct(a) + "%" }} />
        ))}
        <div class="fill" style={{ width: pct(shown) + "%" }} />
      </div>
      {marks.pages.map((at) => (
        <div class="mark nav" style={{ left: pct(at) + "%" }} title={"Navigation at " + clock(at)} />
      ))}
      {marks.clicks.map((at) => (
        <div class="mark click" style={{ left: pct(at) + "%" }} />
      ))}
      {marks.errors.map((at) => (
        <div class="mark error" style={{ left: pct(at) + "%" }} />
      ))}
      <div class="thumb" style={{ left: pct(shown) + "%" }} />
      {hover !== null && (
        <div class="hover" style={{ left: pct(hover) + "%" }}>
          {clock(hover)}
        </div>
      )}
    </div>
  );
}

/** Time of each visited page, from the Meta events rrweb writes on every load. */
function pageTimes(urls: string[], events: RREvent[] | null): (number | null)[] {
  if (!events || events.length === 0) return urls.map(() => null);
  const t0 = events[0].timestamp;
  const metas = events.filter((e) => e.type === META && e.data && typeof e.data.href === "string");
  let i = 0;
  return urls.map((u) => {
    for (let j = i; j < metas.length; j++) {
      if (metas[j].data.href === u) {
        i = j + 1;
        return metas[j].timestamp - t0;
      }
    }
    return null;
  });
}

function Facts({ s, events, seek }: { s: SessionDetail; events: RREvent[] | null; seek: (ms: number) => void }) {
  const urls = s.urls && s.urls.length ? s.urls : [s.entryUrl, s.exitUrl].filter((u, i, a) => u && a.indexOf(u) === i);
  const times = useMemo(() => pageTimes(urls, events), [urls.join("\n"), events]);
  return (
    <>
      <h2>Session</h2>
      <dl>
        <dt>Started</dt>
        <dd>{absolute(s.startedAt)}</dd>
        <dt>Duration</dt>
        <dd>{duration(s.durationMs)}</dd>
        <dt>Pages</dt>
        <dd>{s.pages}</dd>
        <dt>Clicks</dt>
        <dd>{s.clicks}</dd>
        <dt>Browser</dt>
        <dd>{s.browser || "–"}</dd>
        <dt>OS</dt>
        <dd>{s.os || "–"}</dd>
        {s.device && (
          <>
            <dt>Device</dt>
            <dd>{s.device}</dd>
          </>
        )}
        <dt>Viewport</dt>
        <dd>{viewport(s.viewport)}</dd>
        {s.tabs > 1 && (
          <>
            <dt>Tabs</dt>
            <dd>{s.tabs}</dd>
          </>
        )}
      </dl>
      <h3>Pages visited</h3>
      <ol class="pages" data-testid="pages">
        {urls.map((u, i) => (
          <li title={u}>
            {times[i] !== null ? (
              <button type="button" class="link" onClick={() => seek(times[i]!)}>
                <span class="mono t">{clock(times[i]!)}</span>
                <span class="path">{urlPath(u)}</span>
              </button>
            ) : (
              <span class="path">{urlPath(u)}</span>
            )}
          </li>
        ))}
      </ol>
      <h3>User agent</h3>
      <p class="ua mono">{s.userAgent || "–"}</p>
    </>
  );
}
