// The player's way back to the list it was opened from and through it: "← Sessions" returns to
// that list (query, order, project), and Previous/Next (keys k and j) open its neighbours,
// carrying the same list along (listnav.ts).
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api";
import { isModifiedClick, navigate } from "./router";
import { listHref, listParams, neighbours, sessionHref, type Neighbours } from "./listnav";

export function isTyping(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
}

export function SessionNav({ id }: { id: string }) {
  const from = listParams(location.search);
  const fromKey = from.toString();
  const [n, setN] = useState<Neighbours | null>(null);

  useEffect(() => {
    const signal = { cancelled: false };
    neighbours(id, from, signal).then(
      (r) => !signal.cancelled && setN(r),
      (err) => {
        if (signal.cancelled || (err instanceof ApiError && err.status === 401)) return;
        setN({ prev: null, next: null, index: 0, count: 0, more: false });
      },
    );
    return () => {
      signal.cancelled = true;
    };
  }, [id, fromKey]);

  // The next session opens on the same pane (?pane=), so stepping through errors stays on Errors.
  const href = (sid: string) => {
    const p = new URLSearchParams(from);
    const pane = new URLSearchParams(location.search).get("pane");
    if (pane) p.set("pane", pane);
    return sessionHref(sid, p);
  };
  const open = (sid: string | undefined) => sid && navigate(href(sid));

  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey || isTyping(ev.target)) return;
      if (ev.key === "j") {
        ev.preventDefault();
        open(n?.next?.id);
      } else if (ev.key === "k") {
        ev.preventDefault();
        open(n?.prev?.id);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const back = listHref(from);
  const link = (to: string) => (ev: MouseEvent) => {
    if (isModifiedClick(ev)) return;
    ev.preventDefault();
    navigate(to);
  };
  return (
    <span class="session-nav" data-testid="session-nav">
      <a href={back} class="back" data-testid="back-to-list" onClick={link(back)}>
        ← Sessions
      </a>
      <a
        href={n?.prev ? href(n.prev.id) : undefined}
        class={"step" + (n?.prev ? "" : " off")}
        aria-disabled={!n?.prev}
        title="Previous session of the list (k)"
        data-testid="prev-session"
        onClick={n?.prev ? link(href(n.prev.id)) : undefined}
      >
        ‹ Prev
      </a>
      {n && n.index > 0 && (
        <span class="muted" data-testid="list-position">
          {n.index} of {n.count || "?"}
          {n.more ? "+" : ""}
        </span>
      )}
      <a
        href={n?.next ? href(n.next.id) : undefined}
        class={"step" + (n?.next ? "" : " off")}
        aria-disabled={!n?.next}
        title="Next session of the list (j)"
        data-testid="next-session"
        onClick={n?.next ? link(href(n.next.id)) : undefined}
      >
        Next ›
      </a>
    </span>
  );
}
