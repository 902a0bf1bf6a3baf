// Focus rings as the visitor saw them. rrweb's Replayer replays a recorded focus with
// `element.focus()`, a programmatic focus in a document nobody has touched, which the browser
// shows as :focus-visible (a keyboard focus): a header cell the visitor clicked got the grid's
// focus ring in the replay, though the live page showed none, since focus by a pointer is not
// :focus-visible. The recording says how the focus came: rrweb records the pointer's mousedown
// (or touchstart) just before the focus it causes.
import { FULL_SNAPSHOT, INCREMENTAL, SRC_MOUSE_INTERACTION } from "./timeline";

/** rrweb's MouseInteractions: MouseDown, Focus, TouchStart. */
const MOUSE_DOWN = 1;
const FOCUS = 5;
const TOUCH_START = 7;

/** A focus this soon after a pointer press is that press's (the browser focuses on mousedown). */
const POINTER_FOCUS_MS = 1000;

interface Event {
  type: number;
  timestamp: number;
  data?: { source?: number; type?: number; id?: number };
}

/**
 * A Replayer plugin that gives a focus caused by a pointer press no focus ring: once rrweb has
 * focused the element, it is focused again with `focusVisible: false`.
 */
export function pointerFocus(): { handler: (e: unknown, isSync: boolean, ctx: { replayer: unknown }) => void } {
  let pressedAt = -Infinity;
  return {
    handler(raw, _isSync, ctx) {
      const e = raw as Event;
      // A seek back rebuilds from a snapshot: presses after it are not yet seen.
      if (e.type === FULL_SNAPSHOT) pressedAt = -Infinity;
      if (e.type !== INCREMENTAL || e.data?.source !== SRC_MOUSE_INTERACTION) return;
      const kind = e.data.type;
      if (kind === MOUSE_DOWN || kind === TOUCH_START) {
        pressedAt = e.timestamp;
        return;
      }
      if (kind !== FOCUS || e.timestamp - pressedAt > POINTER_FOCUS_MS) return;
      const r = ctx.replayer as { getMirror(): { getNode(id: number): Node | null } };
      const el = r.getMirror().getNode(e.data.id ?? -1) as HTMLElement | null;
      if (!el || typeof el.focus !== "function" || el.ownerDocument.activeElement !== el) return;
      el.blur();
      el.focus({ preventScroll: true, focusVisible: false } as FocusOptions);
    },
  };
}
