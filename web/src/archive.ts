// Archived copies of what a recording referenced without carrying (docs/archive.md). rrweb
// inlines the stylesheets it can read; a cross-origin one served without CORS stays a <link>,
// and fonts and images stay URLs, so a replay would need the recorded site, as it is today. The
// server keeps copies; before the replayer sees the events, the player points those URLs at the
// copies (the recorded events, as the API returns them, are never changed).
import type { RREvent } from "./api";
import { FULL_SNAPSHOT, INCREMENTAL } from "./timeline";

export interface ArchivedResource {
  url: string;
  type?: string;
  size?: number;
  /** Where the copy is served; absent when the URL could not be archived (error says why). */
  path?: string;
  error?: string;
}

/** URL as recorded (without fragment) → absolute URL of its copy. */
export type ArchiveMap = Map<string, string>;

export function archiveMap(resources: ArchivedResource[]): ArchiveMap {
  const m: ArchiveMap = new Map();
  for (const r of resources) if (r.path) m.set(r.url, new URL(r.path, location.href).href);
  return m;
}

/** The copy of u (fragment kept), or null. The key rule is the server's (archive.Key). */
function copyOf(u: string, m: ArchiveMap): string | null {
  const t = u.trim();
  const hash = t.indexOf("#");
  const copy = m.get(hash >= 0 ? t.slice(0, hash) : t);
  if (!copy) return null;
  return hash >= 0 ? copy + t.slice(hash) : copy;
}

const URL_TOKEN = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^'"()\s]*))\s*\)/gi;
const IMPORT_STRING = /(@import\s+)(?:"([^"]*)"|'([^']*)')/gi;

/** css with its url()s and @import strings that have a copy pointed at it. */
export function rewriteCss(css: string, m: ArchiveMap): string {
  // Every key is an absolute http(s) URL.
  if (css.indexOf("http") < 0) return css;
  const quote = (u: string) => '"' + u.replace(/["\\]/g, "\\$&") + '"';
  return css
    .replace(URL_TOKEN, (all, dq, sq, bare) => {
      const c = copyOf(dq ?? sq ?? bare ?? "", m);
      return c ? "url(" + quote(c) + ")" : all;
    })
    .replace(IMPORT_STRING, (all, at, dq, sq) => {
      const c = copyOf(dq ?? sq ?? "", m);
      return c ? at + quote(c) : all;
    });
}

function attrs(a: Record<string, any> | undefined, m: ArchiveMap): void {
  if (!a) return;
  for (const name of ["href", "src"]) {
    const v = a[name];
    if (typeof v === "string") {
      const c = copyOf(v, m);
      if (c) a[name] = c;
    }
  }
  for (const name of ["_cssText", "style"]) {
    const v = a[name];
    if (typeof v === "string") a[name] = rewriteCss(v, m);
    else if (name === "style" && v && typeof v === "object") {
      // A style change recorded property by property: value, [value, priority] or false.
      for (const p of Object.keys(v)) {
        if (typeof v[p] === "string") v[p] = rewriteCss(v[p], m);
        else if (Array.isArray(v[p]) && typeof v[p][0] === "string") v[p][0] = rewriteCss(v[p][0], m);
      }
    }
  }
}

function node(n: any, m: ArchiveMap): void {
  if (!n || typeof n !== "object") return;
  attrs(n.attributes, m);
  if (n.isStyle && typeof n.textContent === "string") n.textContent = rewriteCss(n.textContent, m);
  if (Array.isArray(n.childNodes)) for (const c of n.childNodes) node(c, m);
}

/**
 * Points the events' references that have a copy at it, in place: the href and src of nodes,
 * recorded CSS (stylesheets, style attributes and text, CSSOM rules and declarations).
 * Applying it twice changes nothing more.
 */
export function applyArchive(evs: RREvent[], m: ArchiveMap | undefined): void {
  if (!m || m.size === 0) return;
  for (const e of evs) {
    const d = e.data;
    if (!d) continue;
    if (e.type === FULL_SNAPSHOT) node(d.node, m);
    else if (e.type === INCREMENTAL) {
      switch (d.source) {
        case 0: // mutation
          if (Array.isArray(d.adds)) for (const a of d.adds) node(a.node, m);
          if (Array.isArray(d.attributes)) for (const a of d.attributes) attrs(a.attributes, m);
          break;
        case 8: // stylesheet rules
          if (Array.isArray(d.adds)) for (const a of d.adds) if (typeof a.rule === "string") a.rule = rewriteCss(a.rule, m);
          if (typeof d.replace === "string") d.replace = rewriteCss(d.replace, m);
          if (typeof d.replaceSync === "string") d.replaceSync = rewriteCss(d.replaceSync, m);
          break;
        case 13: // style declaration
          if (d.set && typeof d.set.value === "string") d.set.value = rewriteCss(d.set.value, m);
          break;
        case 15: // adopted stylesheets
          if (Array.isArray(d.styles))
            for (const s of d.styles) if (Array.isArray(s.rules)) for (const r of s.rules) if (typeof r.rule === "string") r.rule = rewriteCss(r.rule, m);
          break;
      }
    }
  }
}
