// The ingest wire format, protocol v1. docs/wire-format.md is the contract; this file and
// internal/ingest/batch.go follow it. Change all three together.

/** Protocol version sent as `?v=` on every ingest request. */
export const PROTOCOL_VERSION = 1;

/** rrweb EventType values (0–6) as the wire format allows them. */
export const enum EventType {
  DomContentLoaded = 0,
  Load = 1,
  FullSnapshot = 2,
  IncrementalSnapshot = 3,
  Meta = 4,
  Custom = 5,
  Plugin = 6,
}

/**
 * One rrweb event. Everything inside `data` is stored byte for byte by the server and handed
 * back unchanged, so any rrweb player can replay it. Reel's own signals are `Custom` events
 * whose `data.tag` starts with `reel.`.
 */
export interface WireEvent {
  type: EventType;
  /** ms since epoch */
  timestamp: number;
  data: { [key: string]: unknown };
}

export interface BatchMeta {
  /** "reel-js/<version>" */
  sdk: string;
  url: string;
  userAgent: string;
  language: string;
  screen: { width: number; height: number };
  /** document.referrer of the page ("" when none); the server keeps the entry page's. */
  referrer: string;
}

/** The JSON document that is gzipped into the body of POST /api/v1/ingest. */
export interface Batch {
  /** 8–64 characters of [A-Za-z0-9_-]; shared by every tab of one visit. */
  session: string;
  /** Same alphabet; one per browser tab. */
  tab: string;
  /** Integer ≥ 0, per tab, +1 for every batch. (session, tab, seq) identifies a batch. */
  seq: number;
  /** Client clock, ms since epoch, when the request was made. Optional. */
  sentAt?: number;
  /** Optional; the server ignores unknown keys. */
  meta?: BatchMeta;
  /** Large strings the events refer to as "\u0000reel:a:<sha256>", keyed by that hash. */
  assets?: Record<string, string>;
  /** One or more events. */
  events: WireEvent[];
}
