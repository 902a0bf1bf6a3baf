// Names of recorded elements the way a person finds them on the page (`button#apply-coupon
// "Apply coupon"`), the TypeScript twin of analyze.Describe: the DOM is followed through the
// full snapshots and mutations of the events, so a click row can say what was clicked.

interface El {
  tag: string; // "" for text
  attrs: Record<string, string>;
  text: string;
  parent: number;
  children: number[];
}

const CLICKABLE_TAGS = new Set(["a", "button", "input", "select", "textarea", "label", "summary", "option"]);
const CLICKABLE_ROLES = new Set(["button", "link", "menuitem", "tab", "checkbox", "radio", "switch", "option"]);

export class Elements {
  private nodes = new Map<number, El>();

  /** Forgets the page: a full snapshot describes it anew. */
  snapshot(root: any): void {
    this.nodes.clear();
    this.add(root, 0);
  }

  add(n: any, parent: number): void {
    if (!n || typeof n.id !== "number") return;
    const el: El = { tag: n.type === 2 && typeof n.tagName === "string" ? n.tagName.toLowerCase() : "", attrs: {}, text: n.type === 3 && typeof n.textContent === "string" ? n.textContent : "", parent, children: [] };
    if (n.attributes && typeof n.attributes === "object") for (const [k, v] of Object.entries(n.attributes)) if (typeof v === "string") el.attrs[k] = v;
    this.nodes.set(n.id, el);
    const p = this.nodes.get(parent);
    if (p && !p.children.includes(n.id)) p.children.push(n.id);
    if (Array.isArray(n.childNodes)) for (const c of n.childNodes) this.add(c, n.id);
  }

  /** Folds an rrweb mutation in: added nodes, changed attributes and texts. */
  mutation(d: any): void {
    if (Array.isArray(d.adds)) for (const a of d.adds) this.add(a.node, a.parentId);
    if (Array.isArray(d.attributes))
      for (const a of d.attributes) {
        const el = this.nodes.get(a.id);
        if (el && a.attributes) for (const [k, v] of Object.entries(a.attributes)) if (typeof v === "string") el.attrs[k] = v;
      }
    if (Array.isArray(d.texts))
      for (const t of d.texts) {
        const el = this.nodes.get(t.id);
        if (el && typeof t.value === "string") el.text = t.value;
      }
  }

  private text(id: number, depth = 0, acc = { s: "" }): string {
    const el = this.nodes.get(id);
    if (!el || depth > 6 || acc.s.length > 80) return acc.s;
    for (const c of el.children) {
      const ch = this.nodes.get(c);
      if (!ch) continue;
      if (ch.tag === "") acc.s += ch.text;
      else if (ch.tag !== "script" && ch.tag !== "style") this.text(c, depth + 1, acc);
    }
    return acc.s;
  }

  /** The element a click on node id meant: its nearest clickable ancestor, else the node. */
  private target(id: number): number {
    let cur = id;
    for (let i = 0; i < 12; i++) {
      const el = this.nodes.get(cur);
      if (!el) break;
      if (el.tag === "" ) {
        cur = el.parent;
        continue;
      }
      if (CLICKABLE_TAGS.has(el.tag) || CLICKABLE_ROLES.has(el.attrs.role || "") || el.attrs.onclick !== undefined) return cur;
      if (!el.parent || el.parent === cur) break;
      cur = el.parent;
    }
    const el = this.nodes.get(id);
    return el && el.tag === "" ? el.parent : id;
  }

  /** Names node id: tag, then #id, a test id or two classes, then its text (or its label). */
  describe(id: number): string {
    const tid = this.target(id);
    const el = this.nodes.get(tid);
    if (!el || !el.tag) return "";
    let s = el.tag;
    if (el.attrs.id) s += "#" + el.attrs.id;
    else if (el.attrs["data-testid"]) s += `[data-testid="${el.attrs["data-testid"]}"]`;
    else if (el.attrs.class) s += el.attrs.class.trim().split(/\s+/).slice(0, 2).map((c) => "." + c).join("");
    let txt = this.text(tid).replace(/\s+/g, " ").trim() || el.attrs["aria-label"] || (el.tag === "input" && (el.attrs.type === "submit" || el.attrs.type === "button") ? el.attrs.value || "" : "");
    if (txt.length > 40) txt = txt.slice(0, 40) + "…";
    return txt ? `${s} "${txt}"` : s;
  }
}
