// Saved searches and playlists (docs/search.md, docs/api.md): the saved-search bar of the
// sessions page, the Pin button of the list and the player, and the playlist pages.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, request, type Session } from "./api";
import { PinNote } from "./pinnote";
import { absolute, relative } from "./format";
import { Link, useProjects, ProjectPicker } from "./nav";
import { alertLink } from "./alerts";
import { SessionTable } from "./sessions";
import { useAnchoredPopover } from "./popover";

export interface SavedSearch {
  id: number;
  project: string;
  name: string;
  query: string;
  shared: boolean;
  mine: boolean;
  createdAt: string;
  updatedAt: string;
  visitedAt?: string;
  /** Matching sessions that started since the caller last ran it. */
  newSinceVisit: number;
  newIsLowerBound?: boolean;
}

export interface Playlist {
  id: number;
  project: string;
  name: string;
  shared: boolean;
  mine: boolean;
  sessions: number;
  createdAt: string;
  updatedAt: string;
}

export interface Pinned extends Session {
  position: number;
  note?: string;
  addedAt: string;
}

const enc = encodeURIComponent;

export const savedApi = {
  list: (project: string) => request<{ savedSearches: SavedSearch[] }>("GET", "/saved-searches?project=" + enc(project)),
  get: (id: number | string) => request<SavedSearch>("GET", "/saved-searches/" + enc(String(id))),
  create: (b: { project: string; name: string; query: string; shared: boolean }) => request<SavedSearch>("POST", "/saved-searches", b),
  remove: (id: number) => request<void>("DELETE", "/saved-searches/" + id),
  visit: (id: number) => request<SavedSearch>("POST", "/saved-searches/" + id + "/visit"),
  playlists: (project: string) => request<{ playlists: Playlist[] }>("GET", "/playlists?project=" + enc(project)),
  createPlaylist: (b: { project: string; name: string; shared: boolean }) => request<Playlist>("POST", "/playlists", b),
  playlist: (id: string) => request<{ playlist: Playlist; sessions: Pinned[] }>("GET", "/playlists/" + enc(id) + "/sessions"),
  updatePlaylist: (id: number, b: { name?: string; shared?: boolean }) => request<Playlist>("PATCH", "/playlists/" + id, b),
  removePlaylist: (id: number) => request<void>("DELETE", "/playlists/" + id),
  pin: (id: number, session: string, note?: string) =>
    request<{ position: number }>("PUT", "/playlists/" + id + "/sessions/" + enc(session), note ? { note } : undefined),
  unpin: (id: number, session: string) => request<void>("DELETE", "/playlists/" + id + "/sessions/" + enc(session)),
};

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The saved searches of a project as a row of buttons, each with how many matching sessions are
 * new since the caller last ran it, and a form to save the current query.
 */
export function SavedBar({ project, query, run }: { project: string; query: string; run: (s: SavedSearch) => void }) {
  const [list, setList] = useState<SavedSearch[] | null>(null);
  const [saving, setSaving] = useState(false);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [err, setErr] = useState("");
  const load = () =>
    savedApi.list(project).then(
      (r) => setList(r.savedSearches),
      (e) => !(e instanceof ApiError && e.status === 401) && setErr(message(e)),
    );
  useEffect(() => {
    if (!project) return;
    load();
    const timer = window.setInterval(() => !document.hidden && load(), 30_000);
    return () => clearInterval(timer);
  }, [project]);

  const save = async (e: Event) => {
    e.preventDefault();
    setErr("");
    try {
      await savedApi.create({ project, name, query, shared });
      setSaving(false);
      setName("");
      setShared(false);
      load();
    } catch (e) {
      setErr(message(e));
    }
  };
  const open = async (s: SavedSearch) => {
    run(s);
    try {
      const v = await savedApi.visit(s.id);
      setList((l) => l && l.map((x) => (x.id === v.id ? v : x)));
    } catch (e) {
      setErr(message(e));
    }
  };
  const remove = async (s: SavedSearch) => {
    if (!confirm(`Delete the saved search “${s.name}”?`)) return;
    try {
      await savedApi.remove(s.id);
      load();
    } catch (e) {
      setErr(message(e));
    }
  };

  return (
    <div class="savedbar" data-testid="saved-bar">
      <span class="muted label">Saved</span>
      {list && list.length === 0 && !saving && <span class="muted hint">none yet: filter, then save the query to get a count of new sessions.</span>}
      {list &&
        list.map((s) => (
          <span class={"saved" + (s.query === query ? " on" : "")} data-testid="saved-search" data-name={s.name}>
            <button type="button" class="link" title={s.query || "every session"} onClick={() => open(s)} data-testid="saved-run">
              {s.name}
            </button>
            {s.newSinceVisit > 0 && (
              <span class="badge" data-testid="saved-new" title={"Started since " + (s.visitedAt ? absolute(s.visitedAt) : "it was saved")}>
                {s.newSinceVisit}
                {s.newIsLowerBound ? "+" : ""} new
              </span>
            )}
            {s.shared && (
              <span class="muted shared" title="Shared with everyone in the project">
                shared
              </span>
            )}
            <Link
              href={alertLink({ project, name: s.name, saved: s.id })}
              class="ghost alert-me"
              title="Post to a webhook when sessions matching this search start"
              aria-label={"Alert me about " + s.name}
              data-testid="saved-alert"
            >
              🔔
            </Link>
            {s.mine && (
              <button type="button" class="ghost x" title="Delete" aria-label={"Delete " + s.name} data-testid="saved-delete" onClick={() => remove(s)}>
                ×
              </button>
            )}
          </span>
        ))}
      <div class="spacer" />
      {saving ? (
        <form class="save-form" onSubmit={save}>
          <input
            data-testid="save-name"
            aria-label="Name"
            placeholder="Name this search"
            maxLength={100}
            required
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            ref={(el) => el?.focus()}
          />
          <label class="check">
            <input type="checkbox" data-testid="save-shared" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} />
            Shared
          </label>
          <button type="submit" class="primary" data-testid="save-submit" disabled={!name.trim()}>
            Save
          </button>
          <button type="button" class="ghost" onClick={() => setSaving(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" data-testid="save-search" onClick={() => setSaving(true)} title={query ? "Save " + query : "Save: every session"}>
          Save search
        </button>
      )}
      {err && <span class="error" data-testid="saved-error">{err}</span>}
    </div>
  );
}

/** Pins a session to a playlist of its project, or to a new one. */
export function PinButton({ session, project, up }: { session: string; project: string; up?: boolean }) {
  const [open, setOpen] = useState(false);
  const [lists, setLists] = useState<Playlist[] | null>(null);
  const [name, setName] = useState("");
  const [done, setDone] = useState<Playlist | null>(null);
  const [err, setErr] = useState("");
  const box = useRef<HTMLDivElement>(null);
  const btn = useRef<HTMLButtonElement>(null);
  const pop = useRef<HTMLDivElement>(null);
  useAnchoredPopover(open, btn, pop, !!up, [lists, done, err]);
  useEffect(() => {
    if (!open) return;
    setDone(null);
    setErr("");
    savedApi.playlists(project).then((r) => setLists(r.playlists), (e) => setErr(message(e)));
    // A click elsewhere or Escape closes the popover.
    const outside = (e: MouseEvent) => box.current && !box.current.contains(e.target as Node) && setOpen(false);
    const escape = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", outside, true);
    // Capture: the box below stops keys from reaching the list's shortcuts, Escape included.
    document.addEventListener("keydown", escape, true);
    return () => {
      document.removeEventListener("mousedown", outside, true);
      document.removeEventListener("keydown", escape, true);
    };
  }, [open, project]);
  const pin = async (p: Playlist) => {
    setErr("");
    try {
      await savedApi.pin(p.id, session);
      setDone(p);
    } catch (e) {
      setErr(message(e));
    }
  };
  const create = async (e: Event) => {
    e.preventDefault();
    setErr("");
    try {
      const p = await savedApi.createPlaylist({ project, name: name.trim(), shared: false });
      setName("");
      await pin(p);
    } catch (e) {
      setErr(message(e));
    }
  };
  return (
    <div class="share pin" ref={box} onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
      <button type="button" ref={btn} class="pin-btn" data-testid="pin" aria-expanded={open} title="Pin to a playlist" onClick={() => setOpen(!open)}>
        Pin
      </button>
      {open && (
        <div class={"popover share-pop pin-pop" + (up ? "" : " down")} data-testid="pin-popover" ref={pop}>
          {done ? (
            <p data-testid="pin-done">
              Pinned to <Link href={"/playlists/" + done.id}>{done.name}</Link>.
            </p>
          ) : (
            <>
              <p class="muted">Pin this session to a playlist</p>
              {lists === null && !err && <p class="muted">Loading…</p>}
              {lists && lists.length > 0 && (
                <div class="pin-lists">
                  {lists.map((p) => (
                    <button type="button" data-testid="pin-to" data-name={p.name} onClick={() => pin(p)}>
                      {p.name}
                      <span class="muted"> · {p.sessions}</span>
                    </button>
                  ))}
                </div>
              )}
              <form class="row" onSubmit={create}>
                <input
                  data-testid="pin-new-name"
                  aria-label="New playlist"
                  placeholder="New playlist"
                  maxLength={100}
                  value={name}
                  onInput={(e) => setName(e.currentTarget.value)}
                />
                <button type="submit" data-testid="pin-new-submit" disabled={!name.trim()}>
                  Create and pin
                </button>
              </form>
            </>
          )}
          {err && <p class="error">{err}</p>}
        </div>
      )}
    </div>
  );
}

/** /playlists: the project's playlists, and a form for a new one. */
export function Playlists({ loc }: { loc: URL }) {
  const { projects, project, error: projErr } = useProjects(loc.searchParams.get("project"));
  const [lists, setLists] = useState<Playlist[] | null>(null);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(false);
  const [err, setErr] = useState("");
  const load = () => savedApi.playlists(project).then((r) => setLists(r.playlists), (e) => setErr(message(e)));
  useEffect(() => {
    if (project) load();
  }, [project]);
  const create = async (e: Event) => {
    e.preventDefault();
    setErr("");
    try {
      await savedApi.createPlaylist({ project, name: name.trim(), shared });
      setName("");
      load();
    } catch (e) {
      setErr(message(e));
    }
  };
  const remove = async (p: Playlist) => {
    if (!confirm(`Delete the playlist “${p.name}”? Its sessions stay.`)) return;
    try {
      await savedApi.removePlaylist(p.id);
      load();
    } catch (e) {
      setErr(message(e));
    }
  };
  const now = Date.now();
  return (
    <main class="page">
      <div class="titlebar">
        <h1>Playlists</h1>
        <form class="new-playlist" onSubmit={create}>
          <input
            data-testid="new-playlist-name"
            aria-label="New playlist name"
            placeholder="New playlist"
            maxLength={100}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <label class="check">
            <input type="checkbox" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} />
            Shared
          </label>
          <button type="submit" class="primary" data-testid="new-playlist-submit" disabled={!name.trim()}>
            Create
          </button>
        </form>
        <div class="spacer" />
        <ProjectPicker projects={projects} project={project} loc={loc} />
      </div>
      {(err || projErr) && <p class="error banner">{err || projErr}</p>}
      {lists === null && !err && <p class="muted loading">Loading playlists…</p>}
      {lists && lists.length === 0 && (
        <section class="empty" data-testid="playlists-empty">
          <h2>No playlists yet</h2>
          <p>Pin sessions from the session list or the player to collect them here: bugs to fix, flows to show, sessions to watch together.</p>
        </section>
      )}
      {lists && lists.length > 0 && (
        <div class="table-wrap">
          <table class="sessions playlists" data-testid="playlists">
            <thead>
              <tr>
                <th>Name</th>
                <th class="num">Sessions</th>
                <th>Visibility</th>
                <th>Updated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {lists.map((p) => (
                <tr data-testid="playlist-row" data-name={p.name}>
                  <td>
                    <Link href={"/playlists/" + p.id} data-testid="playlist-link">
                      {p.name}
                    </Link>
                  </td>
                  <td class="num">{p.sessions}</td>
                  <td class="muted">{p.shared ? "shared" : "private"}</td>
                  <td title={absolute(p.updatedAt)}>{relative(p.updatedAt, now)}</td>
                  <td class="num">
                    {p.mine && (
                      <button type="button" class="ghost" onClick={() => remove(p)}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

/** /playlists/{id}: a playlist's sessions in order, each one click from its replay. */
export function PlaylistPage({ id }: { id: string }) {
  const [data, setData] = useState<{ playlist: Playlist; sessions: Pinned[] } | null>(null);
  const [err, setErr] = useState("");
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState("");
  const load = () => savedApi.playlist(id).then(setData, (e) => setErr(message(e)));
  useEffect(() => {
    load();
  }, [id]);
  const unpin = async (s: Pinned) => {
    try {
      await savedApi.unpin(data!.playlist.id, s.id);
      load();
    } catch (e) {
      setErr(message(e));
    }
  };
  const rename = async (e: Event) => {
    e.preventDefault();
    try {
      await savedApi.updatePlaylist(data!.playlist.id, { name: name.trim() });
      setRenaming(false);
      load();
    } catch (e) {
      setErr(message(e));
    }
  };
  const share = async (shared: boolean) => {
    try {
      await savedApi.updatePlaylist(data!.playlist.id, { shared });
      load();
    } catch (e) {
      setErr(message(e));
    }
  };
  const p = data?.playlist;
  return (
    <main class="page">
      <div class="titlebar">
        <Link href="/playlists" class="muted">
          Playlists
        </Link>
        <span class="muted">/</span>
        {renaming && p ? (
          <form class="new-playlist" onSubmit={rename}>
            <input aria-label="Name" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} ref={(el) => el?.focus()} />
            <button type="submit" class="primary" disabled={!name.trim()}>
              Rename
            </button>
            <button type="button" class="ghost" onClick={() => setRenaming(false)}>
              Cancel
            </button>
          </form>
        ) : (
          <h1 data-testid="playlist-name">{p ? p.name : "Playlist"}</h1>
        )}
        {p && (
          <span class="muted count">
            {p.sessions} {p.sessions === 1 ? "session" : "sessions"} · {p.shared ? "shared" : "private"}
          </span>
        )}
        <div class="spacer" />
        {p && p.mine && !renaming && (
          <>
            <button
              type="button"
              onClick={() => {
                setName(p.name);
                setRenaming(true);
              }}
            >
              Rename
            </button>
            <button type="button" onClick={() => share(!p.shared)}>
              {p.shared ? "Make private" : "Share with the project"}
            </button>
          </>
        )}
      </div>
      {err && <p class="error banner">{err}</p>}
      {data && data.sessions.length === 0 && (
        <section class="empty">
          <h2>Nothing pinned yet</h2>
          <p>
            Use <b>Pin</b> on a row of the <Link href="/">session list</Link> or in the player.
          </p>
        </section>
      )}
      {data && data.sessions.length > 0 && (
        <SessionTable
          sessions={data.sessions}
          now={Date.now()}
          extraHead="Note"
          extra={(s) => {
            const pin = s as Pinned;
            return (
              <>
                <PinNote playlist={data.playlist.id} session={pin.id} note={pin.note || ""} addedAt={pin.addedAt} saved={load} />
                <button
                  type="button"
                  class="ghost"
                  data-testid="unpin"
                  onClick={(e) => {
                    e.stopPropagation();
                    unpin(pin);
                  }}
                >
                  Unpin
                </button>
              </>
            );
          }}
        />
      )}
    </main>
  );
}
