// The session list's state travels in URLs: the list page keeps its query, project and loaded
// pages in its own address (so Back, reload and a pasted link show the same list), and a session
// opened from it carries the list's query and project in the player's address, so the player can
// go back to that list and step to the previous or next session of it.
import { api, type Session } from "./api";

/** The parameters that say which list a session was opened from. */
const LIST_KEYS = ["q", "project"];

/** How many sessions a neighbour search reads at most (pages of 200): past it, no prev/next. */
const NEIGHBOUR_PAGES = 5;

/** The list parameters of a URL's query string (q, project), empty ones left out. */
export function listParams(search: string): URLSearchParams {
  const from = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const k of LIST_KEYS) {
    const v = from.get(k)?.trim();
    if (v) out.set(k, v);
  }
  return out;
}

function withQuery(path: string, p: URLSearchParams): string {
  const s = p.toString();
  return path + (s ? "?" + s : "");
}

/** The sessions list showing the list the parameters name. */
export function listHref(p: URLSearchParams): string {
  return withQuery("/", p);
}

/** The player of a session, remembering the list it was opened from. */
export function sessionHref(id: string, p: URLSearchParams): string {
  return withQuery("/sessions/" + encodeURIComponent(id), p);
}

export interface Neighbours {
  prev: Session | null;
  next: Session | null;
  /** 1-based place of the session in the list; 0 when it is not in the part read. */
  index: number;
  /** Sessions matching, as the API counted them (a lower bound when more is set). */
  count: number;
  more: boolean;
}

/**
 * Finds the sessions before and after id in the list the parameters name, in the list's own
 * order (the API's, sort: included), reading it page by page from the top. A session that is
 * not in the first NEIGHBOUR_PAGES pages (or no longer matches) has no neighbours.
 */
export async function neighbours(id: string, p: URLSearchParams, signal?: { cancelled: boolean }): Promise<Neighbours> {
  const q = p.get("q") || "";
  const project = p.get("project") || undefined;
  let cursor: string | undefined;
  let prev: Session | null = null;
  let count = 0;
  let more = false;
  let seen = 0;
  for (let page = 0; page < NEIGHBOUR_PAGES; page++) {
    const r = await api.sessions({ project, q, limit: 200, cursor });
    if (signal?.cancelled) break;
    if (page === 0 && typeof r.count === "number") {
      count = r.count;
      more = !!r.countIsLowerBound;
    }
    const list = r.sessions;
    const i = list.findIndex((s) => s.id === id);
    if (i >= 0) {
      let next: Session | null = list[i + 1] || null;
      if (!next && r.nextCursor) {
        const after = await api.sessions({ project, q, limit: 1, cursor: r.nextCursor });
        next = after.sessions[0] || null;
      }
      return { prev: i > 0 ? list[i - 1] : prev, next, index: seen + i + 1, count, more };
    }
    seen += list.length;
    prev = list.length ? list[list.length - 1] : prev;
    if (!r.nextCursor) break;
    cursor = r.nextCursor;
  }
  return { prev: null, next: null, index: 0, count, more };
}
