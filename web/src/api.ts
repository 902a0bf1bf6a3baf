// Typed access to the REST API described in docs/api.md.
import { navigate, currentPath } from "./router";

export interface User {
  email: string;
  role: string;
}

export interface Project {
  id: string;
  name: string;
  publicKey: string;
  createdAt: string;
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
}

export interface SessionDetail extends Session {
  urls?: string[];
}

export interface SessionPage {
  sessions: Session[];
  nextCursor?: string;
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

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
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
  projects: () => request<{ projects: Project[] }>("GET", "/projects"),
  sessions: (q: { project?: string; limit?: number; cursor?: string }) => {
    const p = new URLSearchParams();
    if (q.project) p.set("project", q.project);
    if (q.limit) p.set("limit", String(q.limit));
    if (q.cursor) p.set("cursor", q.cursor);
    return request<SessionPage>("GET", "/sessions?" + p.toString());
  },
  session: (id: string) => request<SessionDetail>("GET", "/sessions/" + encodeURIComponent(id)),
  events: (id: string) =>
    request<RREvent[]>("GET", "/sessions/" + encodeURIComponent(id) + "/events"),
};
