// Archived copies of what a recording referenced without carrying (docs/archive.md). rrweb
// inlines the stylesheets it can read; a cross-origin one served without CORS stays a <link>,
// and fonts and images stay URLs, so a replay would need the recorded site, as it is today. The
// server keeps copies; before the replayer sees the events, the player points those URLs at the
// copies (the recorded events, as the API returns them, are never changed).
import type { RREvent } from "./api";
import { CUSTOM, FULL_SNAPSHOT, INCREMENTAL } from "./timeline";

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
  return mapCssUrls(css, (u) => copyOf(u, m));
}

/** css with each url() and @import string that f gives an address for rewritten to it (quoted); null keeps one. */
function mapCssUrls(css: string, f: (u: string) => string | null): string {
  const quote = (u: string) => '"' + u.replace(/["\\]/g, "\\$&") + '"';
  return css
    .replace(URL_TOKEN, (all, dq, sq, bare) => {
      const c = f(dq ?? sq ?? bare ?? "");
      return c ? "url(" + quote(c) + ")" : all;
    })
    .replace(IMPORT_STRING, (all, at, dq, sq) => {
      const c = f(dq ?? sq ?? "");
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

/** Link relations that make a browser fetch or connect on sight (the replay must not). */
const FETCHING_RELS = new Set(["prefetch", "preload", "dns-prefetch", "preconnect", "modulepreload", "prerender"]);
/** Elements whose src, srcset and poster a browser fetches as soon as they are in a page. */
const MEDIA = new Set(["video", "audio", "source", "track"]);

/** Element tags by node id, learnt from the events seen so far, for attribute mutations. */
export type NodeTags = Map<number, string>;

/**
 * Takes out what would make the viewer's browser ask the recorded site for something the
 * page does not show without it: fetching link relations, and the sources, posters and
 * captions of video and audio unless they have an archived copy (data: URLs stay: they fetch
 * nothing). Each would tell the recorded site the viewer's address. Images stay, for fidelity.
 * removed is what a mutation sets to remove an attribute (null); a snapshot's are deleted.
 */
function quiet(tag: string | undefined, parent: string | undefined, a: Record<string, any> | undefined, m: ArchiveMap | undefined, removed: boolean): void {
  if (!a) return;
  if ((tag === "link" || tag === undefined) && typeof a.rel === "string") {
    const rels = a.rel.trim().split(/\s+/);
    if (rels.some((r: string) => FETCHING_RELS.has(r.toLowerCase()))) {
      const kept = rels.filter((r: string) => r && !FETCHING_RELS.has(r.toLowerCase())).join(" ");
      if (kept) a.rel = kept;
      else if (removed) a.rel = null;
      else delete a.rel;
    }
  }
  // A <source> in a <picture> is an image's; those stay like images.
  if (tag === undefined || !MEDIA.has(tag) || (tag === "source" && parent === "picture")) return;
  for (const name of ["src", "srcset", "poster"]) {
    const v = a[name];
    if (typeof v !== "string" || v === "" || /^\s*data:/i.test(v)) continue;
    if (name !== "srcset" && m && copyOf(v, m)) continue;
    if (removed) a[name] = null;
    else delete a[name];
  }
}

/** The latest full snapshot's inlined <link> stylesheets by node id, per recording (its NodeTags). */
const links = new WeakMap<NodeTags, Map<number, any>>();

/** css with its relative url()s and @import strings resolved against href, as rrweb records them. */
function absolute(css: string, href: string): string {
  return mapCssUrls(css, (u) => (/^([a-z][a-z0-9+.-]*:|#|$)/i.test(u.trim()) ? null : new URL(u.trim(), href).href));
}

/**
 * A `reel.css` event (the SDK's css.ts): a link stylesheet's text as the site wrote it, which the
 * browser parses to the rules the snapshot holds re-serialised with fewer digits. It replaces
 * the snapshot's copy, so numbers like calc(1/.75) keep their precision in the replay.
 */
function writtenStylesheet(p: any, m: ArchiveMap | undefined, tags: NodeTags): void {
  const n = links.get(tags)?.get(p?.id);
  if (!n || typeof p.text !== "string" || typeof p.href !== "string") return;
  try {
    const css = absolute(p.text, p.href);
    n.attributes._cssText = m ? rewriteCss(css, m) : css;
  } catch {
    // A URL that does not resolve: the snapshot's copy stays.
  }
}

function node(n: any, m: ArchiveMap | undefined, tags: NodeTags, parent: string | undefined): void {
  if (!n || typeof n !== "object") return;
  let tag: string | undefined;
  if (n.type === 2 && typeof n.tagName === "string") {
    tag = n.tagName.toLowerCase();
    if (typeof n.id === "number") tags.set(n.id, tag!);
    quiet(tag, parent, n.attributes, m, false);
    if (tag === "link" && typeof n.attributes?._cssText === "string") links.get(tags)?.set(n.id, n);
  }
  if (m) attrs(n.attributes, m);
  if (m && n.isStyle && typeof n.textContent === "string") n.textContent = rewriteCss(n.textContent, m);
  if (Array.isArray(n.childNodes)) for (const c of n.childNodes) node(c, m, tags, tag);
}

/**
 * Prepares events for replay, in place: takes out what would fetch from the recorded site
 * behind the viewer's back (quiet), and points the references that have an archived copy at
 * it: the href and src of nodes, recorded CSS (stylesheets, style attributes and text, CSSOM
 * rules and declarations). tags carries what the nodes are from one call to the next when a
 * recording arrives in batches. Applying it twice changes nothing more.
 */
export function applyArchive(evs: RREvent[], m: ArchiveMap | undefined, tags: NodeTags = new Map()): void {
  if (m && m.size === 0) m = undefined;
  for (const e of evs) {
    const d = e.data;
    if (!d) continue;
    if (e.type === FULL_SNAPSHOT) {
      links.set(tags, new Map());
      node(d.node, m, tags, undefined);
    } else if (e.type === CUSTOM && d.tag === "reel.css") writtenStylesheet(d.payload, m, tags);
    else if (e.type === INCREMENTAL) {
      switch (d.source) {
        case 0: // mutation
          if (Array.isArray(d.adds)) for (const a of d.adds) node(a.node, m, tags, tags.get(a.parentId));
          if (Array.isArray(d.attributes))
            for (const a of d.attributes) {
              quiet(tags.get(a.id), undefined, a.attributes, m, true);
              if (m) attrs(a.attributes, m);
            }
          break;
        case 8: // stylesheet rules
          if (!m) break;
          if (Array.isArray(d.adds)) for (const a of d.adds) if (typeof a.rule === "string") a.rule = rewriteCss(a.rule, m);
          if (typeof d.replace === "string") d.replace = rewriteCss(d.replace, m);
          if (typeof d.replaceSync === "string") d.replaceSync = rewriteCss(d.replaceSync, m);
          break;
        case 13: // style declaration
          if (m && d.set && typeof d.set.value === "string") d.set.value = rewriteCss(d.set.value, m);
          break;
        case 15: // adopted stylesheets
          if (!m) break;
          if (Array.isArray(d.styles))
            for (const s of d.styles) if (Array.isArray(s.rules)) for (const r of s.rules) if (typeof r.rule === "string") r.rule = rewriteCss(r.rule, m);
          break;
      }
    }
  }
}
