// Funnels: how many sessions went through a sequence of steps (pages, clicks on an element,
// custom events), and who dropped out where (POST /api/v1/funnels). The funnel lives in the URL
// (step=, order=, days=, interval=; funnel= names a saved one), so any funnel can be shared as a
// link; saved funnels are kept on the server, private or shared with the project.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type FunnelBucket, type FunnelDefinition, type FunnelOrder, type FunnelResult, type FunnelStep, type SavedFunnel } from "./api";
import { duration, plural } from "./format";
import { navigate } from "./router";
import { Link, ProjectPicker, useProjects } from "./nav";

const DEFAULT_STEPS: FunnelStep[] = ["/demo/", "/demo/cart.html", "/demo/checkout.html", "/demo/thanks.html"].map((path) => ({ kind: "page", path }));
const DAY_CHOICES = [7, 14, 30, 90];
const MIN_STEPS = 2;
const MAX_STEPS = 12;
const ORDERS: [FunnelOrder, string][] = [
  ["ordered", "In this order"],
  ["strict", "Strictly consecutive"],
  ["any", "In any order"],
];

/** A step as one URL parameter: a page path as it is; a click or an event with a prefix. */
export function stepToParam(s: FunnelStep): string {
  if (s.kind === "click") {
    const p = new URLSearchParams();
    if (s.text) p.set("text", s.text);
    if (s.selector) p.set("selector", s.selector);
    return "click:?" + p.toString();
  }
  if (s.kind === "event") {
    const p = new URLSearchParams(s.props || {});
    return "event:" + (s.name || "") + (p.toString() ? "?" + p.toString() : "");
  }
  return s.path || "";
}

export function stepFromParam(v: string): FunnelStep {
  if (v.startsWith("click:")) {
    const p = new URLSearchParams(v.slice(v.indexOf("?") + 1));
    return { kind: "click", text: p.get("text") || "", selector: p.get("selector") || "" };
  }
  if (v.startsWith("event:")) {
    const rest = v.slice(6);
    const q = rest.indexOf("?");
    const props: Record<string, string> = {};
    if (q >= 0) new URLSearchParams(rest.slice(q + 1)).forEach((val, k) => (props[k] = val));
    return { kind: "event", name: q >= 0 ? rest.slice(0, q) : rest, props };
  }
  return { kind: "page", path: v };
}

function definitionFrom(loc: URL): FunnelDefinition {
  const s = loc.searchParams
    .getAll("step")
    .filter((p) => p.trim() !== "")
    .map(stepFromParam);
  const order = loc.searchParams.get("order") as FunnelOrder;
  return {
    steps: s.length >= MIN_STEPS ? s.slice(0, MAX_STEPS) : DEFAULT_STEPS,
    order: ORDERS.some(([o]) => o === order) ? order : "ordered",
  };
}

function daysFrom(loc: URL): number {
  const d = Number(loc.searchParams.get("days"));
  return DAY_CHOICES.includes(d) ? d : 14;
}

function funnelURL(def: FunnelDefinition, days: number, interval: string, project: string | null, saved: number | null): string {
  const p = new URLSearchParams();
  if (project) p.set("project", project);
  if (saved) p.set("funnel", String(saved));
  p.set("days", String(days));
  if (interval !== "day") p.set("interval", interval);
  if (def.order !== "ordered") p.set("order", def.order);
  for (const s of def.steps) p.append("step", stepToParam(s));
  return "/funnels?" + p.toString();
}

/** Cleans a step for the API: only the fields of its kind, trimmed. */
function clean(s: FunnelStep): FunnelStep {
  if (s.kind === "click") {
    const out: FunnelStep = { kind: "click" };
    if (s.text?.trim()) out.text = s.text.trim();
    if (s.selector?.trim()) out.selector = s.selector.trim();
    return out;
  }
  if (s.kind === "event") {
    const out: FunnelStep = { kind: "event", name: (s.name || "").trim() };
    if (s.props && Object.keys(s.props).length) out.props = s.props;
    return out;
  }
  return { kind: "page", path: (s.path || "").trim() };
}

function stepValid(s: FunnelStep): boolean {
  if (s.kind === "click") return !!(s.text?.trim() || s.selector?.trim());
  if (s.kind === "event") return !!s.name?.trim();
  return !!s.path?.trim();
}

function propsText(p?: Record<string, string>): string {
  return Object.entries(p || {})
    .map(([k, v]) => k + "=" + v)
    .join(", ");
}

function propsFrom(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

export function Funnels({ loc }: { loc: URL }) {
  const wantedProject = loc.searchParams.get("project");
  const { projects, project, error: projectsError } = useProjects(wantedProject);
  const def = definitionFrom(loc);
  const days = daysFrom(loc);
  const interval = loc.searchParams.get("interval") === "week" ? "week" : "day";
  const savedId = Number(loc.searchParams.get("funnel")) || null;
  const key = JSON.stringify([project, days, interval, def]);
  const [draft, setDraft] = useState<FunnelStep[]>(def.steps);
  const [draftOrder, setDraftOrder] = useState<FunnelOrder>(def.order);
  const [draftDays, setDraftDays] = useState(days);
  const [result, setResult] = useState<{ key: string; r: FunnelResult } | null>(null);
  const [error, setError] = useState("");
  const [running, setRunning] = useState(false);
  const [saved, setSaved] = useState<SavedFunnel[]>([]);
  const [name, setName] = useState("");
  const [shared, setShared] = useState(true);
  const [note, setNote] = useState("");

  // The URL is the funnel: when it changes (back button, shared link), the builder follows.
  useEffect(() => {
    setDraft(def.steps);
    setDraftOrder(def.order);
    setDraftDays(days);
  }, [key]);

  const loadSaved = () => {
    if (!project) return;
    api.savedFunnels(project).then(
      (r) => setSaved(r.funnels),
      () => setSaved([]),
    );
  };
  useEffect(loadSaved, [project]);

  // A link to a saved funnel (?funnel=<id> alone) opens its definition.
  const current = saved.find((f) => f.id === savedId) || null;
  useEffect(() => {
    if (!current) return;
    setName(current.name);
    setShared(current.shared);
    if (!loc.searchParams.has("step")) navigate(funnelURL(current.definition, days, interval, wantedProject, current.id));
  }, [current?.id]);

  useEffect(() => {
    if (projects === null || !project) return;
    if (savedId && !loc.searchParams.has("step")) return; // waits for the saved definition
    let live = true;
    setRunning(true);
    api.funnel(project, days, interval, def).then(
      (r) => {
        if (!live) return;
        setResult({ key, r });
        setError("");
        setRunning(false);
      },
      (err) => {
        if (!live) return;
        setRunning(false);
        if (err instanceof ApiError && err.status === 401) return;
        setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      live = false;
    };
  }, [projects, key, savedId]);

  const valid = draft.length >= MIN_STEPS && draft.every(stepValid);
  const draftDef = (): FunnelDefinition => ({ steps: draft.map(clean), order: draftOrder });
  const apply = () => {
    if (!valid) return;
    navigate(funnelURL(draftDef(), draftDays, interval, wantedProject, savedId));
  };
  const set = (i: number, s: FunnelStep) => setDraft(draft.map((x, k) => (k === i ? s : x)));
  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= draft.length) return;
    const next = draft.slice();
    [next[i], next[j]] = [next[j], next[i]];
    setDraft(next);
  };
  const save = async () => {
    if (!valid || !name.trim() || !project) return;
    try {
      const f =
        current && current.mine
          ? await api.updateFunnel(current.id, { name: name.trim(), shared, definition: draftDef() })
          : await api.saveFunnel(project, name.trim(), shared, draftDef());
      setNote(`Saved “${f.name}”` + (f.shared ? ", shared with the project" : ", only you see it"));
      loadSaved();
      navigate(funnelURL(draftDef(), draftDays, interval, wantedProject, f.id));
    } catch (err) {
      setNote(err instanceof Error ? err.message : String(err));
    }
  };
  const err = error || projectsError;

  return (
    <main class="page">
      <div class="titlebar">
        <h1>Funnels</h1>
        <span class="muted count">Sessions that went through these steps</span>
        <div class="spacer" />
        {saved.length > 0 && (
          <select
            aria-label="Saved funnels"
            data-testid="funnel-saved"
            value={current ? String(current.id) : ""}
            onChange={(e) => {
              const f = saved.find((x) => String(x.id) === e.currentTarget.value);
              if (f) navigate(funnelURL(f.definition, days, interval, wantedProject, f.id));
            }}
          >
            <option value="">Saved funnels…</option>
            {saved.map((f) => (
              <option value={String(f.id)}>
                {f.name}
                {f.shared ? "" : " (private)"}
              </option>
            ))}
          </select>
        )}
        <ProjectPicker projects={projects} project={project} loc={loc} />
      </div>
      <div class="funnel-layout">
        <form
          class="builder"
          data-testid="funnel-builder"
          onSubmit={(e) => {
            e.preventDefault();
            apply();
          }}
        >
          <ol>
            {draft.map((s, i) => (
              <li data-kind={s.kind}>
                <span class="stepno">{i + 1}</span>
                <select
                  aria-label={`Step ${i + 1} kind`}
                  data-testid="funnel-kind"
                  value={s.kind}
                  onChange={(e) => set(i, { kind: e.currentTarget.value as FunnelStep["kind"] })}
                >
                  <option value="page">Page</option>
                  <option value="click">Click</option>
                  <option value="event">Event</option>
                </select>
                <div class="fields">
                  {s.kind === "page" && (
                    <input
                      type="text"
                      value={s.path || ""}
                      spellcheck={false}
                      aria-label={`Step ${i + 1} page path`}
                      placeholder="/path/*"
                      data-testid="funnel-step-input"
                      onInput={(e) => set(i, { ...s, path: e.currentTarget.value })}
                    />
                  )}
                  {s.kind === "click" && (
                    <>
                      <input
                        type="text"
                        value={s.text || ""}
                        aria-label={`Step ${i + 1} element text`}
                        placeholder="Text on it: Pay now"
                        data-testid="funnel-click-text"
                        onInput={(e) => set(i, { ...s, text: e.currentTarget.value })}
                      />
                      <input
                        type="text"
                        value={s.selector || ""}
                        spellcheck={false}
                        aria-label={`Step ${i + 1} element selector`}
                        placeholder='or selector: *[data-testid="pay"]'
                        data-testid="funnel-click-selector"
                        onInput={(e) => set(i, { ...s, selector: e.currentTarget.value })}
                      />
                    </>
                  )}
                  {s.kind === "event" && (
                    <>
                      <input
                        type="text"
                        value={s.name || ""}
                        spellcheck={false}
                        aria-label={`Step ${i + 1} event name`}
                        placeholder="Reel.track name: signup*"
                        data-testid="funnel-event-name"
                        onInput={(e) => set(i, { ...s, name: e.currentTarget.value })}
                      />
                      <input
                        type="text"
                        value={propsText(s.props)}
                        spellcheck={false}
                        aria-label={`Step ${i + 1} event properties`}
                        placeholder="with: plan=pro, from=hero"
                        data-testid="funnel-event-props"
                        onChange={(e) => set(i, { ...s, props: propsFrom(e.currentTarget.value) })}
                      />
                    </>
                  )}
                </div>
                <button type="button" class="ghost icon" title="Move up" aria-label="Move up" disabled={i === 0} data-testid="funnel-up" onClick={() => move(i, -1)}>
                  ↑
                </button>
                <button
                  type="button"
                  class="ghost icon"
                  title="Move down"
                  aria-label="Move down"
                  disabled={i === draft.length - 1}
                  data-testid="funnel-down"
                  onClick={() => move(i, 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  class="ghost icon"
                  title="Remove step"
                  aria-label="Remove step"
                  disabled={draft.length <= MIN_STEPS}
                  data-testid="funnel-remove"
                  onClick={() => setDraft(draft.filter((_, k) => k !== i))}
                >
                  ×
                </button>
              </li>
            ))}
          </ol>
          <div class="builder-foot">
            <button type="button" data-testid="funnel-add" disabled={draft.length >= MAX_STEPS} onClick={() => setDraft(draft.concat({ kind: "page", path: "" }))}>
              + Add step
            </button>
            <div class="spacer" />
            <select aria-label="Order" value={draftOrder} data-testid="funnel-order" onChange={(e) => setDraftOrder(e.currentTarget.value as FunnelOrder)}>
              {ORDERS.map(([o, label]) => (
                <option value={o}>{label}</option>
              ))}
            </select>
          </div>
          <div class="builder-foot">
            <select aria-label="Days" value={String(draftDays)} data-testid="funnel-days" onChange={(e) => setDraftDays(Number(e.currentTarget.value))}>
              {DAY_CHOICES.map((d) => (
                <option value={String(d)}>Last {d} days</option>
              ))}
            </select>
            <div class="spacer" />
            <button type="submit" class="primary" disabled={!valid} data-testid="funnel-run">
              Show funnel
            </button>
          </div>
          <p class="muted hint">
            Page paths without the domain, <code>*</code> matches anything (<code>/product/*</code>). A click matches the
            element's text or its selector; an event, a <code>Reel.track</code> name and property values. <b>In this order</b>{" "}
            allows anything between steps, <b>strictly</b> nothing. Clicks and events count once a session is analysed.
          </p>
          <div class="builder-foot save" data-testid="funnel-save-form">
            <input type="text" value={name} placeholder="Name this funnel" aria-label="Funnel name" data-testid="funnel-name" onInput={(e) => setName(e.currentTarget.value)} />
            <label class="muted">
              <input type="checkbox" checked={shared} data-testid="funnel-shared" onChange={(e) => setShared(e.currentTarget.checked)} /> Shared
            </label>
            <button type="button" disabled={!valid || !name.trim()} data-testid="funnel-save" onClick={save}>
              {current && current.mine ? "Update" : "Save"}
            </button>
          </div>
          {note && (
            <p class="muted hint" data-testid="funnel-note">
              {note}
              {current && (
                <>
                  {" "}
                  · link: <code>{location.origin + current.url}</code>
                </>
              )}
            </p>
          )}
        </form>
        <section class="funnel-result">
          {err && <p class="error banner">{err}</p>}
          {!result && !err && <p class="muted loading">Counting sessions…</p>}
          {result && <Result r={result.r} stale={running || result.key !== key} days={days} interval={interval} loc={loc} />}
        </section>
      </div>
    </main>
  );
}

function pct(x: number): string {
  if (x === 0) return "0%";
  if (x >= 0.995) return Math.round(x * 100) + "%";
  return (x < 0.1 ? (x * 100).toFixed(1) : Math.round(x * 100)) + "%";
}

function Result({ r, stale, days, interval, loc }: { r: FunnelResult; stale: boolean; days: number; interval: string; loc: URL }) {
  const steps = r.steps;
  if (steps.length === 0 || steps[0].sessions === 0)
    return (
      <div class="empty" data-testid="funnel-empty">
        <h2>No session reached {steps[0] ? <code>{steps[0].label}</code> : "the first step"} in the last {days} days</h2>
        <p class="muted">
          Check the first step (a path is matched against the whole path, so add <code>*</code> for a prefix). Page steps
          count at once; clicks and custom events once the session has ended and been compacted.
        </p>
      </div>
    );
  const first = steps[0].sessions;
  const last = steps[steps.length - 1];
  return (
    <div class={"funnel" + (stale ? " stale" : "")} data-testid="funnel">
      <p class="funnel-total">
        <b data-testid="funnel-conversion">{pct(last.conversion)}</b>{" "}
        <span class="muted">
          of {first} {first === 1 ? "session" : "sessions"} converted, last {days} days
          {r.order === "strict" ? ", strictly consecutive" : r.order === "any" ? ", in any order" : ""}
        </span>
      </p>
      {steps.map((s, k) => {
        const lost = s.lost;
        return (
          <div class="fstep" data-testid="funnel-step" data-sessions={s.sessions}>
            {k > 0 && lost > 0 && (
              <div class="drop" data-testid="dropped" data-step={k}>
                <span class="muted">
                  ↘ {lost} dropped ({pct(lost / steps[k - 1].sessions)}):
                </span>{" "}
                {s.drops.map((d) => (
                  <Link href={d.url} class="mono" data-testid="dropped-link" data-session-id={d.sessionId} title="Watch this session where it reached the previous step">
                    {d.sessionId}
                  </Link>
                ))}
                {lost > s.drops.length && <span class="muted"> and {lost - s.drops.length} more</span>}
              </div>
            )}
            <div class="fhead">
              <span class="stepno">{k + 1}</span>
              <span class="kind" data-kind={s.kind}>{s.kind}</span>
              <code title={s.label}>{s.kind === "page" ? s.path : s.label.replace(/^(Click|Event) /, "")}</code>
              <div class="spacer" />
              {k > 0 && s.sessions > 0 && r.order !== "any" && (
                <span class="muted median" title="Median time from the previous step">
                  {duration(s.medianMsFromPrevious)} median
                </span>
              )}
              <b data-testid="funnel-sessions">{s.sessions}</b>
              <span class="pct">{pct(s.conversion)}</span>
            </div>
            <div class="fbar" title={`${s.sessions} of ${plural(first, "session")}`}>
              <i style={{ width: Math.max(s.conversion * 100, s.sessions ? 0.5 : 0) + "%" }} />
            </div>
          </div>
        );
      })}
      <Series series={r.series} interval={interval} loc={loc} />
    </div>
  );
}

/** Conversion per day or week: a bar per bucket, its height the share that converted. */
function Series({ series, interval, loc }: { series: FunnelBucket[]; interval: string; loc: URL }) {
  const W = 600;
  const H = 120;
  const n = Math.max(series.length, 1);
  const bw = W / n;
  const fmt = (s: string) => new Date(s).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
  return (
    <div class="fseries" data-testid="funnel-series">
      <div class="fseries-head">
        <b>Conversion over time</b>
        <div class="spacer" />
        <span class="seg">
          {["day", "week"].map((i) => (
            <Link
              href={(() => {
                const u = new URL(loc.href);
                if (i === "day") u.searchParams.delete("interval");
                else u.searchParams.set("interval", i);
                return u.pathname + u.search;
              })()}
              class={i === interval ? "on" : ""}
              data-testid={"funnel-interval-" + i}
            >
              By {i}
            </Link>
          ))}
        </span>
      </div>
      <svg viewBox={`0 0 ${W} ${H + 18}`} preserveAspectRatio="none" role="img" aria-label="Conversion per bucket">
        <line x1="0" x2={W} y1={H} y2={H} class="base" />
        <line x1="0" x2={W} y1={H / 2} y2={H / 2} class="grid" />
        {series.map((b, i) => {
          const h = b.entered ? Math.max(b.conversion * H, 1.5) : 0;
          return (
            <g data-testid="funnel-bucket" data-entered={b.entered} data-converted={b.converted}>
              <title>
                {fmt(b.start)}: {b.converted} of {b.entered} converted ({pct(b.conversion)})
              </title>
              {b.entered > 0 && <rect class="entered" x={i * bw + bw * 0.15} width={bw * 0.7} y={0} height={H} />}
              <rect x={i * bw + bw * 0.15} width={bw * 0.7} y={H - h} height={h} />
            </g>
          );
        })}
      </svg>
      <div class="fseries-axis muted">
        <span>{series.length ? fmt(series[0].start) : ""}</span>
        <span>50% line</span>
        <span>{series.length ? fmt(series[series.length - 1].start) : ""}</span>
      </div>
    </div>
  );
}
