// Shared pieces of the list pages: in-app links and the project picker.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Project } from "./api";
import { isModifiedClick, navigate } from "./router";

/** An anchor that navigates inside the app, leaving modified clicks (new tab…) to the browser. */
export function Link({ href, children, ...rest }: { href: string; children: ComponentChildren; [k: string]: any }) {
  return (
    <a
      href={href}
      {...rest}
      onClick={(e) => {
        if (isModifiedClick(e)) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

const PROJECT_KEY = "reel.project";

/** The project last chosen in this browser, so every page opens on the same one. */
export function storedProject(): string {
  try {
    return localStorage.getItem(PROJECT_KEY) || "";
  } catch {
    return "";
  }
}

export function storeProject(id: string): void {
  try {
    localStorage.setItem(PROJECT_KEY, id);
  } catch {
    // Storage off: each page starts on the first project.
  }
}

/**
 * The project list and the current project: ?project= in the page URL, else the one last
 * chosen in this browser, else the first one. projects is null while loading; reload fetches
 * the list again (after a project is made or deleted).
 */
export function useProjects(wanted: string | null): {
  projects: Project[] | null;
  project: string;
  error: string;
  reload: () => Promise<void>;
} {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState("");
  const reload = () =>
    api.projects().then(
      (r) => setProjects(r.projects),
      (err) => {
        if (!(err instanceof ApiError && err.status === 401)) setError(err.message);
        setProjects([]);
      },
    );
  useEffect(() => {
    reload();
  }, []);
  const has = (id: string | null) => !!id && !!projects && projects.some((p) => p.id === id);
  const project = has(wanted) ? wanted! : has(storedProject()) ? storedProject() : projects && projects[0] ? projects[0].id : "";
  useEffect(() => {
    if (project) storeProject(project);
  }, [project]);
  return { projects, project, error, reload };
}

/** Replaces one query parameter of the current page URL (null removes it). */
export function withParam(loc: URL, key: string, value: string | null): string {
  const p = new URLSearchParams(loc.search);
  if (value === null) p.delete(key);
  else p.set(key, value);
  const s = p.toString();
  return loc.pathname + (s ? "?" + s : "");
}

export function ProjectPicker({ projects, project, loc }: { projects: Project[] | null; project: string; loc: URL }) {
  if (!projects || projects.length < 2) return null;
  return (
    <select aria-label="Project" value={project} onChange={(e) => navigate(withParam(loc, "project", e.currentTarget.value))}>
      {projects.map((p) => (
        <option value={p.id}>{p.name}</option>
      ))}
    </select>
  );
}
