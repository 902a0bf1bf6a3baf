import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, type SessionDetail, type ShareLink, type Signals, type Source, type Tab } from "./api";
import { absolute, clock, duration, urlPath, viewport } from "./format";
import { CopyButton } from "./copy";
import { PinButton } from "./saved";
import { Engine } from "./engine";
import { archiveMap, type ArchiveMap } from "./archive";
import { digest, KINDS, MARKED, withFriction, type Digest, type Item } from "./timeline";
import { SessionNav, isTyping } from "./sessionnav";
import { navigate } from "./router";
import { Shortcuts } from "./shortcuts";
import { ConsolePane, ErrorsPane, EventsPane, NetworkPane } from "./panes";
import { loadError } from "./loaderror";
import { CommentMarkers, CommentsPane, useComments } from "./comments";
import { ShareNoteBanner, ShareOptions } from "./sharenote";
import { BugReportButton } from "./bugreport";
import { PrivacyLayer } from "./privacy";
import { SessionVitals } from "./vitals";
import { UserLink } from "./people";
import { saveView, viewOptions, type ViewOptions } from "./view";

const SPEEDS = [0.5, 1, 2, 4, 8];
const STEP_MS = 5_000;
/** A session whose last batch is this recent may still be recording. */
const LIVE_MS = 60_000;
/** Remembers the moment across the remount a tab switch causes. */
const switchMoment: { current: number | null } = { current: null };


/** Items [ and ] step through: everything but console lines and plain requests. */
function stops(d: Digest | null): Item[] {
  return d ? d.items.filter((i) => i.kind !== "console" && i.kind !== "network" && i.kind !== "vitals") : [];
}

export function Player({ id, t, source, shared }: { id: string; t: string | null; source: Source; shared?: boolean }) {
  const [session, setSession] = useState<SessionDetail | null>(null);
  const [tabs, setTabs] = useState<Tab[]>([]);
  const [tab, setTab] = useState<string | null>(null);
  const [error, setError] = useState<{ status: number; code: string; message: string } | null>(null);
  const [signals, setSignals] = useState<Signals | null>(null);
  const [archive, setArchive] = useState<ArchiveMap | null>(null);

  useEffect(() => {
    let live = true;
    // The archived copies are asked for alongside the session, so they cost no extra wait; a
    // recording without them (or a failed request) replays with its original URLs.
    source.archive().then(
      (r) => live && setArchive(archiveMap(r.resources)),
      () => live && setArchive(new Map()),
    );
    source.session().then(
      (s) => {
        if (!live) return;
        setSession(s);
        if (s.tabs > 1)
          source.tabs().then(
            (r) => {
              if (!live) return;
              setTabs(r.tabs);
              setTab(r.tabs[0] ? r.tabs[0].id : "");
            },
            () => live && setTab(""),
          );
        else setTab("");
      },
      (err) => {
        if (!live) return;
        if (err instanceof ApiError) {
          if (err.status === 401 && !shared) return;
          setError({ status: err.status, code: err.code, message: err.message });
        } else setError({ status: 0, code: "", message: String(err) });
      },
    );
    return () => {
      live = false;
    };
  }, [id]);

  // Friction findings and the summary are extras: the player works without them. The server
  // reads the whole recording to answer, so they are asked for once the first frame is up.
  const signalsFor = useRef("");
  const askSignals = () => {
    if (!source.signals || signalsFor.current === id) return;
    signalsFor.current = id;
    source.signals().then(
      (r) => signalsFor.current === id && setSignals(r),
      () => {},
    );
  };

  const startAt = t !== null && /^\d+$/.test(t) ? Number(t) : null;

  return (
    <main class="player-page">
      {error ? (
        <section class="viewer">
          <div class="stage-message" data-testid="player-error">
            <h2>{loadError(error).title}</h2>
            <p class="muted">{loadError(error).detail}</p>
          </div>
        </section>
      ) : !session || tab === null || archive === null ? (
        <section class="viewer">
          <div class="stage-message">
            <p class="muted">Loading recording…</p>
          </div>
        </section>
      ) : (
        <Replay
          key={tab}
          session={session}
          source={source}
          startAt={startAt ?? (session.shareAt || null)}
          tabs={tabs}
          tab={tab}
          setTab={setTab}
          shared={!!shared}
          signals={signals}
          askSignals={askSignals}
          archive={archive}
        />
      )}
    </main>
  );
}

type PaneName = "events" | "console" | "network" | "errors" | "session";
const PANES: PaneName[] = ["events", "console", "network", "errors", "session"];

function paneFrom(search: string): PaneName {
  const p = new URLSearchParams(search).get("pane") as PaneName;
  return PANES.includes(p) ? p : "events";
}

function Replay({
  session,
  source,
  startAt,
  tabs,
  tab,
  setTab,
  shared,
  signals,
  askSignals,
  archive,
}: {
  signals: Signals | null;
  askSignals: () => void;
  archive: ArchiveMap;
  session: SessionDetail;
  source: Source;
  startAt: number | null;
  tabs: Tab[];
  tab: string;
  setTab: (t: string) => void;
  shared: boolean;
}) {
  const stageRef = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<HTMLElement>(null);
  const engineRef = useRef<Engine | null>(null);
  const [, setTick] = useState(0);
  const [time, setTime] = useState(startAt || 0);
  const [speed, setSpeed] = useState(1);
  const [skip, setSkip] = useState(true);
  const [privacy, setPrivacy] = useState(false);
  const [view, setViewState] = useState<ViewOptions>(() => viewOptions(location.search));
  const setView = (v: ViewOptions) => {
    setViewState(v);
    saveView(v);
    engineRef.current?.setActualSize(v.actualSize);
    engineRef.current?.setCursor(v.cursor);
  };
  // The open pane is in the address (?pane=), so a reload or a pasted link opens on it.
  const [pane, setPaneState] = useState<PaneName>(() => paneFrom(location.search));
  const setPane = (name: PaneName) => {
    setPaneState(name);
    const p = new URLSearchParams(location.search);
    if (name === "events") p.delete("pane");
    else p.set("pane", name);
    const q = p.toString();
    navigate(location.pathname + (q ? "?" + q : ""), true);
  };
  const [rawDigest, setD] = useState<Digest | null>(null);
  const base = Date.parse(session.startedAt);
  const live = Date.now() - Date.parse(session.updatedAt || session.endedAt) < LIVE_MS;
  const e = engineRef.current;
  const total = Math.max(session.durationMs, e ? e.end() : 0);
  const d = useMemo(() => withFriction(rawDigest, signals?.signals, base), [rawDigest, signals, base]);
  const [comments, reloadComments] = useComments(session.id, !shared);


  // One engine per tab; a tab switch keeps the moment.
  useEffect(() => {
    const stage = stageRef.current!;
    let raf = 0;
    let digestTimer = 0;
    let digestedLen = -1;
    let lastDigest = 0;
    // Markers, the activity strip and the panes wait for the first frame: for a long recording
    // they cost more than the frame itself.
    let settled = false;
    const redigest = () => {
      const en = engineRef.current;
      if (!en) return;
      const evs = en.full || en.win;
      if (evs.length === digestedLen) return;
      digestedLen = evs.length;
      setD(digest(evs, base, Math.max(session.durationMs, en.end())));
    };
    const params = new URLSearchParams(location.search);
    const en = new Engine({
      source,
      stage,
      base,
      tab: tab || undefined,
      speed,
      skip,
      live,
      archive,
      actualSize: view.actualSize,
      cursor: view.cursor,
      loadAll: params.get("load") === "all",
      onChange: () => {
        setTick((n) => n + 1);
        // The panes follow the recording as it streams in, at most twice a second.
        if (!settled || digestTimer) return;
        const wait = 500 - (Date.now() - lastDigest);
        if (wait <= 0) {
          lastDigest = Date.now();
          redigest();
        } else
          digestTimer = window.setTimeout(() => {
            digestTimer = 0;
            lastDigest = Date.now();
            redigest();
          }, wait);
      },
      // Keys pressed inside the replay's frame reach every shortcut listener of the page (the
      // player's, the list navigation's, the help's) as if pressed outside it.
      onKey: (ev) => dispatchEvent(new KeyboardEvent("keydown", { key: ev.key, code: ev.code, shiftKey: ev.shiftKey, repeat: ev.repeat, cancelable: true })),
    });
    engineRef.current = en;
    const from = switchMoment.current ?? startAt;
    switchMoment.current = null;
    // A live session opens at its newest moment, playing: the first frame is what the visitor
    // sees now, and what they do next shows as it arrives (the replay finishes at once and
    // follows new events), instead of the recording so far playing out from 0:00.
    en.start(from ?? (live ? session.durationMs : 0), from === null);
    en.settled.then(() => {
      if (engineRef.current !== en) return;
      settled = true;
      lastDigest = Date.now();
      redigest();
      askSignals();
    });
    const loop = () => {
      if (engineRef.current) setTime(engineRef.current.time());
      raf = requestAnimationFrame(loop);
    };
    raf = requestAnimationFrame(loop);
    return () => {
      cancelAnimationFrame(raf);
      clearTimeout(digestTimer);
      engineRef.current = null;
      en.destroy();
    };
  }, []);

  // A later ?t= (a pasted link to a moment) moves the paused player there.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (startAt !== null) engineRef.current?.seek(startAt, false);
  }, [startAt]);

  const seek = (ms: number, play?: boolean) => {
    const en = engineRef.current;
    if (!en) return;
    const at = Math.max(0, Math.min(total, ms));
    en.seek(at, play === undefined ? en.playing && at < total : play);
    setTime(at);
  };

  const toggle = () => {
    const en = engineRef.current;
    if (!en || !en.r) return;
    if (en.playing) en.pause();
    else if (en.time() >= total - 50 && !live) en.seek(0, true);
    else en.play();
  };

  const step = (dir: 1 | -1) => {
    const list = stops(d);
    const now = engineRef.current ? engineRef.current.time() : time;
    const next = dir > 0 ? list.find((i) => i.at > now + 250) : [...list].reverse().find((i) => i.at < now - 250);
    if (next) seek(next.at);
  };

  const fullscreen = () => {
    const v = viewerRef.current;
    if (!v) return;
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else v.requestFullscreen?.().catch(() => {});
  };

  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey || isTyping(ev.target)) return;
      const now = engineRef.current ? engineRef.current.time() : 0;
      if (ev.key === " " || ev.code === "Space") {
        ev.preventDefault();
        if (!ev.repeat) toggle();
      } else if (ev.key === "ArrowLeft") {
        ev.preventDefault();
        seek(now - STEP_MS);
      } else if (ev.key === "ArrowRight") {
        ev.preventDefault();
        seek(now + STEP_MS);
      } else if (ev.key === "[") {
        ev.preventDefault();
        step(-1);
      } else if (ev.key === "]") {
        ev.preventDefault();
        step(1);
      } else if (ev.key === "f" || ev.key === "F") {
        ev.preventDefault();
        fullscreen();
      } else if (ev.key === "1") {
        ev.preventDefault();
        setView({ ...view, actualSize: !view.actualSize });
      } else if (ev.key === "c" || ev.key === "C") {
        ev.preventDefault();
        setView({ ...view, cursor: !view.cursor });
      }
    };
    // Space on a focused button would also "click" it on keyup.
    const onKeyUp = (ev: KeyboardEvent) => {
      if ((ev.key === " " || ev.code === "Space") && ev.target instanceof HTMLButtonElement) ev.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("keyup", onKeyUp);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("keyup", onKeyUp);
    };
  });

  const switchTab = (id: string) => {
    switchMoment.current = Math.round(engineRef.current ? engineRef.current.time() : time);
    setTab(id);
  };

  const status = e ? e.status : "loading";
  const playing = !!e && e.playing;
  const linkHere = shared
    ? `${location.origin}${location.pathname}?t=${Math.round(time)}`
    : `${location.origin}/sessions/${encodeURIComponent(session.id)}?t=${Math.round(time)}`;

  return (
    <>
      <section class="viewer" ref={viewerRef}>
        <div class="viewer-head">
          {!shared && <SessionNav id={session.id} />}
          <span class="muted mono" data-testid="session-id">
            {session.id}
          </span>
          {tabs.length > 1 && (
            <div class="tabs-switch" role="tablist" aria-label="Browser tabs" data-testid="tabs">
              {tabs.map((tb, i) => (
                <button
                  type="button"
                  role="tab"
                  aria-selected={tb.id === tab}
                  class={tb.id === tab ? "on" : ""}
                  data-testid="tab"
                  data-tab-id={tb.id}
                  title={`Opened at ${clock(Date.parse(tb.firstAt) - base)} · ${tb.events} events`}
                  onClick={() => tb.id !== tab && switchTab(tb.id)}
                >
                  Tab {i + 1}
                </button>
              ))}
            </div>
          )}
          {live && (
            <span class={"live-badge" + (e && e.atLiveEdge() ? " edge" : "")} data-testid="live">
              <span class="live-dot" /> Live
            </span>
          )}
          <div class="spacer" />
          {shared && session.shareExpiresAt && (
            <span class="muted" data-testid="share-note">
              Shared read-only view · link expires {absolute(session.shareExpiresAt)}
            </span>
          )}
        </div>
        {shared && session.shareNote && <ShareNoteBanner note={session.shareNote} at={session.shareAt || 0} seek={seek} />}
        <div class="stage" data-testid="player" ref={stageRef}>
          {e && playing && e.skipping && <div class="skipping">Skipping inactivity…</div>}
          {privacy && status === "ready" && <PrivacyLayer engine={e} stage={stageRef.current} />}
          {status === "loading" && (
            <div class="stage-overlay">
              <p class="muted">Loading recording…</p>
            </div>
          )}
          {status === "empty" && (
            <div class="stage-overlay" data-testid="nothing">
              <h2>Nothing to replay yet</h2>
              <p class="muted">
                {live
                  ? "This session has no full page snapshot yet. It is still being recorded; it will appear here by itself."
                  : "This session has no full page snapshot."}
              </p>
            </div>
          )}
          {status === "error" && (
            <div class="stage-overlay">
              <h2>Could not load this recording</h2>
              <p class="muted">{e?.error}</p>
            </div>
          )}
        </div>
        <Timeline time={time} total={total} d={d} seek={seek} playing={playing} tabs={tabs} tab={tab} base={base}>
          <CommentMarkers comments={comments} total={total} seek={seek} />
        </Timeline>
        <div class="controls">
          <button
            type="button"
            class="play"
            data-testid="play"
            aria-label={playing ? "Pause" : "Play"}
            data-state={playing ? "playing" : "paused"}
            title={playing ? "Pause (space)" : "Play (space)"}
            onClick={toggle}
            disabled={status !== "ready"}
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
          <button type="button" class="ghost icon" title="Previous event ([)" data-testid="prev-event" onClick={() => step(-1)}>
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M3 3h2v10H3zM13 3.5v9a.6.6 0 0 1-.9.5L6 8.5a.6.6 0 0 1 0-1l6.1-4.5a.6.6 0 0 1 .9.5z" />
            </svg>
          </button>
          <button type="button" class="ghost icon" title="Next event (])" data-testid="next-event" onClick={() => step(1)}>
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M11 3h2v10h-2zM3 3.5v9a.6.6 0 0 0 .9.5L10 8.5a.6.6 0 0 0 0-1L3.9 3a.6.6 0 0 0-.9.5z" />
            </svg>
          </button>
          <span class="time mono" data-testid="time" data-current-ms={Math.round(time)} data-total-ms={total}>
            {clock(Math.min(time, total))} / {clock(total)}
          </span>
          <div class="spacer" />
          <div class="speeds" role="group" aria-label="Playback speed" data-testid="speeds">
            {SPEEDS.map((s) => (
              <button
                type="button"
                class={s === speed ? "on" : ""}
                aria-pressed={s === speed}
                data-speed={s}
                onClick={(ev) => {
                  setSpeed(s);
                  engineRef.current?.setSpeed(s);
                  ev.currentTarget.blur();
                }}
              >
                {s}×
              </button>
            ))}
          </div>
          <label class="toggle" title="Fast-forward through periods without user activity">
            <input
              type="checkbox"
              data-testid="skip-inactive"
              checked={skip}
              onChange={(ev) => {
                setSkip(ev.currentTarget.checked);
                engineRef.current?.setSkip(ev.currentTarget.checked);
                ev.currentTarget.blur();
              }}
            />
            Skip idle
          </label>
          <label class="toggle" title="Outline what was masked, blocked and scrubbed">
            <input
              type="checkbox"
              data-testid="privacy-view"
              checked={privacy}
              onChange={(ev) => {
                setPrivacy(ev.currentTarget.checked);
                ev.currentTarget.blur();
              }}
            />
            Privacy view
          </label>
          <label class="toggle" title="Show the page at its recorded size instead of scaled to fit (1)">
            <input
              type="checkbox"
              data-testid="actual-size"
              checked={view.actualSize}
              onChange={(ev) => {
                setView({ ...view, actualSize: ev.currentTarget.checked });
                ev.currentTarget.blur();
              }}
            />
            1:1
          </label>
          <label class="toggle" title="Draw the visitor's mouse cursor and its trail (c)">
            <input
              type="checkbox"
              data-testid="show-cursor"
              checked={view.cursor}
              onChange={(ev) => {
                setView({ ...view, cursor: ev.currentTarget.checked });
                ev.currentTarget.blur();
              }}
            />
            Cursor
          </label>
          {live && e && !e.atLiveEdge() && (
            <button type="button" data-testid="go-live" onClick={() => seek(e.end() - 1500, true)}>
              Go live
            </button>
          )}
          <CopyButton text={linkHere} label="Copy link" />
          {!shared && <PinButton session={session.id} project={session.projectId} up />}
          {!shared && <ShareButton id={session.id} time={time} />}
          {!shared && <ClipButton id={session.id} time={time} total={total} tab={tab} />}
          <BugReportButton session={session} digest={d} time={time} summary={signals?.summary} />
          <Shortcuts />
          <button type="button" class="ghost icon" title="Fullscreen (f)" data-testid="fullscreen" onClick={fullscreen}>
            <svg viewBox="0 0 16 16" aria-hidden="true">
              <path d="M2 2h4v1.5H3.5V6H2zM10 2h4v4h-1.5V3.5H10zM2 10h1.5v2.5H6V14H2zM12.5 10H14v4h-4v-1.5h2.5z" />
            </svg>
          </button>
        </div>
      </section>
      <aside class="side" data-testid="side">
        <nav class="pane-tabs" role="tablist">
          {(
            [
              ["events", "Events", d ? stops(d).length : 0],
              ["console", "Console", d ? d.console.length : 0],
              ["network", "Network", d ? d.requests.length : 0],
              ["errors", "Errors", d ? d.errors.length : 0],
              ["session", "Session", -1],
            ] as [PaneName, string, number][]
          ).map(([name, label, n]) => (
            <button
              type="button"
              role="tab"
              aria-selected={pane === name}
              class={(pane === name ? "on" : "") + (name === "errors" && n > 0 ? " bad" : "")}
              data-testid={"pane-" + name}
              onClick={() => setPane(name)}
            >
              {label}
              {n >= 0 && <span class="n">{n}</span>}
            </button>
          ))}
        </nav>
        <div class="pane" data-testid={"pane-body-" + pane}>
          {pane === "events" && <EventsPane items={stops(d)} time={time} seek={seek} />}
          {pane === "console" && <ConsolePane entries={d ? d.console : []} time={time} seek={seek} />}
          {pane === "network" && <NetworkPane requests={d ? d.requests : []} time={time} seek={seek} />}
          {pane === "errors" && <ErrorsPane errors={d ? d.errors : []} time={time} seek={seek} />}
          {pane === "session" && <Facts s={session} d={d} seek={seek} signals={signals} shared={shared} />}
          {pane === "session" && !shared && (
            <CommentsPane session={session.id} comments={comments} reload={reloadComments} time={time} seek={seek} />
          )}
          {pane === "session" && !shared && <ShareLinks id={session.id} />}
        </div>
      </aside>
    </>
  );
}


/** Fired when a share link of the open session was made, so its list shows it. */
const SHARES_CHANGED = "reel:shares";

/** The session's share links, each revocable by its creator or an admin. */
function ShareLinks({ id }: { id: string }) {
  const [links, setLinks] = useState<ShareLink[] | null>(null);
  const [err, setErr] = useState("");
  const load = () =>
    api.shares(id).then(
      (r) => setLinks(r.shares),
      (e) => setErr(e instanceof Error ? e.message : String(e)),
    );
  useEffect(() => {
    load();
    addEventListener(SHARES_CHANGED, load);
    return () => removeEventListener(SHARES_CHANGED, load);
  }, [id]);
  const revoke = async (l: ShareLink) => {
    if (!confirm("Revoke this share link? Anyone holding it loses access at once.")) return;
    setErr("");
    try {
      await api.revokeShare(l.id);
      await load();
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="shares" data-testid="share-links">
      <h3>Share links</h3>
      {links && links.length === 0 && <p class="muted">No share links.</p>}
      {links && links.length > 0 && (
        <ul>
          {links.map((l) => (
            <li data-testid="share-link" data-status={l.status}>
              <span class={l.status === "active" ? "" : "muted"}>
                {l.status === "active" && <>Expires {absolute(l.expiresAt)}</>}
                {l.status === "expired" && <>Expired {absolute(l.expiresAt)}</>}
                {l.status === "revoked" && <>Revoked {absolute(l.revokedAt || l.expiresAt)}</>}
                {l.mine ? " · yours" : ""}
                {l.at ? ` · opens at ${clock(l.at)}` : ""}
                {l.note ? ` · “${l.note}”` : ""}
              </span>
              {l.status === "active" && (
                <button type="button" class="danger" data-testid="share-revoke" onClick={() => revoke(l)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {err && <p class="error">{err}</p>}
    </div>
  );
}

/** The longest clip the server renders (api.MaxClip). */
const MAX_CLIP_S = 60;

/**
 * "Download clip": a video of a range of the session, rendered by the server (GET
 * /api/v1/sessions/{id}/video, docs/export.md). The range starts 10 s before the current
 * moment and ends 5 s after it; both ends can be typed in seconds.
 */
function ClipButton({ id, time, total, tab }: { id: string; time: number; total: number; tab: string | null }) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(0);
  const [to, setTo] = useState(0);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState("");
  const toggle = () => {
    if (!open) {
      const now = Math.round(time / 1000);
      setFrom(Math.max(0, now - 10));
      setTo(Math.max(1, Math.min(Math.ceil(total / 1000), now + 5)));
      setErr("");
    }
    setOpen(!open);
  };
  const download = async () => {
    setErr("");
    if (!(to > from) || to - from > MAX_CLIP_S) {
      setErr(`Choose an end after the start, at most ${MAX_CLIP_S} s later.`);
      return;
    }
    setBusy(true);
    try {
      const q = new URLSearchParams({ from: String(from * 1000), to: String(to * 1000) });
      if (tab) q.set("tab", tab);
      const res = await fetch("/api/v1/sessions/" + encodeURIComponent(id) + "/video?" + q, { credentials: "same-origin" });
      if (!res.ok) {
        let msg = `The server could not make the clip (${res.status}).`;
        try {
          const b = await res.json();
          if (b && b.error && b.error.message) msg = b.error.message;
        } catch {
          // Not JSON.
        }
        throw new Error(msg);
      }
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = `${id}-${from}s-${to}s.webm`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const secs = (v: string) => Math.max(0, Math.round(Number(v) || 0));
  return (
    <div class="share">
      <button type="button" class="nowrap" title="Download clip: a video of part of the session" data-testid="clip" onClick={toggle} aria-expanded={open}>
        Clip
      </button>
      {open && (
        <div class="popover share-pop clip-pop" data-testid="clip-popover">
          <p>
            <strong>Download clip</strong>: a video (WebM) of this part of the session, at most {MAX_CLIP_S} s, as it happened.
          </p>
          <div class="row">
            <label>
              From{" "}
              <input type="number" min="0" step="1" value={from} data-testid="clip-from" onInput={(ev) => setFrom(secs(ev.currentTarget.value))} /> s
            </label>
            <label>
              to <input type="number" min="1" step="1" value={to} data-testid="clip-to" onInput={(ev) => setTo(secs(ev.currentTarget.value))} /> s
            </label>
          </div>
          <div class="row">
            <button type="button" class="primary" data-testid="clip-download" disabled={busy} onClick={download}>
              {busy ? "Rendering…" : "Download"}
            </button>
          </div>
          {err && (
            <p class="error" data-testid="clip-error">
              {err}
            </p>
          )}
        </div>
      )}
    </div>
  );
}

function ShareButton({ id, time }: { id: string; time: number }) {
  const [open, setOpen] = useState(false);
  const [hours, setHours] = useState(168);
  const [opts, setOpts] = useState({ atNow: true, note: "" });
  const [link, setLink] = useState<{ url: string; expiresAt: string } | null>(null);
  const [err, setErr] = useState("");
  const create = async () => {
    setErr("");
    try {
      const s = await api.share(id, hours, opts.atNow ? Math.round(time) : 0, opts.note.trim());
      setLink({ url: location.origin + s.path, expiresAt: s.expiresAt });
      dispatchEvent(new Event(SHARES_CHANGED));
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div class="share">
      <button type="button" data-testid="share" onClick={() => setOpen(!open)} aria-expanded={open}>
        Share
      </button>
      {open && (
        <div class="popover share-pop" data-testid="share-popover">
          <p>Anyone with this link can watch this session, read-only, without logging in, until it expires.</p>
          <ShareOptions time={time} value={opts} onChange={setOpts} />
          <div class="row">
            <select value={String(hours)} data-testid="share-ttl" onChange={(ev) => setHours(Number(ev.currentTarget.value))}>
              <option value="1">1 hour</option>
              <option value="24">1 day</option>
              <option value="168">7 days</option>
              <option value="720">30 days</option>
            </select>
            <button type="button" class="primary" data-testid="share-create" onClick={create}>
              Create link
            </button>
          </div>
          {link && (
            <div class="row">
              <input readOnly value={link.url} data-testid="share-url" onFocus={(ev) => ev.currentTarget.select()} />
              <CopyButton text={link.url} />
            </div>
          )}
          {link && <p class="muted">Expires {absolute(link.expiresAt)}.</p>}
          {err && <p class="error">{err}</p>}
        </div>
      )}
    </div>
  );
}

function Timeline({
  time,
  total,
  d,
  seek,
  playing,
  tabs,
  tab,
  base,
  children,
}: {
  time: number;
  total: number;
  d: Digest | null;
  seek: (ms: number, play?: boolean) => void;
  playing: boolean;
  tabs: Tab[];
  tab: string;
  base: number;
  /** Drawn under the scrubber, across its width (the comments' markers). */
  children?: ComponentChildren;
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
  const marks = useMemo(() => (d ? d.items.filter((i) => MARKED.includes(i.kind)) : []), [d]);
  const near = (ms: number): Item | null => {
    const tol = total / 120;
    let best: Item | null = null;
    for (const m of marks) if (Math.abs(m.at - ms) <= tol && (!best || Math.abs(m.at - ms) < Math.abs(best.at - ms))) best = m;
    return best;
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
    const dr = drag.current;
    if (!dr) return;
    dr.ms = ms;
    setDragMs(ms);
    // Seeking replays every event up to that point: at most once a frame.
    if (!dr.raf)
      dr.raf = requestAnimationFrame(() => {
        dr.raf = 0;
        seek(dr.ms, false);
      });
  };
  const up = (e: PointerEvent) => {
    const dr = drag.current;
    if (!dr) return;
    drag.current = null;
    cancelAnimationFrame(dr.raf);
    setDragMs(null);
    seek(msAt(e.clientX), dr.resume);
  };

  const shown = dragMs ?? time;
  const hoverItem = hover !== null ? near(hover) : null;
  const current = tabs.find((t) => t.id === tab);
  return (
    <div class="timeline">
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
        <div class="lane marks" data-testid="markers">
          {marks.map((m) => (
            <div class={"mark k-" + m.kind} data-kind={m.kind} data-at={m.at} style={{ left: pct(m.at) + "%" }} />
          ))}
        </div>
        <div class="track">
          {current && (
            <div
              class="tab-span"
              style={{ left: pct(Date.parse(current.firstAt) - base) + "%", width: pct(Date.parse(current.lastAt) - Date.parse(current.firstAt)) + "%" }}
            />
          )}
          <div class="fill" style={{ width: pct(shown) + "%" }} />
        </div>
        <div class="lane activity" data-testid="activity" title="Activity: taller means busier">
          {d &&
            d.activity.map((a) => (
              <span class={a === 0 ? "idle" : ""} style={{ height: Math.max(1, Math.round(a * 8)) + "px" }} />
            ))}
        </div>
        <div class="thumb" style={{ left: pct(shown) + "%" }} />
        {hover !== null && (
          <div class="hover" style={{ left: pct(hover) + "%" }}>
            {clock(hover)}
            {hoverItem && (
              <span class="hover-item">
                {" · "}
                {KINDS[hoverItem.kind].short}: {hoverItem.label.slice(0, 60)}
              </span>
            )}
          </div>
        )}
      </div>
      {children}
      <div class="legend">
        {MARKED.filter((k) => marks.some((m) => m.kind === k)).map((k) => (
          <span class={"lg k-" + k}>
            <i />
            {KINDS[k].label}
          </span>
        ))}
      </div>
    </div>
  );
}

/** The kinds of value the server's scrubber counts, as the Session pane names them (one, many). */
const scrubbedKinds: [string, string, string][] = [
  ["card", "card number", "card numbers"],
  ["email", "email", "emails"],
  ["phone", "phone number", "phone numbers"],
  ["iban", "IBAN", "IBANs"],
  ["token", "token", "tokens"],
  ["custom", "match of the project's patterns", "matches of the project's patterns"],
];

/** "Scrubbed on the server: 2 card numbers, 1 email", or that nothing was. */
export function scrubbedText(c: Record<string, number> | undefined): string {
  const parts = scrubbedKinds.filter(([k]) => c && c[k] > 0).map(([k, one, many]) => `${c![k]} ${c![k] === 1 ? one : many}`);
  return parts.length ? "Scrubbed on the server: " + parts.join(", ") : "Nothing scrubbed on the server";
}

/** timeOfDay is the local time of an ISO time, to the second (12:03:10). */
function timeOfDay(iso: string): string {
  const t = Date.parse(iso);
  return isNaN(t) ? "" : new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

function Facts({ s, d, seek, signals, shared }: { s: SessionDetail; d: Digest | null; seek: (ms: number) => void; signals: Signals | null; shared?: boolean }) {
  const person = (id: string) => (shared ? id : <UserLink project={s.projectId} id={id} />);
  const pages = d && d.pages.length ? d.pages : (s.urls || []).map((u) => ({ at: -1, url: u, ms: -1 }));
  const user = d && d.user;
  // The server keeps every id the session had (an account switch, or an identify sent by
  // someone else); the current one is the session's, the others are shown as before it.
  const current = s.userId || (user && user.id) || "";
  const before = (s.userIds || []).filter((u) => u.id !== current).map((u) => u.id);
  const now = (s.userIds || []).find((u) => u.id === current);
  const changed = before.length > 0 && now ? timeOfDay(now.firstSeen) : "";
  return (
    <div class="facts" data-testid="facts">
      {signals && signals.summary && (
        <p class="summary" data-testid="summary">
          {signals.summary}
          {typeof signals.score === "number" && <span class="score" title="Interest score (0–100)">{signals.score}</span>}
        </p>
      )}
      <dl>
        {current && (
          <>
            <dt>User</dt>
            <dd data-testid="user">
              {person(current)}
              {before.length > 0 && (
                <span class="muted" data-testid="user-before">
                  {" "}
                  (before: {before.map((b, i) => (
                    <>
                      {i > 0 && ", "}
                      {person(b)}
                    </>
                  ))}
                  {changed ? `, changed ${changed}` : ""})
                </span>
              )}
            </dd>
          </>
        )}
        {user &&
          user.traits &&
          Object.entries(user.traits)
            .slice(0, 12)
            .map(([k, v]) => (
              <>
                <dt class="trait">{k}</dt>
                <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>
              </>
            ))}
        <dt>Started</dt>
        <dd>{absolute(s.startedAt)}</dd>
        {/* The session's own numbers, as the list and search have them (docs/player.md). */}
        <dt>Duration</dt>
        <dd data-testid="duration">{duration(s.durationMs)}</dd>
        <dt>Active</dt>
        <dd data-testid="active-time">{s.activeMs !== undefined ? duration(s.activeMs) : d ? duration(d.activeMs) : "…"}</dd>
        <dt>Pages</dt>
        <dd data-testid="page-count">{s.pages}</dd>
        <dt>Clicks</dt>
        <dd>{s.clicks}</dd>
        <dt>Browser</dt>
        <dd>{s.browser || "–"}</dd>
        <dt>OS</dt>
        <dd>{s.os || "–"}</dd>
        <dt>Device</dt>
        <dd>{s.device || "–"}</dd>
        <dt>Viewport</dt>
        <dd>{viewport(s.viewport)}</dd>
        {s.tabs > 1 && (
          <>
            <dt>Tabs</dt>
            <dd>{s.tabs}</dd>
          </>
        )}
        <dt>Scrubbed</dt>
        <dd data-testid="scrubbed" title="Values the server masked with █ before storing anything (docs/privacy-scrubber.md)">
          {scrubbedText(s.scrubbed)}
        </dd>
      </dl>
      {!shared && <SessionVitals id={s.id} startedAt={s.startedAt} seek={seek} />}
      <h3>Pages visited</h3>
      <ol class="pages" data-testid="pages">
        {pages.map((p) => (
          <li title={p.url}>
            {p.at >= 0 ? (
              <button type="button" class="link" onClick={() => seek(p.at)}>
                <span class="mono t">{clock(p.at)}</span>
                <span class="path">{urlPath(p.url)}</span>
                <span class="muted dur">{duration(p.ms)}</span>
              </button>
            ) : (
              <span class="path">{urlPath(p.url)}</span>
            )}
          </li>
        ))}
      </ol>
      <h3>User agent</h3>
      <p class="ua mono">{s.userAgent || "–"}</p>
    </div>
  );
}
