// Placing a popover next to the button that opened it, in the window rather than inside the
// box that holds the button: a table that scrolls sideways (the session list) would otherwise cut
// the popover off at its edge, and on a phone a popover as wide as the button's column would
// stick out of the screen.
import { useLayoutEffect } from "preact/hooks";
import type { RefObject } from "preact";

const MARGIN = 8;

/**
 * Keeps pop (position: fixed in CSS) on screen next to anchor while open: right-aligned with it,
 * below it (above when up, or when there is no room below), moved inside the window when it
 * would stick out, and following the anchor when the page or a box around it scrolls.
 */
export function useAnchoredPopover(
  open: boolean,
  anchor: RefObject<HTMLElement | null>,
  pop: RefObject<HTMLElement | null>,
  up: boolean,
  watch: unknown[] = [],
): void {
  useLayoutEffect(() => {
    if (!open) return;
    const place = () => {
      const a = anchor.current;
      const p = pop.current;
      if (!a || !p) return;
      const view = document.documentElement;
      const vw = view.clientWidth;
      const vh = view.clientHeight;
      const r = a.getBoundingClientRect();
      const w = p.offsetWidth;
      const h = p.offsetHeight;
      const below = r.bottom + 6;
      const above = r.top - 6 - h;
      const fitsBelow = below + h <= vh - MARGIN;
      const fitsAbove = above >= MARGIN;
      let top = up ? (fitsAbove || !fitsBelow ? above : below) : fitsBelow || !fitsAbove ? below : above;
      top = Math.max(MARGIN, Math.min(top, vh - MARGIN - h));
      const left = Math.max(MARGIN, Math.min(r.right - w, vw - MARGIN - w));
      p.style.top = `${Math.round(top)}px`;
      p.style.left = `${Math.round(left)}px`;
    };
    place();
    window.addEventListener("resize", place);
    // Capture: a scroll of any box around the anchor (the table) moves it too.
    window.addEventListener("scroll", place, true);
    return () => {
      window.removeEventListener("resize", place);
      window.removeEventListener("scroll", place, true);
    };
  }, [open, up, ...watch]);
}
