// Turns whatever a page hands to console.* or rejects a promise with into bounded text. Page
// objects can be cyclic, huge, DOM nodes or proxies with throwing getters; none of that may
// break the page or blow up a batch.

const MAX_DEPTH = 3;
const MAX_KEYS = 50;
/** Longest text kept for one argument. */
export const MAX_TEXT = 4096;

export function cap(s: string, n = MAX_TEXT): string {
  return s.length > n ? `${s.slice(0, n)}…[${s.length - n} more]` : s;
}

/** Describes a DOM node the way devtools does: `<div#id.class>`, never its content. */
function describeNode(n: Node): string {
  if (n.nodeType !== 1) return `#${n.nodeName.toLowerCase()}`;
  const e = n as Element;
  let s = `<${e.tagName.toLowerCase()}`;
  if (e.id) s += `#${e.id}`;
  if (typeof e.className === "string" && e.className) s += `.${e.className.trim().split(/\s+/).join(".")}`;
  return `${s}>`;
}

export function errorText(e: Error): string {
  return `${e.name}: ${e.message}`;
}

/** One console argument as text: strings as they are, everything else as bounded JSON-ish. */
export function stringify(v: unknown): string {
  try {
    if (typeof v === "string") return cap(v);
    return cap(walk(v, 0, []));
  } catch {
    return "[unserializable]";
  }
}

function walk(v: unknown, depth: number, seen: object[]): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(cap(v, 1000));
    case "number":
    case "boolean":
    case "undefined":
    case "symbol":
      return String(v);
    case "bigint":
      return `${v}n`;
    case "function":
      return `[Function ${(v as { name?: string }).name || "anonymous"}]`;
  }
  if (v === null) return "null";
  const o = v as object;
  if (typeof Node !== "undefined" && o instanceof Node) return describeNode(o);
  if (o instanceof Error) return `${errorText(o)}${o.stack ? `\n${o.stack}` : ""}`;
  if (o instanceof Date) return o.toISOString();
  if (o instanceof RegExp) return String(o);
  if (seen.includes(o)) return "[Circular]";
  if (depth >= MAX_DEPTH) return Array.isArray(o) ? `[Array(${o.length})]` : "[Object]";
  seen.push(o);
  let out: string;
  if (Array.isArray(o)) {
    const items = o.slice(0, MAX_KEYS).map((x) => walk(x, depth + 1, seen));
    if (o.length > MAX_KEYS) items.push(`…${o.length - MAX_KEYS} more`);
    out = `[${items.join(",")}]`;
  } else {
    const keys = Object.keys(o);
    const items = keys.slice(0, MAX_KEYS).map((k) => {
      let val: string;
      try {
        val = walk((o as Record<string, unknown>)[k], depth + 1, seen);
      } catch {
        val = "[Thrown]";
      }
      return `${JSON.stringify(k)}:${val}`;
    });
    if (keys.length > MAX_KEYS) items.push(`…${keys.length - MAX_KEYS} more`);
    out = `{${items.join(",")}}`;
  }
  seen.pop();
  return out;
}
