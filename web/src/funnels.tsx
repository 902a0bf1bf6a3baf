// Funnels: how many sessions went through a sequence of pages, and who dropped out where
// (POST /api/v1/funnels). The steps live in the URL so a funnel can be shared.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type FunnelStepResult } from "./api";
import { duration, plural } from "./format";
import { navigate } from "./router";
import { Link, ProjectPicker, useProjects } from "./nav";

const DEFAULT_STEPS = ["/demo/", "/demo/cart.html", "/demo/checkout.html", "/demo/thanks.html"];
const DAY_CHOICES = [7, 14, 30];
const MIN_STEPS = 2;
const MAX_STEPS = 12;

function stepsFrom(loc: URL): string[] {
  const s = loc.searchParams.getAll("step").filter((p) => p.trim() !== "");
  return s.length >= MIN_STEPS ? s.slice(0, MAX_STEPS) : DEFAULT_STEPS;
}

function daysFrom(loc: URL): number {
  const d = Number(loc.searchParams.get("days"));
  return DAY_CHOICES.includes(d) ? d : 14;
}

function funnelURL(steps: string[], days: number, project: string | null): string {
  const p = new URLSearchParams();
  if (project) p.set("project", project);
  p.set("days", String(days));
  for (const s of steps) p.append("step", s);
  return "/funnels?" + p.toString();
}

export function Funnels({ loc }: { loc: URL }) {
  const wantedProject = loc.searchParams.get("project");
  const { projects, project, error: projectsError } = useProjects(wantedProject);
  const steps = stepsFrom(loc);
  const days = daysFrom(loc);
  const key = JSON.stringify([project, days, steps]);
  const [draft, setDraft] = useState<string[]>(steps);
  const [draftDays, setDraftDays] = useState(days);
  const [result, setResult] = useState<{ key: string; steps: FunnelStepResult[] } | null>(null);
  const [error, setError] = useState("");
  const [running, setRunning] = useState(false);

  // The URL is the funnel: when it changes (back button, shared link), the builder follows.
  useEffect(() => {
    setDraft(steps);
    setDraftDays(days);
  }, [key]);

  useEffect(() => {
    if (projects === null || !project) return;
    let live = true;
    setRunning(true);
    api.funnel(project, days, steps).then(
      (r) => {
        if (!live) return;
        setResult({ key, steps: r.steps });
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
  }, [projects, key]);

  const valid = draft.length >= MIN_STEPS && draft.every((s) => s.trim() !== "");
  const apply = () => {
    if (!valid) return;
    navigate(funnelURL(draft.map((s) => s.trim()), draftDays, wantedProject));
  };
  const set = (i: number, v: string) => setDraft(draft.map((s, k) => (k === i ? v : s)));
  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= draft.length) return;
    const next = draft.slice();
    [next[i], next[j]] = [next[j], next[i]];
    setDraft(next);
  };
  const err = error || projectsError;

  return (
    <main class="page">
      <div class="titlebar">
        <h1>Funnels</h1>
        <span class="muted count">Sessions that visited these pages in this order</span>
        <div class="spacer" />
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
              <li>
                <span class="stepno">{i + 1}</span>
                <input
                  type="text"
                  value={s}
                  spellcheck={false}
                  aria-label={`Step ${i + 1} page path`}
                  placeholder="/path/* "
                  data-testid="funnel-step-input"
                  onInput={(e) => set(i, e.currentTarget.value)}
                />
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
            <button type="button" data-testid="funnel-add" disabled={draft.length >= MAX_STEPS} onClick={() => setDraft(draft.concat(""))}>
              + Add step
            </button>
            <div class="spacer" />
            <select aria-label="Days" value={String(draftDays)} data-testid="funnel-days" onChange={(e) => setDraftDays(Number(e.currentTarget.value))}>
              {DAY_CHOICES.map((d) => (
                <option value={String(d)}>Last {d} days</option>
              ))}
            </select>
            <button type="submit" class="primary" disabled={!valid} data-testid="funnel-run">
              Show funnel
            </button>
          </div>
          <p class="muted hint">
            Page paths, without the domain; <code>*</code> matches anything (<code>/product/*</code>). Sessions count
            when they visit each step after the previous one.
          </p>
        </form>
        <section class="funnel-result">
          {err && <p class="error banner">{err}</p>}
          {!result && !err && <p class="muted loading">Counting sessions…</p>}
          {result && <Result steps={result.steps} stale={running || result.key !== key} days={days} />}
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

function Result({ steps, stale, days }: { steps: FunnelStepResult[]; stale: boolean; days: number }) {
  if (steps.length === 0 || steps[0].sessions === 0)
    return (
      <div class="empty" data-testid="funnel-empty">
        <h2>No session visited {steps[0] ? <code>{steps[0].path}</code> : "the first step"} in the last {days} days</h2>
        <p class="muted">
          Check the first step's path (it is matched against the whole path, so add <code>*</code> for a prefix).
          Sessions are analysed while they are recorded, within a minute of each page.
        </p>
      </div>
    );
  const first = steps[0].sessions;
  const last = steps[steps.length - 1];
  return (
    <div class={"funnel" + (stale ? " stale" : "")} data-testid="funnel">
      <p class="funnel-total">
        <b>{pct(last.conversion)}</b> <span class="muted">of {first} {first === 1 ? "session" : "sessions"} converted, last {days} days</span>
      </p>
      {steps.map((s, k) => {
        const lost = k > 0 ? steps[k - 1].sessions - s.sessions : 0;
        return (
          <div class="fstep" data-testid="funnel-step" data-sessions={s.sessions}>
            {k > 0 && lost > 0 && (
              <div class="drop" data-testid="dropped" data-step={k}>
                <span class="muted">
                  ↘ {lost} dropped ({pct(lost / steps[k - 1].sessions)}):
                </span>{" "}
                {s.dropped.map((id) => (
                  <Link href={"/sessions/" + encodeURIComponent(id)} class="mono" data-testid="dropped-link" data-session-id={id} title="Watch this session">
                    {id}
                  </Link>
                ))}
                {lost > s.dropped.length && <span class="muted"> and {lost - s.dropped.length} more</span>}
              </div>
            )}
            <div class="fhead">
              <span class="stepno">{k + 1}</span>
              <code title={s.path}>{s.path}</code>
              <div class="spacer" />
              {k > 0 && s.sessions > 0 && (
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
    </div>
  );
}
