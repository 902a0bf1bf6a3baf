// The player's side panes: lists that follow playback (the current entry is highlighted and
// kept in view) and jump the player to an entry when clicked.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { clock, urlPath } from "./format";
import { readableURL, rowURL } from "./measure";
import { KINDS, lastAtOrBefore, type ConsoleEntry, type ErrorEntry, type Item, type Request } from "./timeline";

/** Keeps the row at index `current` in view while it changes, unless the user is scrolling. */
function useFollow(current: number) {
  const ref = useRef<HTMLDivElement>(null);
  const userScrolled = useRef(0);
  useEffect(() => {
    const box = ref.current;
    if (!box || current < 0 || Date.now() - userScrolled.current < 4000) return;
    const row = box.querySelector<HTMLElement>(`[data-i="${current}"]`);
    if (!row) return;
    const top = row.offsetTop - box.offsetTop;
    if (top < box.scrollTop || top + row.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }, [current]);
  const onWheel = () => (userScrolled.current = Date.now());
  return { ref, onWheel };
}

function Empty({ children }: { children: any }) {
  return <p class="muted pane-empty">{children}</p>;
}

export function EventsPane({ items, time, seek }: { items: Item[]; time: number; seek: (ms: number) => void }) {
  const current = lastAtOrBefore(items, time);
  const f = useFollow(current);
  if (items.length === 0) return <Empty>No events yet.</Empty>;
  return (
    <div class="list" ref={f.ref} onWheel={f.onWheel} data-testid="event-list">
      {items.map((it, i) => (
        <button
          type="button"
          class={"row k-" + it.kind + (i === current ? " current" : "") + (it.at > time ? " future" : "")}
          data-i={i}
          data-kind={it.kind}
          data-at={it.at}
          onClick={() => seek(it.at)}
        >
          <span class="t mono">{clock(it.at)}</span>
          <span class="dot" />
          <span class="what">
            <span class="kind">{KINDS[it.kind].short}</span> {it.kind === "page" ? urlPath(it.label) : it.label}
            {it.detail && <span class="muted detail"> {it.detail}</span>}
          </span>
        </button>
      ))}
    </div>
  );
}

const LEVELS = ["all", "error", "warn", "info", "log", "debug"];

export function ConsolePane({ entries, time, seek }: { entries: ConsoleEntry[]; time: number; seek: (ms: number) => void }) {
  const [level, setLevel] = useState("all");
  const [q, setQ] = useState("");
  const [open, setOpen] = useState<number | null>(null);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return entries
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => (level === "all" || e.level === level || (level === "log" && e.level === "trace")) && (!needle || e.text.toLowerCase().includes(needle)));
  }, [entries, level, q]);
  const current = lastAtOrBefore(
    shown.map((s) => s.e),
    time,
  );
  const f = useFollow(current);
  const counts: Record<string, number> = {};
  for (const e of entries) counts[e.level] = (counts[e.level] || 0) + 1;
  return (
    <>
      <div class="pane-tools">
        <select value={level} onChange={(ev) => setLevel(ev.currentTarget.value)} data-testid="console-level" aria-label="Level">
          {LEVELS.map((l) => (
            <option value={l}>
              {l === "all" ? `All levels (${entries.length})` : `${l} (${counts[l] || 0})`}
            </option>
          ))}
        </select>
        <input type="search" placeholder="Search console" value={q} onInput={(ev) => setQ(ev.currentTarget.value)} data-testid="console-search" />
      </div>
      {shown.length === 0 ? (
        <Empty>{entries.length ? "Nothing matches." : "No console output recorded."}</Empty>
      ) : (
        <div class="list" ref={f.ref} onWheel={f.onWheel} data-testid="console-list">
          {shown.map(({ e, i }, k) => (
            <div class={"crow lvl-" + e.level + (k === current ? " current" : "") + (e.at > time ? " future" : "")} data-i={k} data-level={e.level}>
              <button type="button" class="row" onClick={() => seek(e.at)}>
                <span class="t mono">{clock(e.at)}</span>
                <span class="lvl">{e.level}</span>
                <span class="msg mono">{e.text}</span>
              </button>
              {e.stack && (
                <button type="button" class="link stack-toggle" onClick={() => setOpen(open === i ? null : i)}>
                  {open === i ? "hide stack" : "stack"}
                </button>
              )}
              {open === i && e.stack && <pre class="stack">{e.stack}</pre>}
            </div>
          ))}
        </div>
      )}
    </>
  );
}

function status(r: Request): string {
  if (r.failure) return r.failure;
  return r.status ? String(r.status) : "failed";
}

export function NetworkPane({ requests, time, seek }: { requests: Request[]; time: number; seek: (ms: number) => void }) {
  const [open, setOpen] = useState<number | null>(null);
  const [onlyFailed, setOnlyFailed] = useState(false);
  const shown = onlyFailed ? requests.filter((r) => r.failed) : requests;
  const current = lastAtOrBefore(shown, time);
  const f = useFollow(current);
  const lo = shown.length ? shown[0].at : 0;
  const hi = Math.max(lo + 1, ...shown.map((r) => r.end));
  const pct = (ms: number) => ((ms - lo) / (hi - lo)) * 100;
  return (
    <>
      <div class="pane-tools">
        <label class="toggle">
          <input type="checkbox" checked={onlyFailed} onChange={(ev) => setOnlyFailed(ev.currentTarget.checked)} data-testid="network-failed" />
          Failed only ({requests.filter((r) => r.failed).length})
        </label>
      </div>
      {shown.length === 0 ? (
        <Empty>{requests.length ? "No failed requests." : "No requests recorded."}</Empty>
      ) : (
        <div class="list" ref={f.ref} onWheel={f.onWheel} data-testid="network-list">
          {shown.map((r, i) => (
            <div class={"nrow" + (r.failed ? " failed" : "") + (i === current ? " current" : "") + (r.at > time ? " future" : "")} data-i={i}>
              <button type="button" class="row" onClick={() => (seek(r.at), setOpen(open === i ? null : i))} title={r.url}>
                <span class="method mono">{r.method}</span>
                <span class="st mono" data-testid="status">{status(r)}</span>
                <span class="url mono" data-testid="request-url">{rowURL(r.url)}</span>
                <span class="ms mono">{r.durationMs} ms</span>
                <span class="wf">
                  <i style={{ left: pct(r.at) + "%", width: Math.max(0.8, pct(r.end) - pct(r.at)) + "%" }} />
                </span>
              </button>
              {open === i && (
                <dl class="details" data-testid="request-details">
                  <dt>URL</dt>
                  <dd class="mono">{readableURL(r.url)}</dd>
                  <dt>Started</dt>
                  <dd>{clock(r.at)} · took {r.durationMs} ms</dd>
                  {r.p.requestSize !== undefined && (
                    <>
                      <dt>Sizes</dt>
                      <dd>
                        sent {r.p.requestSize} B · received {r.p.responseSize ?? "?"} B
                      </dd>
                    </>
                  )}
                  {r.failure && (
                    <>
                      <dt>Failure</dt>
                      <dd>{r.failure}</dd>
                    </>
                  )}
                  {(["requestHeaders", "responseHeaders", "requestBody", "responseBody"] as const).map(
                    (k) =>
                      r.p[k] !== undefined && (
                        <>
                          <dt>{k.replace(/([A-Z])/g, " $1").toLowerCase()}</dt>
                          <dd>
                            <pre>{typeof r.p[k] === "string" ? r.p[k] : JSON.stringify(r.p[k], null, 2)}</pre>
                          </dd>
                        </>
                      ),
                  )}
                </dl>
              )}
            </div>
          ))}
        </div>
      )}
    </>
  );
}

export function ErrorsPane({ errors, time, seek }: { errors: ErrorEntry[]; time: number; seek: (ms: number) => void }) {
  const current = lastAtOrBefore(errors, time);
  const f = useFollow(current);
  if (errors.length === 0) return <Empty>No errors in this session.</Empty>;
  return (
    <div class="list" ref={f.ref} onWheel={f.onWheel} data-testid="error-list">
      {errors.map((e, i) => (
        <div class={"erow" + (i === current ? " current" : "") + (e.at > time ? " future" : "")} data-i={i}>
          <button type="button" class="row" onClick={() => seek(e.at)}>
            <span class="t mono">{clock(e.at)}</span>
            <span class="msg">
              <b>{e.name || (e.kind === "unhandledrejection" ? "Unhandled rejection" : "Error")}</b> {e.message}
            </span>
          </button>
          {e.source && <div class="muted mono src">{e.source}</div>}
          {e.stack && <pre class="stack">{e.stack}</pre>}
        </div>
      ))}
    </div>
  );
}
