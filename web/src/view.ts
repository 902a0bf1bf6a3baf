// How the player shows a replay: scaled to fit or at the recorded size (1:1), with or without
// the visitor's cursor and trail. Remembered in this browser; the address can say it too
// (?scale=1 for 1:1, ?scale=fit; ?cursor=0 or 1), which wins over what is remembered without
// changing it, so a link or a script (bench/real-apps) gets the view it asks for.

export interface ViewOptions {
  actualSize: boolean;
  cursor: boolean;
}

const KEY = "reel:player-view";

function remembered(): ViewOptions {
  const v: ViewOptions = { actualSize: false, cursor: true };
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return v;
    const o = JSON.parse(raw);
    if (o && typeof o === "object") {
      if (typeof o.actualSize === "boolean") v.actualSize = o.actualSize;
      if (typeof o.cursor === "boolean") v.cursor = o.cursor;
    }
  } catch {
    // Storage off or a value not ours: the defaults.
  }
  return v;
}

/** The view options for a player opened at an address with this query string. */
export function viewOptions(search: string): ViewOptions {
  const v = remembered();
  const p = new URLSearchParams(search);
  const scale = p.get("scale");
  if (scale === "1" || scale === "1:1") v.actualSize = true;
  else if (scale === "fit") v.actualSize = false;
  const cursor = p.get("cursor");
  if (cursor === "0" || cursor === "off") v.cursor = false;
  else if (cursor === "1" || cursor === "on") v.cursor = true;
  return v;
}

export function saveView(v: ViewOptions): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(v));
  } catch {
    // Not remembered; still applied.
  }
}
