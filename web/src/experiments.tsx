// Experiments: the variants of a feature flag (Reel.setFlags) side by side, on conversion
// through a saved funnel, friction and errors, each a share with its 95 % interval drawn on one
// scale, and each one click from its sessions (GET /api/v1/experiments).
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Experiment, type Proportion, type SavedFunnel } from "./api";
import { navigate } from "./router";
import { Link, ProjectPicker, useProjects } from "./nav";
import { formatVital, METRIC_NAMES, METRICS, THRESHOLDS } from "./vitals";

const DAY_CHOICES = [7, 14, 30, 90];

type Flag = { name: string; sessions: number; variants: { variant: string; sessions: number }[] };

function pct(x: number): string {
  if (x === 0) return "0%";
  if (x >= 0.995) return Math.round(x * 100) + "%";
  return (x < 0.1 ? (x * 100).toFixed(1) : Math.round(x * 100)) + "%";
}

function sessionsLink(project: string, q: string): string {
  return "/?" + new URLSearchParams({ project, q }).toString();
}

export function Experiments({ loc }: { loc: URL }) {
  const sp = loc.searchParams;
  const wanted = sp.get("project");
  const { projects, project, error: projectsError } = useProjects(wanted);
  const days = DAY_CHOICES.includes(Number(sp.get("days"))) ? Number(sp.get("days")) : 30;
  const [flags, setFlags] = useState<Flag[] | null>(null);
  const [funnels, setFunnels] = useState<SavedFunnel[]>([]);
  const [result, setResult] = useState<Experiment | null>(null);
  const [error, setError] = useState("");
  const flag = sp.get("flag") || flags?.[0]?.name || "";
  const funnel = Number(sp.get("funnel")) || null;

  const go = (change: Record<string, string>) => {
    const u = new URL(loc.href);
    for (const [k, v] of Object.entries(change)) {
      if (v) u.searchParams.set(k, v);
      else u.searchParams.delete(k);
    }
    navigate(u.pathname + u.search);
  };

  useEffect(() => {
    if (!project) return;
    let live = true;
    Promise.all([api.flags(project, days), api.savedFunnels(project)]).then(
      ([f, s]) => {
        if (!live) return;
        setFlags(f.flags);
        setFunnels(s.funnels);
      },
      (err) => {
        if (live && !(err instanceof ApiError && err.status === 401)) setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      live = false;
    };
  }, [project, days]);

  useEffect(() => {
    if (!project || !flag) return;
    let live = true;
    api.experiment(project, days, flag, funnel).then(
      (r) => {
        if (!live) return;
        setResult(r);
        setError("");
      },
      (err) => {
        if (live && !(err instanceof ApiError && err.status === 401)) setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      live = false;
    };
  }, [project, days, flag, funnel]);

  const err = error || projectsError;
  return (
    <main class="page">
      <div class="titlebar">
        <h1>Experiments</h1>
        <span class="muted count">Feature flag variants compared</span>
        <div class="spacer" />
        <ProjectPicker projects={projects} project={project} loc={loc} />
      </div>
      <div class="exp-controls">
        <label>
          Flag{" "}
          <select aria-label="Flag" data-testid="exp-flag" value={flag} onChange={(e) => go({ flag: e.currentTarget.value })} disabled={!flags?.length}>
            {(flags || []).map((f) => (
              <option value={f.name}>
                {f.name} ({f.variants.length} variants)
              </option>
            ))}
          </select>
        </label>
        <label>
          Conversion through{" "}
          <select aria-label="Funnel" data-testid="exp-funnel" value={funnel ? String(funnel) : ""} onChange={(e) => go({ funnel: e.currentTarget.value })}>
            <option value="">no funnel</option>
            {funnels.map((f) => (
              <option value={String(f.id)}>{f.name}</option>
            ))}
          </select>
        </label>
        <select aria-label="Days" data-testid="exp-days" value={String(days)} onChange={(e) => go({ days: e.currentTarget.value })}>
          {DAY_CHOICES.map((d) => (
            <option value={String(d)}>Last {d} days</option>
          ))}
        </select>
      </div>
      {err && <p class="error banner">{err}</p>}
      {flags && flags.length === 0 && (
        <div class="empty" data-testid="exp-empty">
          <h2>No session has feature flags in the last {days} days</h2>
          <p class="muted">
            Call <code>Reel.setFlags({"{"}name: variant{"}"})</code> where your site decides a variant; docs/integrations.md has two-line
            recipes for GrowthBook, LaunchDarkly, Unleash and PostHog.
          </p>
        </div>
      )}
      {result && result.flag === flag && <Compare r={result} project={project} />}
    </main>
  );
}

function Compare({ r, project }: { r: Experiment; project: string }) {
  const metrics: { key: "conversion" | "friction" | "errors"; title: string; better: string; help: string }[] = [
    {
      key: "conversion",
      title: r.funnel ? `Converted through “${r.funnel.name}”` : "Conversion",
      better: "higher is better",
      help: "Of the variant's sessions that reached the funnel's first step, the share that reached its last.",
    },
    { key: "friction", title: "Sessions with friction", better: "lower is better", help: "Rage, dead and error clicks, form abandonment… (analysis)." },
    { key: "errors", title: "Sessions with errors", better: "lower is better", help: "At least one JavaScript error." },
  ];
  return (
    <div class="exp" data-testid="experiment">
      <div class="exp-variants">
        {r.variants.map((v) => (
          <Link href={sessionsLink(project, v.query)} class="exp-variant" data-testid="exp-variant" data-variant={v.variant} title={"Sessions: " + v.query}>
            <b>{v.variant}</b>
            <span class="muted">{v.sessions} {v.sessions === 1 ? "session" : "sessions"}</span>
          </Link>
        ))}
      </div>
      {metrics.map((m) => (
        <section class="exp-metric" data-testid={"exp-" + m.key}>
          <h2>
            {m.title} <span class="muted">· {m.better}</span>
          </h2>
          <p class="muted hint">{m.help}</p>
          {m.key === "conversion" && !r.funnel ? (
            <p class="muted" data-testid="exp-no-funnel">
              Pick a saved funnel above to compare conversion.
            </p>
          ) : (
            <Intervals
              rows={r.variants.map((v) => ({ variant: v.variant, p: v[m.key] as Proportion, href: sessionsLink(project, v[m.key]?.query || v.query) }))}
            />
          )}
        </section>
      ))}
      <Vitals r={r} project={project} />
      <p class="muted hint">
        Each session counts in the first variant it had; bars are 95 % Wilson intervals, and intervals that overlap are no evidence of
        a difference.
      </p>
    </div>
  );
}

/** Web vitals: for each metric some variant measured, the share of sessions whose worst page view
 * was slower than good, and the 75th percentile of those worst page views, rated. */
function Vitals({ r, project }: { r: Experiment; project: string }) {
  const measured = METRICS.filter((m) => r.variants.some((v) => v.vitals?.some((x) => x.metric === m && x.notGood.of > 0)));
  if (measured.length === 0) {
    return (
      <section class="exp-metric" data-testid="exp-vitals">
        <h2>Web vitals</h2>
        <p class="muted">No session of these variants reported web vitals in this period (the SDK sends them unless disabled).</p>
      </section>
    );
  }
  return (
    <>
      {measured.map((m) => (
        <section class="exp-metric" data-testid={"exp-vital-" + m}>
          <h2>
            {METRIC_NAMES[m]} slower than good <span class="muted">· over {formatVital(m, THRESHOLDS[m][0])} · lower is better</span>
          </h2>
          <p class="muted hint">
            Of the variant's sessions that measured {m.toUpperCase()}, the share whose slowest page was not good; p75 is the 75th
            percentile of those slowest pages.
          </p>
          <Intervals
            rows={r.variants.map((v) => {
              const x = v.vitals.find((y) => y.metric === m)!;
              return {
                variant: v.variant,
                p: x.notGood,
                href: sessionsLink(project, x.notGood.query || v.query),
                extra:
                  x.p75 === null ? (
                    <span class="muted">not measured</span>
                  ) : (
                    <span class={"vital-badge r-" + x.rating} data-testid="exp-p75" title="75th percentile of each session's slowest page">
                      p75 {formatVital(m, x.p75)}
                    </span>
                  ),
              };
            })}
          />
        </section>
      ))}
    </>
  );
}

/** Each variant's share as a dot on one 0–100 % scale, its 95 % interval as a bar. */
function Intervals({ rows }: { rows: { variant: string; p: Proportion; href: string; extra?: ComponentChildren }[] }) {
  const hi = Math.min(1, Math.max(0.1, ...rows.map((r) => r.p.high)) * 1.1);
  const x = (v: number) => (v / hi) * 100 + "%";
  return (
    <div class={rows.some((r) => r.extra) ? "ci has-extra" : "ci"}>
      {rows.map((r, i) => (
        <div class="ci-row" data-testid="exp-row" data-variant={r.variant} data-count={r.p.count} data-of={r.p.of}>
          <span class="ci-name">{r.variant}</span>
          <div class="ci-track">
            <i class={"ci-bar c" + (i % 4)} style={{ left: x(r.p.low), width: `calc(${x(r.p.high)} - ${x(r.p.low)})` }} />
            <b class={"ci-dot c" + (i % 4)} style={{ left: x(r.p.rate) }} />
          </div>
          <Link href={r.href} class="ci-num" data-testid="exp-link" title="Watch these sessions">
            <b>{pct(r.p.rate)}</b>{" "}
            <span class="muted">
              {r.p.count}/{r.p.of} · {pct(r.p.low)}–{pct(r.p.high)}
            </span>
          </Link>
          {r.extra && <span class="ci-extra">{r.extra}</span>}
        </div>
      ))}
      <div class="ci-row axis muted">
        <span class="ci-name" />
        <div class="ci-track ticks">
          <span style={{ left: "0%" }}>0%</span>
          <span style={{ left: x(hi / 2) }}>{pct(hi / 2)}</span>
          <span style={{ right: "0" }}>{pct(hi)}</span>
        </div>
        <span class="ci-num" />
      </div>
    </div>
  );
}
