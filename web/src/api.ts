// Typed access to the REST API described in docs/api.md.
import type { ArchivedResource } from "./archive";
import { navigate, currentPath } from "./router";

export interface User {
  email: string;
  role: string;
}

/** What the login page offers (GET /auth/config): single sign-on when oidc is set. */
export interface AuthConfig {
  password: boolean;
  oidc: { name: string; startUrl: string } | null;
}

export interface Project {
  id: string;
  name: string;
  publicKey: string;
  createdAt: string;
  allowedOrigins: string[];
  retentionDays: number;
  sdkConfig: Record<string, unknown>;
  /** The project's friction threshold overrides; thresholds are what is in effect. */
  friction: Record<string, number>;
  thresholds: Record<string, number>;
  defaults: Record<string, number>;
  /** The server-side scrubber's settings ({} when none: every kind on; docs/privacy-scrubber.md). */
  scrub?: ScrubSettings;
  /** The key a rotation replaced, while it still ingests (until previousKeyExpiresAt). */
  previousKey?: string;
  previousKeyExpiresAt?: string;
}

/** A change to a project's settings (PATCH /projects/{id}); absent fields stay. */
export interface ProjectSettings {
  name?: string;
  allowedOrigins?: string[];
  retentionDays?: number;
  sdkConfig?: Record<string, unknown>;
  friction?: Record<string, number>;
  scrub?: ScrubSettings;
}

/** A project's scrubber settings: off altogether, built-in kinds switched off, its own patterns. */
export interface ScrubSettings {
  disabled?: boolean;
  off?: string[];
  patterns?: string[];
}

export interface Session {
  id: string;
  projectId: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  pages: number;
  entryUrl: string;
  exitUrl: string;
  clicks: number;
  events: number;
  tabs: number;
  userAgent: string;
  browser: string;
  os: string;
  device: string;
  viewport: { width: number; height: number };
  updatedAt: string;
  userId?: string;
  /** Counts from the index (reel.error events, failed requests) and from analysis. */
  errors?: number;
  failedRequests?: number;
  friction?: number;
  activeMs?: number;
  /** Values the server's scrubber masked before storing, by kind (card, email, phone, iban, token, custom). */
  scrubbed?: Record<string, number>;
}

export interface SessionDetail extends Session {
  urls?: string[];
  /** Every user id the session was identified as, in the order first seen (docs/api.md). */
  userIds?: { id: string; firstSeen: string }[];
  /** Present when the session was opened through a share link. */
  shareExpiresAt?: string;
  /** The moment the share link opens at (ms), and its maker's note for whoever opens it. */
  shareAt?: number;
  shareNote?: string;
}

export interface Tab {
  id: string;
  firstAt: string;
  lastAt: string;
  events: number;
}

/** The server's analysis of one session (docs/api.md, friction signals). */
export interface Signals {
  signals: { kind: string; at: number; url?: string; target?: string; count?: number }[];
  counts?: Record<string, number>;
  summary?: string;
  score?: number;
}

/** One problem grouped across sessions (docs/api.md, issues and funnels). */
export interface Issue {
  fingerprint: string;
  kind: string;
  path: string;
  target: string;
  sessions: number;
  users: number;
  firstSeen: string;
  lastSeen: string;
  /** Sessions per day, oldest first, one entry per day of the window. */
  daily: number[];
  /** Moments to watch; url is /sessions/<id>?t=<ms>. */
  samples: { sessionId: string; at: number; url: string }[];
}

/** One step of a funnel: a page (path), a click (selector and/or text) or a custom event. */
export interface FunnelStep {
  kind: "page" | "click" | "event";
  path?: string;
  selector?: string;
  text?: string;
  name?: string;
  props?: Record<string, string>;
}

export type FunnelOrder = "ordered" | "strict" | "any";

export interface FunnelDefinition {
  steps: FunnelStep[];
  order: FunnelOrder;
}

export interface FunnelStepResult {
  kind: string;
  label: string;
  path: string;
  sessions: number;
  /** Of the sessions that entered the funnel, 0–1. */
  conversion: number;
  medianMsFromPrevious: number;
  /** Sessions that reached the previous step but not this one. */
  lost: number;
  dropped: string[];
  /** The same, each with a link to its replay where it reached the previous step. */
  drops: { sessionId: string; at: number; url: string }[];
}

export interface FunnelBucket {
  start: string;
  entered: number;
  converted: number;
  conversion: number;
}

export interface FunnelResult {
  steps: FunnelStepResult[];
  series: FunnelBucket[];
  order: FunnelOrder;
  interval: "day" | "week";
}

export interface SavedFunnel {
  id: number;
  project: string;
  name: string;
  definition: FunnelDefinition;
  shared: boolean;
  mine: boolean;
  url: string;
}

/** A share with its 95 % Wilson interval and the search that finds its sessions. */
export interface Proportion {
  count: number;
  of: number;
  rate: number;
  low: number;
  high: number;
  query?: string;
}

export interface Experiment {
  flag: string;
  funnel: { id: number; name: string; steps: number } | null;
  variants: {
    variant: string;
    sessions: number;
    query: string;
    conversion: Proportion | null;
    friction: Proportion;
    errors: Proportion;
    /** Per web vital, each session by its worst page view. */
    vitals: { metric: "lcp" | "inp" | "cls" | "fcp" | "ttfb"; p75: number | null; rating: string; notGood: Proportion }[];
  }[];
}

/** A page's heat (docs/api.md, heatmaps): clicks per element binned within its box. */
export interface Heatmap {
  page: string;
  device: string;
  clicks: number;
  sessions: number;
  elements: { selector: string; clicks: number; bins: { x: number; y: number; clicks: number; pageX: number; pageY: number }[] }[];
  /** reached[k]: page views that saw at least k×10% of the page (k = 0…10). */
  scroll: { views: number; reached: { depth: number; views: number; share: number }[] };
  /** A recent view of the page to draw over: its session, tab and a moment it was on screen. */
  backdrop: { sessionId: string; tab: string; path: string; device: string; at: number; sessionStartedAt: number; url: string } | null;
}

export interface Share {
  token: string;
  path: string;
  expiresAt: string;
}

/** A share link as its session lists it (the token is shown only when it is made). */
export interface ShareLink {
  id: string;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  at?: number;
  status: "active" | "expired" | "revoked";
  createdBy: number;
  mine: boolean;
  note?: string;
}

export interface SessionPage {
  sessions: Session[];
  nextCursor?: string;
  count?: number;
  countIsLowerBound?: boolean;
}

/** An rrweb event as stored; the player only needs these three fields typed. */
export interface RREvent {
  type: number;
  timestamp: number;
  data: any;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (body !== undefined) {
    init.headers = { Accept: "application/json", "Content-Type": "application/json" };
    init.body = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch("/api/v1" + path, init);
  } catch {
    throw new ApiError(0, "network", "Cannot reach the Reel server.");
  }
  if (res.status === 401 && path !== "/auth/login") {
    redirectToLogin();
    throw new ApiError(401, "unauthenticated", "Please sign in.");
  }
  if (res.status === 204) return undefined as T;
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    // Not JSON: handled below by status.
  }
  if (!res.ok) {
    const err = data && data.error;
    throw new ApiError(
      res.status,
      (err && err.code) || "http_" + res.status,
      (err && err.message) || `Request failed (${res.status}).`,
    );
  }
  return data as T;
}

/** Sends the user to /login, remembering where they were. */
export function redirectToLogin(): void {
  const here = currentPath();
  if (location.pathname === "/login") return;
  navigate("/login?next=" + encodeURIComponent(here), true);
}

export const api = {
  login: (email: string, password: string) =>
    request<{ user: User }>("POST", "/auth/login", { email, password }),
  logout: () => request<void>("POST", "/auth/logout"),
  me: () => request<{ user: User }>("GET", "/auth/me"),
  authConfig: () => request<AuthConfig>("GET", "/auth/config"),
  projects: () => request<{ projects: Project[] }>("GET", "/projects"),
  updateProject: (id: string, settings: ProjectSettings) =>
    request<Project>("PATCH", "/projects/" + encodeURIComponent(id), settings),
  eraseUser: (project: string, user: string) =>
    request<{ erased: { sessions: number } }>(
      "DELETE",
      "/projects/" + encodeURIComponent(project) + "/users/" + encodeURIComponent(user),
    ),
  sessions: (q: { project?: string; limit?: number; cursor?: string; q?: string; sort?: string }) => {
    const p = new URLSearchParams();
    if (q.project) p.set("project", q.project);
    if (q.q) p.set("q", q.q);
    if (q.sort && q.sort !== "recent") p.set("sort", q.sort);
    if (q.limit) p.set("limit", String(q.limit));
    if (q.cursor) p.set("cursor", q.cursor);
    return request<SessionPage>("GET", "/sessions?" + p.toString());
  },
  session: (id: string) => request<SessionDetail>("GET", "/sessions/" + encodeURIComponent(id)),
  events: (id: string) =>
    request<RREvent[]>("GET", "/sessions/" + encodeURIComponent(id) + "/events"),
  issues: (project: string, days: number) =>
    request<{ issues: Issue[] }>("GET", "/issues?" + new URLSearchParams({ project, days: String(days) }).toString()),
  funnel: (project: string, days: number, interval: string, def: FunnelDefinition) =>
    request<FunnelResult>("POST", "/funnels?" + new URLSearchParams({ project, days: String(days), interval }).toString(), def),
  savedFunnels: (project: string) =>
    request<{ funnels: SavedFunnel[] }>("GET", "/saved-funnels?project=" + encodeURIComponent(project)),
  saveFunnel: (project: string, name: string, shared: boolean, definition: FunnelDefinition) =>
    request<SavedFunnel>("POST", "/saved-funnels", { project, name, shared, definition }),
  updateFunnel: (id: number, change: { name?: string; shared?: boolean; definition?: FunnelDefinition }) =>
    request<SavedFunnel>("PATCH", "/saved-funnels/" + id, change),
  deleteFunnel: (id: number) => request<void>("DELETE", "/saved-funnels/" + id),
  flags: (project: string, days: number) =>
    request<{ flags: { name: string; sessions: number; variants: { variant: string; sessions: number }[] }[] }>(
      "GET",
      "/flags?" + new URLSearchParams({ project, days: String(days) }).toString(),
    ),
  experiment: (project: string, days: number, flag: string, funnel: number | null) =>
    request<Experiment>(
      "GET",
      "/experiments?" + new URLSearchParams({ project, days: String(days), flag, ...(funnel ? { funnel: String(funnel) } : {}) }).toString(),
    ),
  countries: (project: string) =>
    request<{ countries: { code: string; sessions: number }[] }>("GET", "/countries?project=" + encodeURIComponent(project)),
  heatPages: (project: string) =>
    request<{ pages: { path: string; sessions: number }[] }>("GET", "/heatmaps/pages?project=" + encodeURIComponent(project)),
  heatmap: (q: { project: string; page: string; device: string; from: string; to: string }) =>
    request<Heatmap>("GET", "/heatmaps?" + new URLSearchParams(Object.entries(q).filter(([, v]) => v)).toString()),
  share: (id: string, hours: number, at = 0, note = "") =>
    request<Share>("POST", "/sessions/" + encodeURIComponent(id) + "/share", { expiresInHours: hours, at, note }),
  shares: (id: string) => request<{ shares: ShareLink[] }>("GET", "/sessions/" + encodeURIComponent(id) + "/shares"),
  revokeShare: (id: string) => request<ShareLink>("DELETE", "/shares/" + encodeURIComponent(id)),
  createProject: (name: string) => request<Project>("POST", "/projects", { name }),
  privacyPreview: (id: string, url: string) =>
    request<{ url: string; token: string; expiresAt: string }>("POST", "/projects/" + encodeURIComponent(id) + "/privacy-preview", { url }),
  rotateKey: (id: string, graceHours: number) =>
    request<Project>("POST", "/projects/" + encodeURIComponent(id) + "/rotate-key", { graceHours }),
  deleteProject: (id: string) =>
    request<{ deleted: { project: string; sessions: number } }>(
      "DELETE",
      "/projects/" + encodeURIComponent(id) + "?confirm=" + encodeURIComponent(id),
    ),
};

/** Where a player reads one session from: the logged-in API or a share link. */
export interface Source {
  session(): Promise<SessionDetail>;
  tabs(): Promise<{ tabs: Tab[] }>;
  /** The events URL with query parameters (docs/api.md: tab, from, after, until). */
  eventsURL(q: { tab?: string; from?: number; after?: number; to?: number; until?: "first-snapshot"; prune?: "gone" }): string;
  /** The server's analysis, where the caller may read it. */
  signals?(): Promise<Signals>;
  /** The copies the server archived of what the recording references (docs/archive.md). */
  archive(): Promise<{ resources: ArchivedResource[] }>;
  /** The share link's token, when read through one. */
  shareToken?: string;
}

export function sessionSource(id: string): Source {
  const base = "/sessions/" + encodeURIComponent(id);
  return {
    session: () => request<SessionDetail>("GET", base),
    tabs: () => request<{ tabs: Tab[] }>("GET", base + "/tabs"),
    eventsURL: (q) => "/api/v1" + base + "/events" + query(q),
    signals: () => request<Signals>("GET", base + "/signals"),
    archive: () => request<{ resources: ArchivedResource[] }>("GET", base + "/archive"),
  };
}

export function shareSource(token: string): Source {
  const base = "/share/" + encodeURIComponent(token);
  return {
    session: () => request<SessionDetail>("GET", base),
    tabs: () => request<{ tabs: Tab[] }>("GET", base + "/tabs"),
    eventsURL: (q) => "/api/v1" + base + "/events" + query(q),
    archive: () => request<{ resources: ArchivedResource[] }>("GET", base + "/archive"),
    shareToken: token,
  };
}

function query(q: Record<string, string | number | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? "?" + s : "";
}

/**
 * Fetches an events array and hands over events as they arrive, parsed object by object from
 * the streamed body, so the player can show the first frame while the rest is still loading.
 * When onEvents returns a promise, the rest of the body is left unread (and unparsed) until it
 * settles. Resolves with the X-Reel-Seek-Start header (or null) once the body is read.
 * onHeaders sees the answer's headers before any event is handed over.
 */
export async function streamEvents(
  url: string,
  onEvents: (batch: RREvent[]) => unknown,
  signal?: AbortSignal,
  stream = true,
  onHeaders?: (h: Headers) => void,
): Promise<{ seekStart: number | null }> {
  let res: Response;
  try {
    res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, "network", "Cannot reach the Reel server.");
  }
  if (!res.ok) {
    let data: any = null;
    try {
      data = await res.json();
    } catch {
      // Not JSON.
    }
    if (res.status === 401) redirectToLogin();
    const err = data && data.error;
    throw new ApiError(res.status, (err && err.code) || "http_" + res.status, (err && err.message) || `Request failed (${res.status}).`);
  }
  onHeaders?.(res.headers);
  const h = res.headers.get("X-Reel-Seek-Start");
  const seekStart = h && /^\d+$/.test(h) ? Number(h) : null;
  const splitter = new ArraySplitter();
  // The browser's own parser is several times faster than splitting in script; streaming only
  // pays when something can be shown before the end arrives.
  if (!stream || !res.body) {
    onEvents(await res.json());
    return { seekStart };
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const batch = splitter.push(value);
    if (batch.length) {
      const wait = onEvents(batch);
      if (wait instanceof Promise) await wait;
    }
  }
  return { seekStart };
}

/** Splits a streamed top-level JSON array of objects into parsed objects. */
class ArraySplitter {
  private buf = "";
  private depth = 0;
  private start = -1;
  private scanned = 0;

  push(text: string): RREvent[] {
    const out: RREvent[] = [];
    this.buf += text;
    const b = this.buf;
    let i = this.scanned;
    for (; i < b.length; i++) {
      const c = b.charCodeAt(i);
      if (c === 34) {
        // A string: jump to its closing quote, the next one not escaped by an odd number of
        // backslashes (stylesheets and attributes are most of a snapshot's bytes).
        let j = i;
        for (;;) {
          j = b.indexOf('"', j + 1);
          if (j < 0) break;
          let k = j - 1;
          while (b.charCodeAt(k) === 92) k--;
          if ((j - k) % 2 === 1) break;
        }
        if (j < 0) break; // it ends in a later chunk: scan it again from its opening quote
        i = j;
      } else if (c === 123 || c === 91) {
        // { or [
        this.depth++;
        if (this.depth === 2 && c === 123) this.start = i;
      } else if (c === 125 || c === 93) {
        this.depth--;
        if (this.depth === 1 && c === 125 && this.start >= 0) {
          out.push(JSON.parse(b.slice(this.start, i + 1)));
          this.start = -1;
        }
      }
    }
    // Keep only the unfinished object (or what is left to scan).
    if (this.start >= 0) {
      this.buf = b.slice(this.start);
      this.scanned = i - this.start;
      this.start = 0;
    } else {
      this.buf = b.slice(i);
      this.scanned = 0;
    }
    return out;
  }
}
