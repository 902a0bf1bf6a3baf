import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, type Project, type Session } from "./api";
import { absolute, duration, relative, urlPath, viewport } from "./format";
import { navigate } from "./router";
import { CopyButton } from "./copy";
import { FilterBar, SortSelect } from "./filterbar";
import { PinButton, SavedBar, savedApi } from "./saved";
import { Preview } from "./preview";
import { storedProject, storeProject } from "./nav";

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

export function Sessions() {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [project, setProject] = useState<string>("");
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [pagesLoaded, setPagesLoaded] = useState(1);
  const [error, setError] = useState("");
  const [loadingMore, setLoadingMore] = useState(false);
  const [now, setNow] = useState(Date.now());
  // The filter and order go to the API (docs/search.md), so they apply to every session; the
  // order is sort: in the query, so a saved search keeps it. ?q= and ?saved= (alert links) open
  // the page on a query.
  const [query, setQuery] = useState(() => new URLSearchParams(location.search).get("q")?.trim() || "");
  const [draft, setDraft] = useState(query);
  const [count, setCount] = useState<{ n: number; more: boolean } | null>(null);
  const pagesRef = useRef(1);
  pagesRef.current = pagesLoaded;

  useEffect(() => {
    api.projects().then(
      (r) => {
        setProjects(r.projects);
        const stored = storedProject();
        const known = (id: string) => r.projects.some((x) => x.id === id);
        setProject((p) => (p && known(p) ? p : known(stored) ? stored : r.projects[0] ? r.projects[0].id : ""));
      },
      (err) => {
        if (!(err instanceof ApiError && err.status === 401)) setError(err.message);
        setProjects([]);
      },
    );
  }, []);

  // First page now and every few seconds, so sessions appear while someone
  // clicks through the demo; paused while the tab is hidden.
  useEffect(() => {
    if (projects === null) return;
    let live = true;
    let timer = 0;
    const load = async () => {
      try {
        const r = await api.sessions({ project: project || undefined, limit: PAGE, q: query });
        if (!live) return;
        if (typeof r.count === "number") setCount({ n: r.count, more: !!r.countIsLowerBound });
        setError("");
        setSessions((shown) => (shown && pagesRef.current > 1 ? merge(r.sessions, shown) : r.sessions));
        if (pagesRef.current === 1) setCursor(r.nextCursor);
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
      setPagesLoaded((n) => n + 1);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setError(err instanceof Error ? err.message : String(err));
    }
    setLoadingMore(false);
  };

  const current = projects?.find((p) => p.id === project) || projects?.[0];
  function resetPages() {
    setSessions(null);
    setPagesLoaded(1);
    setCursor(undefined);
    setCount(null);
  }
  // A click in the filter bar rewrites the query text and runs it; the box keeps a trailing space
  // so typing goes on after the last term.
  function apply(next: string) {
    next = next.trim();
    setDraft(next ? next + " " : "");
    if (next !== query) {
      setQuery(next);
      resetPages();
    }
  }
  useEffect(() => {
    const id = new URLSearchParams(location.search).get("saved");
    if (!id || !/^\d+$/.test(id)) return;
    savedApi.get(id).then(
      (s) => {
        setProject(s.project);
        apply(s.query);
        savedApi.visit(s.id).catch(() => {});
      },
      (err) => !(err instanceof ApiError && err.status === 401) && setError(err.message),
    );
  }, []);

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
            if (draft.trim() !== query) {
              setQuery(draft.trim());
              resetPages();
            }
          }}
        >
          <input
            type="search"
            data-testid="filter"
            aria-label="Filter sessions"
            placeholder="Filter: visited:/checkout errors:>0 user:*"
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
            onChange={(e) => {
              setProject(e.currentTarget.value);
              storeProject(e.currentTarget.value);
              setSessions(null);
              setPagesLoaded(1);
              setCursor(undefined);
            }}
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
      <FilterBar query={query} apply={apply} />
      {project && <SavedBar project={project} query={query} run={(s) => apply(s.query)} />}
      {error && <p class="error banner">{error}</p>}
      {sessions === null && !error && <p class="muted loading">Loading sessions…</p>}
      {sessions && sessions.length === 0 && !error && !query && <Empty project={current} />}
      {sessions && sessions.length === 0 && !error && query && (
        <p class="muted loading" data-testid="no-match">
          No session matches <code>{query}</code>.
        </p>
      )}
      {sessions && sessions.length > 0 && (
        <>
          <SessionTable sessions={sessions} now={now} extra={(s) => <PinButton session={s.id} project={s.projectId} />} />
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
}: {
  sessions: Session[];
  now: number;
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
            <Row key={s.id} s={s} now={now} extra={extra && extra(s)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Row({ s, now, extra }: { s: Session; now: number; extra?: ComponentChildren }) {
  const href = "/sessions/" + encodeURIComponent(s.id);
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
        {s.userId ? s.userId : <span class="muted">anonymous</span>}
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
