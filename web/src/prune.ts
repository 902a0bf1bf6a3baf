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

/**
 * Returns the ids of the nodes the mutations in events[from, end) add and remove again, where
 * end is the first Meta or full snapshot at or after from, or the first event at or after
 * `before`. snapshot is the full snapshot's root node the span starts from. Returns an empty
 * set when nothing can be left out.
 */
export function deadNodes(snapshot: SerializedNode, events: RREvent[], from: number, before: number): Set<number> {
  const parent = new Map<number, number>();
  const inSnapshot = new Set<number>([snapshot.id]);
  const walk = (n: SerializedNode) => {
    for (const c of n.childNodes || []) {
      parent.set(c.id, n.id);
      inSnapshot.add(c.id);
      walk(c);
    }
  };
  walk(snapshot);
  const cut = new Set<number>(); // removed and not added back since
  const added = new Map<number, AddedNode>(); // the add of each node added once in the span
  const addedAgain = new Set<number>(); // nodes of the snapshot added, and nodes added twice
  const named = new Set<number>(); // every id an add names: node, parent, siblings
  for (let i = from; i < events.length; i++) {
    const e = events[i];
    if (e.timestamp >= before || e.type === META || e.type === FULL_SNAPSHOT) break;
    if (e.type !== INCREMENTAL || !e.data || e.data.source !== SRC_MUTATION) continue;
    const d = e.data as MutationData;
    // rrweb applies a mutation's removes before its adds.
    for (const r of d.removes || []) {
      if (r.isShadow) return new Set();
      cut.add(r.id);
    }
    for (const a of d.adds || []) {
      const n = a.node;
      if (!n || n.rootId !== undefined || n.isShadow || n.type === DOCUMENT) return new Set();
      named.add(n.id).add(a.parentId);
      if (a.nextId != null) named.add(a.nextId);
      if (a.previousId != null) named.add(a.previousId);
      parent.set(n.id, a.parentId);
      cut.delete(n.id);
      if (added.has(n.id) || addedAgain.has(n.id) || inSnapshot.has(n.id)) {
        added.delete(n.id);
        addedAgain.add(n.id);
      } else added.set(n.id, a);
    }
  }
  if (!added.size && !cut.size) return new Set();

  // Attached at the end: a chain of parents up to the document with no removed link.
  const attached = new Map<number, boolean>();
  const isAttached = (id: number): boolean => {
    const path: number[] = [];
    let ok = true;
    for (let n = id; ; ) {
      const known = attached.get(n);
      if (known !== undefined) {
        ok = known;
        break;
      }
      path.push(n);
      if (cut.has(n)) {
        ok = false;
        break;
      }
      const p = parent.get(n);
      // The document, a parent nothing is known of, or a loop in a broken recording: keep.
      if (n === snapshot.id || p === undefined || path.length > parent.size) break;
      n = p;
    }
    for (const n of path) attached.set(n, ok);
    return ok;
  };

  const dead = new Set<number>();
  for (const id of added.keys()) if (!isAttached(id)) dead.add(id);
  // Subtrees of the snapshot that are detached at the end and that no add names.
  const detachedAndUnnamed = (n: SerializedNode): boolean => {
    if (named.has(n.id)) return false;
    let all = true;
    for (const c of n.childNodes || []) if (!detachedAndUnnamed(c)) all = false;
    return all;
  };
  const markSnapshot = (n: SerializedNode) => {
    if (cut.has(n.id) && !isAttached(n.id) && detachedAndUnnamed(n)) {
      const mark = (m: SerializedNode) => {
        dead.add(m.id);
        for (const c of m.childNodes || []) mark(c);
      };
      mark(n);
      return;
    }
    for (const c of n.childNodes || []) markSnapshot(c);
  };
  if (cut.size) markSnapshot(snapshot);
  if (!dead.size) return dead;

  // Every add that stays must find its parent and its siblings.
  const work: AddedNode[] = [];
  for (let i = from; i < events.length; i++) {
    const e = events[i];
    if (e.timestamp >= before || e.type === META || e.type === FULL_SNAPSHOT) break;
    if (e.type !== INCREMENTAL || !e.data || e.data.source !== SRC_MUTATION) continue;
    for (const a of (e.data as MutationData).adds || []) if (!dead.has(a.node.id)) work.push(a);
  }
  const need = (id: number | null | undefined) => {
    if (id == null || !dead.has(id)) return;
    dead.delete(id);
    const a = added.get(id);
    if (a) work.push(a);
  };
  while (work.length) {
    const a = work.pop()!;
    need(a.parentId);
    need(a.nextId);
    need(a.previousId);
  }
  return dead;
}

/** The snapshot's tree without its dead nodes; the same object when nothing is left out. */
export function pruneSnapshot<T extends SerializedNode>(n: T, dead: Set<number>): T {
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
export function pruneMutation(d: MutationData, dead: Set<number>): MutationData {
  if (!dead.size) return d;
  const adds = d.adds ? d.adds.filter((a) => !dead.has(a.node.id)) : d.adds;
  const removes = d.removes ? d.removes.filter((r) => !dead.has(r.id)) : d.removes;
  const texts = d.texts ? d.texts.filter((t) => !dead.has(t.id)) : d.texts;
  const attributes = d.attributes ? d.attributes.filter((a) => !dead.has(a.id)) : d.attributes;
  if (adds?.length === d.adds?.length && removes?.length === d.removes?.length && texts?.length === d.texts?.length && attributes?.length === d.attributes?.length) return d;
  return { ...d, adds, removes, texts, attributes };
}
