import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Project, type Session } from "./api";
import { absolute, duration, relative, urlPath, viewport } from "./format";
import { navigate } from "./router";
import { CopyButton } from "./copy";
import { FilterBar, SortSelect } from "./filterbar";
import { PinButton, SavedBar, savedApi } from "./saved";
import { Preview } from "./preview";
import { useProjects, withParam } from "./nav";
import { listParams, sessionHref } from "./listnav";
import { UserLink } from "./people";

const PAGE = 50;
const REFRESH_MS = 5000;
/** A session whose last event is this recent is shown as live. */
const LIVE_MS = 60_000;

/**
 * Merges a fresh first page into what is shown: the fresh page replaces the
 * sessions it covers (they may have grown), older pages already loaded stay.
 */
function merge(fresh: Session[], shown: Session[]): Session[] {
  if (fresh.length === 0) return shown;
  const ids = new Set(fresh.map((s) => s.id));
  const oldest = fresh[fresh.length - 1].startedAt;
  const rest = shown.filter((s) => !ids.has(s.id) && s.startedAt < oldest);
  return fresh.concat(rest);
}

/** The pages of 50 a reload restores at once: the API's largest page is 200 sessions. */
const MAX_RESTORED_PAGES = 4;

/**
 * The sessions list. Its state lives in the page URL (q: the query with its sort: term,
 * project, pages: how many pages were loaded), so Back/Forward, reload and a pasted link show
 * the same list; ?saved= (alert links) opens a saved search and rewrites the URL to its query.
 */
export function Sessions({ loc }: { loc: URL }) {
  const sp = loc.searchParams;
  const query = sp.get("q")?.trim() || "";
  const { projects, project, error: projectsError } = useProjects(sp.get("project"));
  const wantPages = Math.max(1, Math.min(MAX_RESTORED_PAGES, Math.floor(Number(sp.get("pages")) || 1)));
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [pagesLoaded, setPagesLoaded] = useState(wantPages);
  const [error, setError] = useState("");
  const [loadingMore, setLoadingMore] = useState(false);
  const [now, setNow] = useState(Date.now());
  const [draft, setDraft] = useState(query ? query + " " : "");
  const [count, setCount] = useState<{ n: number; more: boolean } | null>(null);
  const pagesRef = useRef(wantPages);
  pagesRef.current = pagesLoaded;

  // The URL is the list: when it changes (Back, Forward, a filter click), the box and the pages
  // follow it.
  const listKey = JSON.stringify([project, query]);
  const prevKey = useRef<string | null>(null);
  useEffect(() => {
    setDraft(query ? query + " " : "");
    if (projects === null) return;
    const was = prevKey.current;
    prevKey.current = listKey;
    if (was === null || was === listKey) return;
    setSessions(null);
    setPagesLoaded(1);
    pagesRef.current = 1;
    setCursor(undefined);
    setCount(null);
  }, [listKey, projects === null]);

  // First page now and every few seconds, so sessions appear while someone
  // clicks through the demo; paused while the tab is hidden. A restored list (pages=N) asks for
  // its N pages in one request.
  useEffect(() => {
    if (projects === null) return;
    let live = true;
    let timer = 0;
    const load = async () => {
      try {
        const n = pagesRef.current;
        const r = await api.sessions({ project: project || undefined, limit: PAGE * Math.min(n, MAX_RESTORED_PAGES), q: query });
        if (!live) return;
        if (typeof r.count === "number") setCount({ n: r.count, more: !!r.countIsLowerBound });
        setError("");
        setSessions((shown) => (shown && n > 1 ? merge(r.sessions, shown) : r.sessions));
        // The answer covers every loaded page up to MAX_RESTORED_PAGES, so its cursor is the next one.
        if (n <= MAX_RESTORED_PAGES) setCursor(r.nextCursor);
        setNow(Date.now());
      } catch (err) {
        if (!live) return;
        if (err instanceof ApiError && err.status === 401) return;
        setError(err instanceof Error ? err.message : String(err));
        setSessions((s) => s || []);
      }
      if (live) timer = window.setTimeout(tick, REFRESH_MS);
    };
    const tick = () => {
      if (document.hidden) timer = window.setTimeout(tick, REFRESH_MS);
      else load();
    };
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [projects, project, query]);

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const r = await api.sessions({ project: project || undefined, limit: PAGE, cursor, q: query });
      setSessions((shown) => {
        const have = new Set((shown || []).map((s) => s.id));
        return (shown || []).concat(r.sessions.filter((s) => !have.has(s.id)));
      });
      setCursor(r.nextCursor);
      const n = pagesLoaded + 1;
      setPagesLoaded(n);
      pagesRef.current = n;
      // Replaced, not pushed: Back leaves the list instead of unloading a page at a time.
      navigate(withParam(loc, "pages", n > 1 ? String(Math.min(n, MAX_RESTORED_PAGES)) : null), true);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setError(err instanceof Error ? err.message : String(err));
    }
    setLoadingMore(false);
  };

  const current = projects?.find((p) => p.id === project) || projects?.[0];
  // The list a session row opens into: the player goes back to it and steps through it.
  const from = listParams(loc.search);
  if (project) from.set("project", project);
  /** Runs a query: a new history entry, so Back returns to the previous one. */
  function go(next: string, proj = project) {
    const p = new URLSearchParams(loc.search);
    p.delete("pages");
    p.delete("saved");
    if (next) p.set("q", next);
    else p.delete("q");
    if (proj && (proj !== project || sp.has("project"))) p.set("project", proj);
    const s = p.toString();
    navigate("/" + (s ? "?" + s : ""));
  }
  // A click in the filter bar rewrites the query text and runs it; the box keeps a trailing space
  // so typing goes on after the last term.
  function apply(next: string) {
    next = next.trim();
    setDraft(next ? next + " " : "");
    if (next !== query) go(next);
  }
  useEffect(() => {
    const id = sp.get("saved");
    if (!id || !/^\d+$/.test(id)) return;
    savedApi.get(id).then(
      (s) => {
        const p = new URLSearchParams();
        if (s.query.trim()) p.set("q", s.query.trim());
        p.set("project", s.project);
        navigate("/?" + p.toString(), true);
        savedApi.visit(s.id).catch(() => {});
      },
      (err) => !(err instanceof ApiError && err.status === 401) && setError(err.message),
    );
  }, []);
  const shownError = error || projectsError;
  const [countries, setCountries] = useState<string[]>([]);
  useEffect(() => {
    setCountries([]);
    if (!project) return;
    let live = true;
    api.countries(project).then(
      (r) => live && setCountries(r.countries.map((c) => c.code)),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [project]);

  return (
    <main class="page">
      <div class="titlebar">
        <h1>Sessions</h1>
        {sessions && (sessions.length > 0 || query) && (
          <span class="muted count" data-testid="count">
            {count ? `${count.n}${count.more ? "+" : ""}` : `${sessions.length}${cursor ? "+" : ""}`}{" "}
            {(count ? count.n : sessions.length) === 1 ? "session" : "sessions"}
          </span>
        )}
        <form
          class="filter"
          onSubmit={(e) => {
            e.preventDefault();
            if (draft.trim() !== query) go(draft.trim());
          }}
        >
          <input
            type="search"
            data-testid="filter"
            aria-label="Filter sessions"
            placeholder="Filter: visited:/checkout errors:>0"
            title="Search sessions: visited:/checkout errors:>0 browser:firefox user:* (docs/search.md)"
            value={draft}
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
        </form>
        <div class="spacer" />
        <SortSelect query={query} apply={apply} />
        {projects && projects.length > 1 && (
          <select
            aria-label="Project"
            value={project}
            onChange={(e) => go(query, e.currentTarget.value)}
          >
            {projects.map((p) => (
              <option value={p.id}>{p.name}</option>
            ))}
          </select>
        )}
        {current && sessions && sessions.length > 0 && (
          <details class="setup">
            <summary>Install snippet</summary>
            <div class="popover">
              <Snippet project={current} />
            </div>
          </details>
        )}
      </div>
      <FilterBar query={query} apply={apply} countries={countries} />
      {project && <SavedBar project={project} query={query} run={(s) => apply(s.query)} />}
      {shownError && <p class="error banner">{shownError}</p>}
      {sessions === null && !shownError && <p class="muted loading">Loading sessions…</p>}
      {sessions && sessions.length === 0 && !shownError && !query && <Empty project={current} />}
      {sessions && sessions.length === 0 && !shownError && query && (
        <p class="muted loading" data-testid="no-match">
          No session matches <code>{query}</code>.
        </p>
      )}
      {sessions && sessions.length > 0 && (
        <>
          <SessionTable sessions={sessions} now={now} from={from} extra={(s) => <PinButton session={s.id} project={s.projectId} />} />
          <div class="more">
            {cursor ? (
              <button type="button" data-testid="load-more" onClick={loadMore} disabled={loadingMore}>
                {loadingMore ? "Loading…" : "Load more"}
              </button>
            ) : (
              pagesLoaded > 1 && <span class="muted">That's all of them.</span>
            )}
          </div>
        </>
      )}
    </main>
  );
}

/** The sessions table; extra fills a last column (the Pin button, a playlist's note). */
export function SessionTable({
  sessions,
  now,
  extra,
  extraHead,
  from,
}: {
  sessions: Session[];
  now: number;
  /** The list the rows belong to, carried into the player (listnav.ts). */
  from?: URLSearchParams;
  extra?: (s: Session) => ComponentChildren;
  extraHead?: string;
}) {
  return (
    <div class="table-wrap">
      <table class="sessions" data-testid="session-table">
        <thead>
          <tr>
            <th class="thumb" aria-label="First page" />
            <th>When</th>
            <th>User</th>
            <th class="num">Duration</th>
            <th class="num" title="Time with clicks, typing, scrolling or mouse movement">Active</th>
            <th class="num">Pages</th>
            <th class="num">Clicks</th>
            <th class="num" title="JavaScript errors">Errors</th>
            <th class="num" title="Rage clicks, dead clicks and other friction">Friction</th>
            <th>Entry page</th>
            <th>Browser · OS</th>
            <th class="num">Viewport</th>
            {extra && <th>{extraHead || ""}</th>}
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <Row key={s.id} s={s} now={now} from={from} extra={extra && extra(s)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Row({ s, now, extra, from }: { s: Session; now: number; extra?: ComponentChildren; from?: URLSearchParams }) {
  const href = sessionHref(s.id, from || new URLSearchParams());
  const open = (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.button === 1) {
      window.open(href, "_blank", "noopener");
      return;
    }
    navigate(href);
  };
  const ended = Date.parse(s.updatedAt || s.endedAt);
  const live = !isNaN(ended) && now - ended < LIVE_MS;
  return (
    <tr
      data-testid="session-row"
      data-session-id={s.id}
      tabIndex={0}
      onClick={open}
      onAuxClick={(e) => e.button === 1 && open(e)}
      onKeyDown={(e) => {
        if (e.key === "Enter") navigate(href);
      }}
    >
      <td class="thumb">
        <Preview session={s} />
      </td>
      <td class="when" title={absolute(s.startedAt)}>
        {live && <span class="live-dot" title="Recorded in the last minute" />}
        {relative(s.startedAt, now)}
      </td>
      <td class="user" title={s.userId || "Anonymous visitor"}>
        {s.userId ? <UserLink project={s.projectId} id={s.userId} /> : <span class="muted">anonymous</span>}
      </td>
      <td class="num">{duration(s.durationMs)}</td>
      <td class="num">{s.activeMs !== undefined ? duration(s.activeMs) : <span class="muted">–</span>}</td>
      <td class="num">{s.pages}</td>
      <td class="num">{s.clicks}</td>
      <td class={"num" + (s.errors || s.failedRequests ? " bad" : "")} data-testid="errors" title={`${s.errors ?? 0} errors, ${s.failedRequests ?? 0} failed requests`}>
        {s.errors ?? 0}
        {s.failedRequests ? <span class="muted"> · {s.failedRequests}↯</span> : null}
      </td>
      <td class={"num" + (s.friction ? " warn" : "")}>{s.friction ?? 0}</td>
      <td class="url" title={s.entryUrl}>
        {urlPath(s.entryUrl)}
      </td>
      <td class="env">
        <Glyph name={s.browser} />
        {s.browser || "–"}
        <span class="muted"> · </span>
        <Glyph name={s.os} />
        {s.os || "–"}
        {s.device && s.device !== "desktop" ? <span class="muted"> · {s.device}</span> : null}
      </td>
      <td class="num">{viewport(s.viewport)}</td>
      {extra !== undefined && <td class="extra">{extra}</td>}
    </tr>
  );
}

// Small recognisable marks for browsers and systems: a coloured disc with a letter, no image
// requests and no trademarks copied.
const GLYPHS: [RegExp, string, string][] = [
  [/edge/i, "E", "#0c7bd6"],
  [/chrom/i, "C", "#e8a400"],
  [/firefox/i, "F", "#e66000"],
  [/safari/i, "S", "#1e88e5"],
  [/opera/i, "O", "#d7000f"],
  [/samsung/i, "S", "#1428a0"],
  [/windows/i, "W", "#0078d4"],
  [/ios|ipad|iphone/i, "i", "#8e8e93"],
  [/mac/i, "M", "#8e8e93"],
  [/android/i, "A", "#3ddc84"],
  [/linux/i, "L", "#f0b400"],
  [/chrome ?os/i, "C", "#4285f4"],
];

function Glyph({ name }: { name: string }) {
  if (!name) return null;
  const g = GLYPHS.find(([re]) => re.test(name));
  if (!g) return null;
  return (
    <span class="glyph" style={{ background: g[2] }} aria-hidden="true">
      {g[1]}
    </span>
  );
}

function snippetText(key: string): string {
  return (
    `<script src="${location.origin}/sdk/reel.js"></script>\n` +
    `<script>Reel.init({ key: "${key}" })</script>`
  );
}

export function Snippet({ project }: { project: Project }) {
  const text = snippetText(project.publicKey);
  return (
    <div class="snippet">
      <pre data-testid="snippet">
        <code>{text}</code>
      </pre>
      <CopyButton text={text} />
    </div>
  );
}

function Empty({ project }: { project: Project | undefined }) {
  return (
    <section class="empty" data-testid="empty">
      <h2>No sessions yet</h2>
      <p>
        Add these two lines to any page you want to record, just before <code>&lt;/body&gt;</code>. Sessions show up
        here within seconds.
      </p>
      {project ? <Snippet project={project} /> : <p class="muted">No project found.</p>}
      <p>
        Or see it work first:{" "}
        <a href="/demo/" target="_blank" rel="noopener" class="cta" data-testid="demo-link">
          try the demo shop →
        </a>{" "}
        then come back to this tab; your visit will be waiting.
      </p>
    </section>
  );
}
