// The player's keyboard shortcuts, listed by the "?" button or the ? key; Escape or a click
// outside closes the list.
import { useEffect, useState } from "preact/hooks";
import { isTyping } from "./sessionnav";

const KEYS: [string, string][] = [
  ["Space", "Play or pause"],
  ["← / →", "Back or forward 5 seconds"],
  ["[ / ]", "Previous or next event"],
  ["k / j", "Previous or next session of the list"],
  ["f", "Fullscreen"],
  ["1", "Recorded size (1:1) or scaled to fit"],
  ["c", "Show or hide the cursor and its trail"],
  ["?", "Show or hide these shortcuts"],
];

export function Shortcuts() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey || isTyping(ev.target)) return;
      if (ev.key === "?") {
        ev.preventDefault();
        setOpen((o) => !o);
      } else if (ev.key === "Escape") setOpen(false);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <div class="shortcuts">
      <button
        type="button"
        class="ghost icon"
        title="Keyboard shortcuts (?)"
        aria-label="Keyboard shortcuts"
        aria-expanded={open}
        data-testid="shortcuts"
        onClick={(ev) => {
          setOpen(!open);
          ev.currentTarget.blur();
        }}
      >
        ?
      </button>
      {open && (
        <div class="shortcuts-scrim" onClick={() => setOpen(false)}>
          <div class="popover shortcuts-pop" role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcuts-help" onClick={(ev) => ev.stopPropagation()}>
            <h3>Keyboard shortcuts</h3>
            <dl>
              {KEYS.map(([k, what]) => (
                <>
                  <dt>
                    <kbd>{k}</kbd>
                  </dt>
                  <dd>{what}</dd>
                </>
              ))}
            </dl>
            <button type="button" data-testid="shortcuts-close" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
