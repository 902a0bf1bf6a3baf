// Seeking past nodes that come and go.
//
// To show a moment, the player rebuilds the last full snapshot before it and applies every
// mutation since, synchronously. Single-page apps re-render: a product grid sorted three times
// in a minute is recorded as three sets of 150 cards added and removed, and rrweb builds every
// one of them, only for all but the last to be thrown away before the moment is shown.
//
// deadNodes finds the nodes that are gone by the end of a span of mutations: added exactly once
// in the span, or part of the full snapshot it starts from, and no longer attached to the
// document when it ends (removed themselves, or with an ancestor). rrweb drops a removed node
// from its id map, so after their removal such nodes can be neither seen nor addressed, and
// building them changes nothing at the end of the span. pruneSnapshot leaves them out of the
// snapshot, pruneMutation out of a mutation: their adds, their removes, and the text and
// attribute changes made to them.
//
// A node is kept after all when a kept add needs it: as the parent it is added to, or as the
// sibling it is inserted next to (rrweb would wait for a missing sibling forever). A node of
// the snapshot is kept whenever an add names it or anything inside it (moved, or added to):
// rrweb reuses a node it still knows when an add names it again. Spans that touch nested
// documents or shadow roots are not pruned.

import type { RREvent } from "./api";
import { FULL_SNAPSHOT, INCREMENTAL, META, SRC_MUTATION } from "./timeline";

interface SerializedNode {
  id: number;
  type: number;
  childNodes?: SerializedNode[];
  rootId?: number;
  isShadow?: boolean;
}

interface AddedNode {
  parentId: number;
  nextId?: number | null;
  previousId?: number | null;
  node: SerializedNode;
}

export interface MutationData {
  source: number;
  adds: AddedNode[];
  removes: { parentId: number; id: number; isShadow?: boolean }[];
  texts: { id: number; value: string | null }[];
  attributes: { id: number; attributes: Record<string, unknown> }[];
  [k: string]: unknown;
}

const DOCUMENT = 0;

/** Ids above this are not pruned: the tables below are indexed by id. */
const MAX_ID = 1 << 24;

/** A set of node ids. */
export interface DeadSet {
  readonly size: number;
  has(id: number): boolean;
}

const NONE: DeadSet = { size: 0, has: () => false };

// Per-id flags.
const SNAPSHOT = 1; // part of the full snapshot
const CUT = 2; // removed, and not added back since
const ONCE = 4; // added exactly once in the span
const AGAIN = 8; // added twice, or added though part of the snapshot
const NAMED = 16; // named by an add: as the node, its parent or a sibling
const KNOWN = 32; // whether it is attached at the end is worked out:
const ATTACHED = 64; // and it is
const DEAD = 128;

/**
 * Returns the ids of the nodes that are gone by the end of the span events[from, end), where
 * end is the first Meta or full snapshot at or after from, or the first event at or after
 * `before`. snapshot is the full snapshot's root node the span starts from. Returns an empty
 * set when nothing can be left out.
 */
export function deadNodes(snapshot: SerializedNode, events: RREvent[], from: number, before: number): DeadSet {
  const muts: MutationData[] = [];
  let max = 0;
  const highest = (n: SerializedNode) => {
    if (n.id > max) max = n.id;
    for (const c of n.childNodes || []) highest(c);
  };
  highest(snapshot);
  for (let i = from; i < events.length; i++) {
    const e = events[i];
    if (e.timestamp >= before || e.type === META || e.type === FULL_SNAPSHOT) break;
    if (e.type !== INCREMENTAL || !e.data || e.data.source !== SRC_MUTATION) continue;
    const d = e.data as MutationData;
    for (const r of d.removes || []) if (r.isShadow) return NONE;
    for (const a of d.adds || []) {
      const n = a.node;
      if (!n || !Number.isInteger(n.id) || n.id < 0 || n.rootId !== undefined || n.isShadow || n.type === DOCUMENT) return NONE;
      if (n.id > max) max = n.id;
    }
    muts.push(d);
  }
  if (!muts.length || max >= MAX_ID || !Number.isInteger(snapshot.id)) return NONE;

  const size = max + 1;
  const ok = (id: unknown): id is number => typeof id === "number" && id >= 0 && id < size && Number.isInteger(id);
  const parent = new Int32Array(size).fill(-1);
  const flags = new Uint8Array(size);
  const walk = (n: SerializedNode) => {
    flags[n.id] |= SNAPSHOT;
    for (const c of n.childNodes || []) {
      if (!ok(c.id)) continue;
      parent[c.id] = n.id;
      walk(c);
    }
  };
  walk(snapshot);
  const once = new Map<number, AddedNode>(); // the add of each node added once in the span
  let cuts = 0;
  for (const d of muts) {
    // rrweb applies a mutation's removes before its adds.
    for (const r of d.removes || [])
      if (ok(r.id)) {
        flags[r.id] |= CUT;
        cuts++;
      }
    for (const a of d.adds || []) {
      const id = a.node.id;
      flags[id] |= NAMED;
      if (ok(a.parentId)) flags[a.parentId] |= NAMED;
      if (ok(a.nextId)) flags[a.nextId] |= NAMED;
      if (ok(a.previousId)) flags[a.previousId] |= NAMED;
      parent[id] = ok(a.parentId) ? a.parentId : -1;
      const f = flags[id] & ~CUT;
      if (f & (ONCE | AGAIN | SNAPSHOT)) {
        flags[id] = (f & ~ONCE) | AGAIN;
        once.delete(id);
      } else {
        flags[id] = f | ONCE;
        once.set(id, a);
      }
    }
  }
  if (!once.size && !cuts) return NONE;

  // Attached at the end: a chain of parents up to the document with no removed link.
  const path: number[] = [];
  const attached = (id: number): boolean => {
    path.length = 0;
    let yes = true;
    for (let n = id; ; ) {
      const f = flags[n];
      if (f & KNOWN) {
        yes = (f & ATTACHED) !== 0;
        break;
      }
      path.push(n);
      if (f & CUT) {
        yes = false;
        break;
      }
      const p = parent[n];
      // The document, a parent nothing is known of, or a loop in a broken recording: keep.
      if (n === snapshot.id || p < 0 || path.length > size) break;
      n = p;
    }
    for (const n of path) flags[n] |= yes ? KNOWN | ATTACHED : KNOWN;
    return yes;
  };

  const candidates: number[] = [];
  for (const id of once.keys())
    if (!attached(id)) {
      flags[id] |= DEAD;
      candidates.push(id);
    }
  // Subtrees of the snapshot that are detached at the end and that no add names.
  const unnamed = (n: SerializedNode): boolean => {
    if (!ok(n.id) || flags[n.id] & NAMED) return false;
    let all = true;
    for (const c of n.childNodes || []) if (!unnamed(c)) all = false;
    return all;
  };
  const mark = (n: SerializedNode) => {
    flags[n.id] |= DEAD;
    candidates.push(n.id);
    for (const c of n.childNodes || []) mark(c);
  };
  const markSnapshot = (n: SerializedNode) => {
    if (ok(n.id) && flags[n.id] & CUT && unnamed(n)) mark(n);
    else for (const c of n.childNodes || []) markSnapshot(c);
  };
  if (cuts) markSnapshot(snapshot);
  if (!candidates.length) return NONE;

  // Every add that stays must find its parent and its siblings.
  const work: AddedNode[] = [];
  for (const d of muts) for (const a of d.adds || []) if (!(flags[a.node.id] & DEAD)) work.push(a);
  const need = (id: number | null | undefined) => {
    if (!ok(id) || !(flags[id] & DEAD)) return;
    flags[id] &= ~DEAD;
    const a = once.get(id);
    if (a) work.push(a);
  };
  while (work.length) {
    const a = work.pop()!;
    need(a.parentId);
    need(a.nextId);
    need(a.previousId);
  }
  let n = 0;
  for (const id of candidates) if (flags[id] & DEAD) n++;
  return n ? { size: n, has: (id: number) => ok(id) && (flags[id] & DEAD) !== 0 } : NONE;
}

/** The snapshot's tree without its dead nodes; the same object when nothing is left out. */
export function pruneSnapshot<T extends SerializedNode>(n: T, dead: DeadSet): T {
  if (!dead.size || !n.childNodes || !n.childNodes.length) return n;
  let changed = false;
  const kids: SerializedNode[] = [];
  for (const c of n.childNodes) {
    if (dead.has(c.id)) {
      changed = true;
      continue;
    }
    const p = pruneSnapshot(c, dead);
    if (p !== c) changed = true;
    kids.push(p);
  }
  return changed ? { ...n, childNodes: kids } : n;
}

/** The mutation without what it does to dead nodes; the same object when nothing changes. */
export function pruneMutation(d: MutationData, dead: DeadSet): MutationData {
  if (!dead.size) return d;
  // A malformed entry is left for rrweb to refuse as it would.
  const adds = d.adds ? d.adds.filter((a) => !(a && a.node && dead.has(a.node.id))) : d.adds;
  const removes = d.removes ? d.removes.filter((r) => !(r && dead.has(r.id))) : d.removes;
  const texts = d.texts ? d.texts.filter((t) => !(t && dead.has(t.id))) : d.texts;
  const attributes = d.attributes ? d.attributes.filter((a) => !(a && dead.has(a.id))) : d.attributes;
  if (adds?.length === d.adds?.length && removes?.length === d.removes?.length && texts?.length === d.texts?.length && attributes?.length === d.attributes?.length) return d;
  return { ...d, adds, removes, texts, attributes };
}
