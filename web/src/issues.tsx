// Issues: friction findings and JS errors grouped across sessions (GET /api/v1/issues).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Issue } from "./api";
import { absolute, plural, relative } from "./format";
import { FRICTION_LABELS } from "./timeline";
import { Link, ProjectPicker, useProjects, withParam } from "./nav";
import { navigate } from "./router";
import { alertLink } from "./alerts";

const RANGES = [7, 14, 30, 90];
const REFRESH_MS = 30_000;

const LABELS: Record<string, string> = { ...FRICTION_LABELS, js_error: "JS error", form_abandonment: "Form abandonment" };

export function kindLabel(kind: string): string {
  return LABELS[kind] || kind.replace(/_/g, " ");
}

export function Issues({ loc }: { loc: URL }) {
  const { projects, project, error: projectsError } = useProjects(loc.searchParams.get("project"));
  const fingerprint = loc.searchParams.get("fingerprint");
  const kind = loc.searchParams.get("kind");
  const wantDays = Number(loc.searchParams.get("days"));
  const DAYS = RANGES.includes(wantDays) ? wantDays : 14;
  const [issues, setIssues] = useState<Issue[] | null>(null);
  const [error, setError] = useState("");
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    if (projects === null || !project) return;
    let live = true;
    let timer = 0;
    const load = async () => {
      try {
        const r = await api.issues(project, DAYS);
        if (!live) return;
        setIssues(r.issues);
        setError("");
        setNow(Date.now());
      } catch (err) {
        if (!live || (err instanceof ApiError && err.status === 401)) return;
        setError(err instanceof Error ? err.message : String(err));
        setIssues((s) => s || []);
      }
      if (live) timer = window.setTimeout(tick, REFRESH_MS);
    };
    const tick = () => {
      if (document.hidden) timer = window.setTimeout(tick, REFRESH_MS);
      else load();
    };
    load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [projects, project, DAYS]);

  // Kinds present, most sessions first, for the filter chips.
  const kinds = new Map<string, number>();
  for (const i of issues || []) kinds.set(i.kind, (kinds.get(i.kind) || 0) + i.sessions);
  const shown =
    issues &&
    issues.filter((i) => (!fingerprint || i.fingerprint === fingerprint) && (!kind || i.kind === kind));
  const err = error || projectsError;
  return (
    <main class="page">
      <div class="titlebar">
        <h1>Issues</h1>
        {issues && (
          <span class="muted count" data-testid="issue-count">
            {shown!.length} {shown!.length === 1 ? "issue" : "issues"} · last {DAYS} days
          </span>
        )}
        {fingerprint && (
          <span class="chip on" data-testid="issue-filter">
            One issue <Link href={withParam(loc, "fingerprint", null)}>Show all</Link>
          </span>
        )}
        <div class="spacer" />
        <select
          aria-label="Time range"
          data-testid="issue-days"
          value={String(DAYS)}
          onChange={(e) => navigate(withParam(loc, "days", e.currentTarget.value === "14" ? null : e.currentTarget.value))}
        >
          {RANGES.map((d) => (
            <option value={String(d)}>Last {d} days</option>
          ))}
        </select>
        <ProjectPicker projects={projects} project={project} loc={loc} />
      </div>
      {kinds.size > 1 && !fingerprint && (
        <div class="chips kinds" role="group" aria-label="Kind" data-testid="issue-kinds">
          <Link href={withParam(loc, "kind", null)} class={"chip" + (kind ? "" : " on")}>
            All
          </Link>
          {[...kinds.entries()]
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => (
              <Link href={withParam(loc, "kind", k)} class={"chip" + (kind === k ? " on" : "")} data-kind={k}>
                {kindLabel(k)} <span class="muted">{n}</span>
              </Link>
            ))}
        </div>
      )}
      {err && <p class="error banner">{err}</p>}
      {issues === null && !err && <p class="muted loading">Loading issues…</p>}
      {issues && issues.length === 0 && !err && (
        <section class="empty" data-testid="issues-empty">
          <h2>No issues in the last {DAYS} days</h2>
          <p>
            Reel groups rage clicks, dead clicks, error clicks, JavaScript errors, abandoned forms and other friction
            across sessions here, so the problems hitting the most people come first.
          </p>
          <p class="muted">
            Sessions are analysed while they are recorded: what a visit you just made ran into shows up here within a
            minute. <Link href="/">Sessions</Link> are listed right away.
          </p>
        </section>
      )}
      {shown && issues && issues.length > 0 && shown.length === 0 && !fingerprint && (
        <p class="muted loading" data-testid="kind-gone">
          No {kindLabel(kind || "")} issues in the last {DAYS} days. <Link href={withParam(loc, "kind", null)}>Show all issues</Link>
        </p>
      )}
      {shown && issues && issues.length > 0 && shown.length === 0 && fingerprint && (
        <p class="muted loading" data-testid="issue-gone">
          That issue has not happened in the last {DAYS} days. <Link href={withParam(loc, "fingerprint", null)}>Show all issues</Link>
        </p>
      )}
      {shown && shown.length > 0 && (
        <div class="table-wrap">
          <table class="sessions issues" data-testid="issue-table">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Page</th>
                <th>Element or error</th>
                <th class="num">Sessions</th>
                <th class="num">Users</th>
                <th>Last seen</th>
                <th title={`Sessions per day, last ${DAYS} days`}>Trend</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((i) => (
                <IssueRow key={i.fingerprint} i={i} now={now} on={i.fingerprint === fingerprint} project={project} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

function IssueRow({ i, now, on, project }: { i: Issue; now: number; on: boolean; project: string }) {
  const samples = i.samples.slice().sort((a, b) => b.at - a.at);
  return (
    <tr data-testid="issue-row" data-fingerprint={i.fingerprint} data-kind={i.kind} class={on ? "on" : ""}>
      <td class="kind">
        <span class={"tag k-" + i.kind}>{kindLabel(i.kind)}</span>
      </td>
      <td class="url" title={i.path}>
        {i.path || <span class="muted">–</span>}
      </td>
      <td class="target" title={i.target} data-testid="issue-target">
        {i.target || <span class="muted">–</span>}
      </td>
      <td class="num" data-testid="issue-sessions">
        {i.sessions}
      </td>
      <td class={"num" + (i.users ? "" : " zero")} title="Identified users (Reel.identify)">
        {i.users}
      </td>
      <td class="when" title={"First seen " + absolute(i.firstSeen) + ", last seen " + absolute(i.lastSeen)}>
        {relative(i.lastSeen, now)}
      </td>
      <td>
        <Spark daily={i.daily} />
      </td>
      <td class="watch">
        {samples[0] && (
          <Link href={samples[0].url} data-testid="watch" title="Replay the latest session at the moment it happened">
            Watch ▸
          </Link>
        )}
        {samples.slice(1, 3).map((s, n) => (
          <Link href={s.url} class="more-sample" title="An earlier session with this issue">
            {n + 2}
          </Link>
        ))}
        <Link
          href={alertLink({ project, name: kindLabel(i.kind) + (i.path ? " on " + i.path : ""), fingerprint: i.fingerprint })}
          class="alert-me"
          data-testid="issue-alert"
          title="Post to a webhook when this issue reaches a number of sessions"
        >
          Alert me
        </Link>
      </td>
    </tr>
  );
}

/** A bar per day, scaled to the busiest day; no library. */
function Spark({ daily }: { daily: number[] }) {
  const w = 84;
  const h = 18;
  const n = Math.max(daily.length, 1);
  const top = Math.max(1, ...daily);
  const bw = w / n;
  const total = daily.reduce((a, b) => a + b, 0);
  return (
    <svg class="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${plural(total, "session")} in ${plural(daily.length, "day")}`} data-testid="spark">
      <title>{daily.join(" · ")}</title>
      <line x1="0" y1={h - 0.5} x2={w} y2={h - 0.5} class="base" />
      {daily.map((v, k) => {
        const bh = v ? Math.max(2, (v / top) * (h - 2)) : 0;
        return bh ? <rect x={k * bw + 0.5} y={h - bh} width={Math.max(1, bw - 1.5)} height={bh} rx="0.5" /> : null;
      })}
    </svg>
  );
}
