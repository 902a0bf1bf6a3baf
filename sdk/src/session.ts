import type { KV } from "./storage";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/** A random id: prefix + 22 characters of [A-Za-z0-9_-] (132 bits). */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(22));
  let s = prefix;
  for (const b of bytes) s += ALPHABET[b & 63];
  return s;
}

const ID_RE = /^[A-Za-z0-9_-]{8,64}$/;

export const SESSION_KEY = "reel:session";
export const TAB_KEY = "reel:tab";
export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_AGE_MS = 24 * 60 * 60 * 1000;

interface SessionRecord {
  id: string;
  /** ms since epoch when the session started */
  start: number;
  /** ms since epoch of the last user activity in any tab */
  last: number;
  /** Whether this session is recorded; decided once, when it starts, from the sample rate. */
  rec?: boolean;
}

/**
 * Sessions live in localStorage, shared by every tab of the site: a visit is one session,
 * however many pages and tabs it spans. A session ends after 30 minutes without user
 * activity in any tab, or after 24 hours in all; the next activity then starts a new one.
 */
export class Sessions {
  #lastCheck = 0;
  #current = "";
  /** When the current session started (ms since epoch). */
  start = 0;
  /** Whether the current session is sampled in. */
  sampled = true;

  readonly #kv: KV;
  readonly #sampleRate: number;

  constructor(kv: KV, sampleRate = 1) {
    this.#kv = kv;
    this.#sampleRate = sampleRate;
  }

  get id(): string {
    return this.#current;
  }

  /**
   * Records user activity at `now` and returns the session id that activity belongs to. The id
   * differs from the previous one when the session expired or another tab started a new one;
   * the caller then owes the new session a full snapshot.
   */
  touch(now: number): string {
    // Checking storage on every mouse move would cost more than it tells: within a second
    // nothing can have expired.
    if (this.#current && now - this.#lastCheck < 1000) return this.#current;
    this.#lastCheck = now;
    let rec = this.#read();
    if (!rec || now - rec.last > SESSION_IDLE_MS || now - rec.start > SESSION_MAX_AGE_MS) {
      rec = { id: randomId("s_"), start: now, last: now, rec: Math.random() < this.#sampleRate };
    } else {
      rec.last = Math.max(rec.last, now);
    }
    this.#kv.set(SESSION_KEY, JSON.stringify(rec));
    this.#current = rec.id;
    this.start = rec.start;
    this.sampled = rec.rec !== false;
    return rec.id;
  }

  /** Ends the current session: the next activity starts a new one (the server erased it). */
  end(): void {
    this.#kv.set(SESSION_KEY, "null");
    this.#lastCheck = 0;
  }

  #read(): SessionRecord | null {
    try {
      const v = JSON.parse(this.#kv.get(SESSION_KEY) ?? "null") as Partial<SessionRecord> | null;
      if (v && typeof v.id === "string" && ID_RE.test(v.id) && typeof v.start === "number" && typeof v.last === "number") {
        return v as SessionRecord;
      }
    } catch {
      // A damaged record starts a new session.
    }
    return null;
  }
}

/**
 * Tab identity and the per-tab batch counter. They live in sessionStorage so that they survive
 * reloads and navigations within the site, but while a page is alive it holds them in memory
 * and the storage entry is absent: it is claimed (read and removed) on load and written back
 * when the page is hidden for good. sessionStorage is copied into duplicated tabs, popups and
 * shared with same-origin iframes; without the claim those would reuse this tab's id and
 * sequence numbers, and the server would drop their batches as duplicates.
 */
export class Tab {
  id: string;
  nextSeq: number;

  readonly #kv: KV;

  constructor(kv: KV) {
    this.#kv = kv;
    const claimed = this.#claim();
    this.id = claimed?.id ?? randomId("t_");
    this.nextSeq = claimed?.seq ?? 0;
  }

  /**
   * Takes over the stored state again after the page came back from the back/forward cache:
   * other pages of this tab may have used sequence numbers meanwhile.
   */
  reclaim(): void {
    const c = this.#claim();
    if (c && c.id === this.id) this.nextSeq = Math.max(this.nextSeq, c.seq);
  }

  /** Hands the tab's state to the next page of this tab. */
  release(): void {
    this.#kv.set(TAB_KEY, JSON.stringify({ id: this.id, seq: this.nextSeq }));
  }

  #claim(): { id: string; seq: number } | null {
    const raw = this.#kv.get(TAB_KEY);
    this.#kv.remove(TAB_KEY);
    try {
      const v = JSON.parse(raw ?? "null") as { id?: unknown; seq?: unknown } | null;
      if (v && typeof v.id === "string" && ID_RE.test(v.id) && Number.isSafeInteger(v.seq) && (v.seq as number) >= 0) {
        return { id: v.id, seq: v.seq as number };
      }
    } catch {
      // A damaged entry makes a new tab.
    }
    return null;
  }
}
