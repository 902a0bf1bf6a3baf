// The one definition of a session's numbers, the TypeScript twin of internal/measure (see
// docs/player.md, "The numbers"): what counts as a person's activity, how long a pause may be
// and still count as active, and when a page view is a new page.

/** Gaps without activity longer than this are idle (measure.IdleGap; rrweb's threshold too). */
export const IDLE_MS = 10_000;

/** rrweb incremental sources that mean a person did something (measure.UserActivity): mouse
 * move, mouse interaction, scroll, input, touch move, drag and selection. */
const USER_SOURCES = new Set([1, 2, 3, 5, 6, 12, 14]);

export function isUserSource(source: unknown): boolean {
  return typeof source === "number" && USER_SOURCES.has(source);
}

/** The path pages are told apart by (measure.Path): "/" for a bare host, "" when unparsable. */
export function pagePath(raw: string): string {
  try {
    const u = new URL(raw);
    // WHATWG URLs give opaque ones ("about:blank") their text as pathname; Go gives "".
    if (!u.host && !raw.includes("//")) return "";
    return u.pathname || (u.host ? "/" : "");
  } catch {
    return "";
  }
}

/** Page views in time order reduced to pages (measure.Pages): a view of the path before it is
 * not a new page; the first view of each page stands for it. */
export function pagesOf<T extends { at: number; url: string }>(views: T[]): T[] {
  const out: T[] = [];
  for (const v of views) {
    if (out.length && pagePath(out[out.length - 1].url) === pagePath(v.url)) continue;
    out.push(v);
  }
  return out;
}

/** A request URL as a person reads it: whole (the host shows whose server was called), with the
 * query decoded so a redacted value reads "[redacted]" rather than "%5Bredacted%5D". */
export function readableURL(raw: string): string {
  try {
    // decodeURI leaves what would change the URL's meaning (%26, %3D, %2F…) encoded.
    return decodeURI(raw);
  } catch {
    return raw;
  }
}

/** A request URL for a dense row: readableURL without the scheme, so the host leads. */
export function rowURL(raw: string): string {
  return readableURL(raw).replace(/^https?:\/\//, "");
}
