// Web vitals: the player's per-page list (GET /sessions/{id}/vitals) and the Performance page
// (GET /vitals and /vitals/slowest): percentiles per page and day, each bar one click from the
// slowest sessions behind it.
import "./people.css";
import { useEffect, useState } from "preact/hooks";
import { ApiError, request } from "./api";
import { absolute, urlPath } from "./format";
import { Link, ProjectPicker, useProjects, withParam } from "./nav";
import { navigate } from "./router";
import { userHref } from "./people";

export type Metric = "lcp" | "inp" | "cls" | "fcp" | "ttfb";
export type Rating = "good" | "needs-improvement" | "poor";

export const METRICS: Metric[] = ["lcp", "inp", "cls", "fcp", "ttfb"];

/** Google's thresholds: at or below the first is good, above the second poor. */
export const THRESHOLDS: Record<Metric, [number, number]> = {
  lcp: [2500, 4000],
  inp: [200, 500],
  cls: [0.1, 0.25],
  fcp: [1800, 3000],
  ttfb: [800, 1800],
};

export const METRIC_NAMES: Record<Metric, string> = {
  lcp: "Largest Contentful Paint",
  inp: "Interaction to Next Paint",
  cls: "Cumulative Layout Shift",
  fcp: "First Contentful Paint",
  ttfb: "Time to First Byte",
};

export const RATING_LABELS: Record<Rating, string> = { good: "Good", "needs-improvement": "Needs improvement", poor: "Poor" };

export function rate(metric: Metric, v: number): Rating {
  const [good, poor] = THRESHOLDS[metric];
  return v <= good ? "good" : v <= poor ? "needs-improvement" : "poor";
}

/** A vital as a person reads it: 2.35 s, 180 ms, 0.12. */
export function formatVital(metric: Metric, v: number): string {
  if (metric === "cls") return v.toFixed(v >= 10 ? 1 : v >= 1 ? 2 : 3).replace(/0+$/, "").replace(/\.$/, "") || "0";
  if (v >= 1000) return (v / 1000).toFixed(2) + " s";
  return Math.round(v) + " ms";
}

interface PageVitals {
  tab: string;
  at: string;
  url: string;
  path: string;
  vitals: { metric: Metric; value: number; rating: Rating }[];
}

interface Percentiles {
  samples: number;
  p50: number;
  p75: number;
  p95: number;
  rating: Rating;
}

interface Period extends Percentiles {
  from: string;
  to: string;
}

interface VitalPage extends Percentiles {
  path: string;
  periods: Period[];
}

interface Report {
  metric: Metric;
  good: number;
  poor: number;
  since: string;
  until: string;
  pages: VitalPage[];
  truncated: boolean;
}

interface SlowSession {
  sessionId: string;
  startedAt: string;
  userId?: string;
  tab: string;
  at: string;
  url: string;
  path: string;
  value: number;
  rating: Rating;
  replayUrl: string;
}

export const vitalsApi = {
  session: (id: string) => request<{ pages: PageVitals[] }>("GET", "/sessions/" + encodeURIComponent(id) + "/vitals"),
  report: (project: string, metric: Metric, days: number) =>
    request<Report>("GET", "/vitals?" + new URLSearchParams({ project, metric, days: String(days) }).toString()),
  slowest: (project: string, metric: Metric, path: string, from: string, to: string) =>
    request<{ sessions: SlowSession[] }>("GET", "/vitals/slowest?" + new URLSearchParams({ project, metric, path, from, to, limit: "20" }).toString()),
};

/** The Session pane's web vitals: each page view's measured vitals, rated, in colour. */
export function SessionVitals({ id, startedAt, seek }: { id: string; startedAt: string; seek: (ms: number) => void }) {
  const [pages, setPages] = useState<PageVitals[] | null>(null);
  const [err, setErr] = useState("");
  useEffect(() => {
    let live = true;
    vitalsApi.session(id).then(
      (r) => live && setPages(r.pages),
      (e) => live && setErr(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [id]);
  const base = Date.parse(startedAt);
  return (
    <div class="vitals-pane" data-testid="session-vitals">
      <h3>Web vitals</h3>
      {err && <p class="error">{err}</p>}
      {pages === null && !err && <p class="muted">Loading…</p>}
      {pages && pages.length === 0 && (
        <p class="muted" data-testid="vitals-none">
          No web vitals were reported. The SDK sends them when a page is hidden (closed, reloaded or left).
        </p>
      )}
      {pages &&
        pages.map((p) => (
          <div class="vitals-page" data-testid="vitals-page" data-path={p.path}>
            <button type="button" class="link path" title={p.url} onClick={() => seek(Math.max(0, Date.parse(p.at) - base))}>
              {urlPath(p.url) || p.path}
            </button>
            <ul class="vital-list">
              {p.vitals.map((v) => (
                <li class={"vital r-" + v.rating} data-metric={v.metric} data-rating={v.rating} title={`${METRIC_NAMES[v.metric]}: ${RATING_LABELS[v.rating]}`}>
                  <span class="vital-name">{v.metric.toUpperCase()}</span>
                  <span class="vital-value">{formatVital(v.metric, v.value)}</span>
                  <span class="vital-rating">{RATING_LABELS[v.rating]}</span>
                </li>
              ))}
            </ul>
          </div>
        ))}
    </div>
  );
}

const RANGES = [7, 14, 30, 90];

/** The Performance page: one vital's percentiles per page and day, and the slowest sessions of a chosen bar. */
export function Performance({ loc }: { loc: URL }) {
  const { projects, project, error: projectsError } = useProjects(loc.searchParams.get("project"));
  const wantMetric = (loc.searchParams.get("metric") || "lcp").toLowerCase() as Metric;
  const metric: Metric = METRICS.includes(wantMetric) ? wantMetric : "lcp";
  const wantDays = Number(loc.searchParams.get("days"));
  const days = RANGES.includes(wantDays) ? wantDays : 14;
  const selPath = loc.searchParams.get("path");
  const selFrom = loc.searchParams.get("from");
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    if (projects === null || !project) return;
    let live = true;
    setReport(null);
    vitalsApi.report(project, metric, days).then(
      (r) => {
        if (!live) return;
        setReport(r);
        setError("");
      },
      (e) => {
        if (!live || (e instanceof ApiError && e.status === 401)) return;
        setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      live = false;
    };
  }, [projects, project, metric, days]);

  const selPage = report && selPath !== null ? report.pages.find((p) => p.path === selPath) : undefined;
  const selPeriod = selPage && selFrom ? selPage.periods.find((p) => p.from === selFrom) : undefined;
  const err = error || projectsError;
  return (
    <main class="page performance">
      <div class="titlebar">
        <h1>Performance</h1>
        {report && (
          <span class="muted count" data-testid="perf-count">
            {report.pages.length} {report.pages.length === 1 ? "page" : "pages"} · last {days} days
          </span>
        )}
        <div class="spacer" />
        <select
          aria-label="Time range"
          data-testid="perf-days"
          value={String(days)}
          onChange={(e) => navigate(withParam(loc, "days", e.currentTarget.value === "14" ? null : e.currentTarget.value))}
        >
          {RANGES.map((d) => (
            <option value={String(d)}>Last {d} days</option>
          ))}
        </select>
        <ProjectPicker projects={projects} project={project} loc={loc} />
      </div>
      <div class="chips metrics" role="group" aria-label="Web vital" data-testid="perf-metrics">
        {METRICS.map((m) => (
          <Link href={metricHref(loc, m)} class={"chip" + (m === metric ? " on" : "")} data-metric={m} title={METRIC_NAMES[m]}>
            {m.toUpperCase()}
          </Link>
        ))}
        <span class="muted legend-text">
          {METRIC_NAMES[metric]}: good ≤ {formatVital(metric, THRESHOLDS[metric][0])}, poor &gt; {formatVital(metric, THRESHOLDS[metric][1])}. Bars
          are the 75th percentile per day, the tick the median, the whisker the 95th. Click a bar for its slowest sessions.
        </span>
      </div>
      {err && <p class="error banner">{err}</p>}
      {report === null && !err && <p class="muted loading">Loading web vitals…</p>}
      {report && report.pages.length === 0 && !err && (
        <section class="empty" data-testid="perf-empty">
          <h2>No {metric.toUpperCase()} measured in the last {days} days</h2>
          <p>
            The SDK reports TTFB and FCP as a page loads, and LCP, CLS and INP when the page is first hidden. Pages show up
            here once visitors have left them.
          </p>
        </section>
      )}
      {report &&
        report.pages.map((p) => (
          <section class="perf-page" data-testid="perf-page" data-path={p.path}>
            <div class="perf-head">
              <h2 class="mono">{p.path || "(no path)"}</h2>
              <span class={"vital-badge r-" + p.rating} data-testid="perf-p75" title="75th percentile of every page view in the range">
                p75 {formatVital(metric, p.p75)} · {RATING_LABELS[p.rating]}
              </span>
              <span class="muted">
                p50 {formatVital(metric, p.p50)} · p95 {formatVital(metric, p.p95)} · {p.samples} {p.samples === 1 ? "view" : "views"}
              </span>
              <div class="spacer" />
              <Link href={"/?" + new URLSearchParams({ q: `visited:${p.path} vitals.${metric}:>${thresholdQuery(metric)}` }).toString()} class="muted">
                Sessions rated poor ▸
              </Link>
            </div>
            <Chart report={report} page={p} metric={metric} loc={loc} selected={selPath === p.path ? selFrom : null} />
            {selPath === p.path && selPeriod && (
              <Slowest key={p.path + selPeriod.from} project={project} metric={metric} page={p} period={selPeriod} loc={loc} />
            )}
          </section>
        ))}
      {report && report.truncated && <p class="muted">More than 200,000 page views matched; the report reads the first.</p>}
    </main>
  );
}

function metricHref(loc: URL, m: Metric): string {
  const p = new URLSearchParams(loc.search);
  p.delete("path");
  p.delete("from");
  if (m === "lcp") p.delete("metric");
  else p.set("metric", m);
  const s = p.toString();
  return loc.pathname + (s ? "?" + s : "");
}

function thresholdQuery(m: Metric): string {
  return String(THRESHOLDS[m][1]);
}

function dayLabel(iso: string): string {
  return new Date(Date.parse(iso)).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

/** A bar per day with samples: height p75, a tick at p50 and a whisker to p95, coloured by p75's rating. */
function Chart({ report, page, metric, loc, selected }: { report: Report; page: VitalPage; metric: Metric; loc: URL; selected: string | null }) {
  const start = Date.parse(report.since);
  const end = Date.parse(report.until);
  const n = Math.max(1, Math.round((end - start) / 86_400_000));
  const W = 720;
  const H = 150;
  const padL = 52;
  const padB = 20;
  const padT = 8;
  const plotW = W - padL - 6;
  const plotH = H - padB - padT;
  const [good, poor] = THRESHOLDS[metric];
  const top = Math.max(poor * 1.25, ...page.periods.map((p) => p.p95)) * 1.05;
  const y = (v: number) => padT + plotH - (Math.min(v, top) / top) * plotH;
  const slot = plotW / n;
  const bw = Math.max(3, Math.min(28, slot * 0.7));
  const ticks = [good, poor];
  return (
    <svg class="perf-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${metric.toUpperCase()} per day on ${page.path}`} data-testid="perf-chart">
      <rect x={padL} y={y(good)} width={plotW} height={padT + plotH - y(good)} class="band good" />
      <rect x={padL} y={y(poor)} width={plotW} height={y(good) - y(poor)} class="band mid" />
      <rect x={padL} y={padT} width={plotW} height={y(poor) - padT} class="band poor" />
      {ticks.map((t) => (
        <>
          <line x1={padL} x2={W - 6} y1={y(t)} y2={y(t)} class="threshold" />
          <text x={padL - 6} y={y(t) + 4} class="axis" text-anchor="end">
            {formatVital(metric, t)}
          </text>
        </>
      ))}
      <line x1={padL} x2={W - 6} y1={padT + plotH} y2={padT + plotH} class="base" />
      <text x={padL} y={H - 5} class="axis">
        {dayLabel(report.since)}
      </text>
      <text x={W - 6} y={H - 5} class="axis" text-anchor="end">
        {dayLabel(new Date(end - 86_400_000).toISOString())}
      </text>
      {page.periods.map((p) => {
        const i = Math.round((Date.parse(p.from) - start) / 86_400_000);
        const cx = padL + slot * i + slot / 2;
        const href = withParam(new URL(withParam(loc, "path", page.path), location.origin), "from", p.from);
        const on = selected === p.from;
        return (
          <a
            href={href}
            class={"bar r-" + p.rating + (on ? " on" : "")}
            data-testid="perf-bar"
            data-from={p.from}
            data-rating={p.rating}
            onClick={(e: MouseEvent) => {
              if (e.metaKey || e.ctrlKey || e.shiftKey) return;
              e.preventDefault();
              navigate(href);
            }}
          >
            <title>
              {dayLabel(p.from)}: p50 {formatVital(metric, p.p50)}, p75 {formatVital(metric, p.p75)}, p95 {formatVital(metric, p.p95)} ({p.samples}{" "}
              {p.samples === 1 ? "view" : "views"}). Click for the slowest sessions.
            </title>
            <rect x={cx - slot / 2} y={padT} width={slot} height={plotH} class="hit" />
            <line x1={cx} x2={cx} y1={y(p.p95)} y2={y(p.p75)} class="whisker" />
            <rect x={cx - bw / 2} y={y(p.p75)} width={bw} height={Math.max(1, padT + plotH - y(p.p75))} rx="2" class="fill" />
            <line x1={cx - bw / 2} x2={cx + bw / 2} y1={y(p.p50)} y2={y(p.p50)} class="median" />
          </a>
        );
      })}
    </svg>
  );
}

/** The slowest page views of one page and day, worst first, each a link to its replay. */
function Slowest({ project, metric, page, period, loc }: { project: string; metric: Metric; page: VitalPage; period: Period; loc: URL }) {
  const [rows, setRows] = useState<SlowSession[] | null>(null);
  const [err, setErr] = useState("");
  useEffect(() => {
    let live = true;
    vitalsApi.slowest(project, metric, page.path, period.from, period.to).then(
      (r) => live && setRows(r.sessions),
      (e) => live && setErr(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [project, metric, page.path, period.from]);
  return (
    <div class="slowest" data-testid="perf-slowest">
      <div class="perf-head">
        <h3>
          Slowest on {dayLabel(period.from)} · {metric.toUpperCase()}
        </h3>
        <div class="spacer" />
        <Link href={withParam(new URL(withParam(loc, "path", null), location.origin), "from", null)} class="muted">
          Close
        </Link>
      </div>
      {err && <p class="error">{err}</p>}
      {rows === null && !err && <p class="muted">Loading…</p>}
      {rows && (
        <table class="sessions slow-table">
          <thead>
            <tr>
              <th class="num">{metric.toUpperCase()}</th>
              <th>Page</th>
              <th>User</th>
              <th>When</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr data-testid="slow-row" data-session-id={r.sessionId}>
                <td class={"num vital-cell r-" + r.rating}>{formatVital(metric, r.value)}</td>
                <td class="url" title={r.url}>
                  {urlPath(r.url)}
                </td>
                <td class="user">
                  {r.userId ? <Link href={userHref(project, r.userId)}>{r.userId}</Link> : <span class="muted">anonymous</span>}
                </td>
                <td class="when">{absolute(r.at)}</td>
                <td class="watch">
                  <Link href={r.replayUrl} data-testid="slow-watch">
                    Watch ▸
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
