// Image requests held back while the player jumps to a moment.
//
// The replay frame runs no scripts, so the browser ignores loading="lazy" there and every
// <img> of a rebuilt page asks for its picture at once: on a catalogue page, 150 requests that
// cost the main thread tens of milliseconds before the frame can be shown, for pictures that
// arrive from the network well after it anyway. While a seek rebuilds the page, the player
// empties each image's sources (and its alt text, so the frame shows an empty box, as for a
// picture still loading, not the text of a broken one) as rrweb builds it, and puts them back
// once the frame is on screen. A value the recording itself set or removed meanwhile is left as
// the recording has it, and a picture it replaced on the way is never asked for.

/** Attributes that make an element fetch a picture (a <source> only inside a <picture>). */
function sourceAttrs(el: Element): string[] | null {
  switch (el.nodeName) {
    case "IMG":
      return ["srcset", "src"];
    case "SOURCE":
      return el.parentNode && el.parentNode.nodeName === "PICTURE" ? ["srcset"] : null;
  }
  return null;
}

const fetches = (v: string | null): v is string => !!v && !v.startsWith("data:");

export class HeldImages {
  /** Held elements, in the order they were built, with the sources taken off them and the
   * attributes the recording itself set or removed since (not ours to restore). */
  private held = new Map<Element, { attrs: [string, string][]; touched: Set<string> }>();
  private obs: MutationObserver | null = null;
  private doc: Document | null = null;
  private holding = false;

  /** Starts holding the image requests of nodes built in doc from now on. */
  hold(doc: Document | null | undefined): void {
    if (!doc) return;
    this.holding = true;
    if (this.doc !== doc) {
      // A new replay frame: what was held for the old one is gone with it.
      this.obs?.disconnect();
      this.held = new Map();
      this.doc = doc;
      this.obs = new MutationObserver((records) => this.note(records));
      // The frame's document object stays the same when rrweb rebuilds a full snapshot in it.
      this.obs.observe(doc, { subtree: true, attributes: true, attributeFilter: ["src", "srcset", "alt"] });
    }
  }

  /** rrweb's onBuild hook: called for every node it builds. */
  built(node: Node): void {
    if (!this.holding || node.nodeType !== 1) return;
    const el = node as Element;
    const names = sourceAttrs(el);
    if (!names || this.held.has(el)) return;
    const attrs: [string, string][] = [];
    for (const name of names) {
      const v = el.getAttribute(name);
      if (fetches(v)) attrs.push([name, v]);
    }
    if (!attrs.length) return;
    const alt = el.getAttribute("alt");
    if (alt) attrs.push(["alt", alt]);
    // What the recording did before this is noted; the changes below are ours. An empty value
    // (not a removed attribute) stays to be told apart from the recording removing it later.
    if (this.obs) this.note(this.obs.takeRecords());
    for (const [name] of attrs) el.setAttribute(name, "");
    this.obs?.takeRecords();
    this.held.set(el, { attrs, touched: new Set() });
  }

  /**
   * Gives the held images still on the page their sources back, in the order they were built.
   * An image the recording removed on the way stays empty: rrweb forgets a removed node, and a
   * later add of the same id builds a new element, so it is never shown again, and giving it
   * its source back would only fetch the picture.
   */
  release(): void {
    this.holding = false;
    if (this.obs) this.note(this.obs.takeRecords());
    const held = this.held;
    this.held = new Map();
    for (const [el, { attrs, touched }] of held) {
      if (!el.isConnected) continue;
      for (const [name, v] of attrs) if (!touched.has(name) && el.getAttribute(name) === "") el.setAttribute(name, v);
    }
    this.obs?.takeRecords();
  }

  destroy(): void {
    this.obs?.disconnect();
    this.obs = null;
    this.held = new Map();
  }

  private note(records: MutationRecord[]): void {
    for (const r of records) {
      const h = r.attributeName && this.held.get(r.target as Element);
      if (h) h.touched.add(r.attributeName!);
    }
  }
}
