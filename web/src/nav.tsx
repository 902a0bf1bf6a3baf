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

/**
 * The project list and the current project: ?project= in the page URL, else the first one.
 * Returns null while loading.
 */
export function useProjects(wanted: string | null): {
  projects: Project[] | null;
  project: string;
  error: string;
} {
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api.projects().then(
      (r) => setProjects(r.projects),
      (err) => {
        if (!(err instanceof ApiError && err.status === 401)) setError(err.message);
        setProjects([]);
      },
    );
  }, []);
  const project =
    projects && wanted && projects.some((p) => p.id === wanted) ? wanted : projects && projects[0] ? projects[0].id : "";
  return { projects, project, error };
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
