// A recorded user's page (GET /projects/{project}/users/{user}): traits, first and last seen,
// devices, every session across devices and tabs on one timeline, and their issues.
import "./people.css";
import { useEffect, useState } from "preact/hooks";
import { ApiError, request } from "./api";
import { absolute, duration, plural, relative, urlPath } from "./format";
import { Link, useProjects } from "./nav";
import { kindLabel } from "./issues";

interface ProfileSession {
  sessionId: string;
  startedAt: string;
  endedAt: string;
  browser: string;
  os: string;
  device: string;
  country?: string;
  summary?: string;
  errors: number;
  friction: number;
  tabs: { tab: string; pages: { at: string; url: string; path: string }[] }[];
}

interface Profile {
  userId: string;
  projectId: string;
  firstSeen: string;
  lastSeen: string;
  traits: Record<string, string>;
  devices: { browser: string; os: string; device: string; sessions: number; lastSeen: string }[];
  sessions: ProfileSession[];
  issues: {
    fingerprint: string;
    kind: string;
    path: string;
    target: string;
    count: number;
    sessions: number;
    lastSeen: string;
    latest: { sessionId: string; at: number; url: string };
  }[];
  truncated: boolean;
}

/** The in-app address of a recorded user's page. */
export function userHref(project: string, userId: string): string {
  return "/people/" + encodeURIComponent(userId) + (project ? "?project=" + encodeURIComponent(project) : "");
}

/** A link to a user's page that does not also open the row it sits in. */
export function UserLink({ project, id }: { project: string; id: string }) {
  // The span keeps the click from the row around it (a session row opens the session).
  return (
    <span onClick={(e) => e.stopPropagation()} onAuxClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
      <Link href={userHref(project, id)} class="user-link" data-testid="user-link" title={"Every session of " + id}>
        {id}
      </Link>
    </span>
  );
}

/** Names the index keeps lowercased, as their makers write them. */
const PROPER: Record<string, string> = { ios: "iOS", macos: "macOS", "mac os": "macOS", chromeos: "ChromeOS", ipados: "iPadOS" };

function deviceName(d: { browser: string; os: string; device: string }): string {
  const cap = (s: string) => PROPER[s] || (s ? s[0].toUpperCase() + s.slice(1) : "");
  return [cap(d.browser), d.os && "on " + cap(d.os), d.device && `(${d.device})`].filter(Boolean).join(" ") || "Unknown device";
}

/** A line drawing of the device kind (no emoji: not every system has a font for them). */
function DeviceIcon({ device }: { device: string }) {
  const phone = device === "mobile" || device === "tablet";
  return (
    <svg class="device-icon" viewBox="0 0 16 16" aria-hidden="true">
      {phone ? <rect x="4.5" y="1.5" width="7" height="13" rx="1.5" /> : <path d="M1.5 2.5h13v8.5h-13zM5.5 14h5M8 11v3" />}
    </svg>
  );
}

export function UserPage({ loc, id }: { loc: URL; id: string }) {
  const { projects, project } = useProjects(loc.searchParams.get("project"));
  const [profile, setProfile] = useState<Profile | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState("");
  useEffect(() => {
    if (projects === null || !project) return;
    let live = true;
    setProfile(null);
    setMissing(false);
    request<Profile>("GET", "/projects/" + encodeURIComponent(project) + "/users/" + encodeURIComponent(id)).then(
      (p) => live && setProfile(p),
      (e) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 404) setMissing(true);
        else if (!(e instanceof ApiError && e.status === 401)) setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      live = false;
    };
  }, [projects, project, id]);
  const now = Date.now();
  return (
    <main class="page person" data-testid="user-page">
      <div class="titlebar">
        <h1>
          <span class="muted">User</span> <span data-testid="user-id">{id}</span>
        </h1>
        <div class="spacer" />
        <Link href={"/?" + new URLSearchParams({ q: `user:"${id.replace(/["\\]/g, "\\$&")}"` }).toString()}>Their sessions in the list ▸</Link>
      </div>
      {error && <p class="error banner">{error}</p>}
      {!profile && !missing && !error && <p class="muted loading">Loading…</p>}
      {missing && (
        <section class="empty" data-testid="user-missing">
          <h2>Nothing recorded for this user</h2>
          <p>No session of this project was identified as this user id, or the user was erased.</p>
        </section>
      )}
      {profile && (
        <>
          <div class="person-stats" data-testid="user-stats">
            <div class="stat">
              <span class="label">First seen</span>
              <span class="value" title={absolute(profile.firstSeen)}>
                {relative(profile.firstSeen, now)}
              </span>
            </div>
            <div class="stat">
              <span class="label">Last seen</span>
              <span class="value" title={absolute(profile.lastSeen)}>
                {relative(profile.lastSeen, now)}
              </span>
            </div>
            <div class="stat">
              <span class="label">Sessions</span>
              <span class="value" data-testid="user-session-count">
                {profile.sessions.length}
                {profile.truncated ? "+" : ""}
              </span>
            </div>
            <div class="stat">
              <span class="label">Devices</span>
              <span class="value">{profile.devices.length}</span>
            </div>
            <div class="stat">
              <span class="label">Issues</span>
              <span class={"value" + (profile.issues.length ? " bad" : "")}>{profile.issues.length}</span>
            </div>
          </div>
          <div class="person-grid">
            <section class="card-lite" data-testid="user-traits">
              <h3>Traits</h3>
              {Object.keys(profile.traits).length === 0 ? (
                <p class="muted">None sent with Reel.identify.</p>
              ) : (
                <dl class="traits">
                  {Object.entries(profile.traits)
                    .sort(([a], [b]) => a.localeCompare(b))
                    .map(([k, v]) => (
                      <>
                        <dt>{k}</dt>
                        <dd>{v}</dd>
                      </>
                    ))}
                </dl>
              )}
            </section>
            <section class="card-lite" data-testid="user-devices">
              <h3>Devices and browsers</h3>
              <ul class="devices">
                {profile.devices.map((d) => (
                  <li>
                    <DeviceIcon device={d.device} /> {deviceName(d)}
                    <span class="muted">
                      {" "}
                      · {plural(d.sessions, "session")} · last {relative(d.lastSeen, now)}
                    </span>
                  </li>
                ))}
              </ul>
            </section>
          </div>
          <h3>Timeline</h3>
          <Strip profile={profile} />
          <ol class="person-timeline" data-testid="user-timeline">
            {profile.sessions.map((s) => (
              <li class="person-session" data-testid="user-session" data-session-id={s.sessionId}>
                <div class="when">
                  <span title={absolute(s.startedAt)}>{absolute(s.startedAt)}</span>
                  <span class="muted"> · {duration(Date.parse(s.endedAt) - Date.parse(s.startedAt))}</span>
                </div>
                <div class="what">
                  <div class="line">
                    <span class={"device-tag d-" + (s.device || "desktop")}>
                      <DeviceIcon device={s.device} /> {deviceName(s)}
                    </span>
                    {s.country && <span class="muted">{s.country}</span>}
                    {s.friction > 0 && <span class="tag k-rage_click">{plural(s.friction, "finding")}</span>}
                    {s.errors > 0 && <span class="tag k-js_error">{plural(s.errors, "error")}</span>}
                    <div class="spacer" />
                    <Link href={"/sessions/" + encodeURIComponent(s.sessionId)} data-testid="user-session-watch">
                      Watch ▸
                    </Link>
                  </div>
                  {s.summary && <p class="summary">{s.summary}</p>}
                  {s.tabs.map((t, i) => (
                    <div class="tab-line" data-testid="user-tab">
                      <span class="muted tab-name">{s.tabs.length > 1 ? `Tab ${i + 1}` : "Pages"}</span>
                      {t.pages.map((p, k) => (
                        <>
                          {k > 0 && <span class="muted arrow">→</span>}
                          <Link
                            class="page-chip mono"
                            title={p.url}
                            href={
                              "/sessions/" + encodeURIComponent(s.sessionId) + "?t=" + Math.max(0, Date.parse(p.at) - Date.parse(s.startedAt) - 1000)
                            }
                          >
                            {urlPath(p.url) || p.path}
                          </Link>
                        </>
                      ))}
                    </div>
                  ))}
                </div>
              </li>
            ))}
          </ol>
          <h3>Issues</h3>
          {profile.issues.length === 0 ? (
            <p class="muted" data-testid="user-no-issues">
              No friction or errors found in their sessions (sessions are analysed shortly after they go quiet).
            </p>
          ) : (
            <table class="sessions issues" data-testid="user-issues">
              <thead>
                <tr>
                  <th>Kind</th>
                  <th>Page</th>
                  <th>Element or error</th>
                  <th class="num">Times</th>
                  <th class="num">Sessions</th>
                  <th>Last seen</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {profile.issues.map((i) => (
                  <tr data-testid="user-issue">
                    <td class="kind">
                      <span class={"tag k-" + i.kind}>{kindLabel(i.kind)}</span>
                    </td>
                    <td class="url">{i.path || <span class="muted">–</span>}</td>
                    <td class="target" title={i.target}>
                      {i.target || <span class="muted">–</span>}
                    </td>
                    <td class="num">{i.count}</td>
                    <td class="num">{i.sessions}</td>
                    <td class="when">{relative(i.lastSeen, now)}</td>
                    <td class="watch">
                      <Link href={i.latest.url}>Watch ▸</Link>{" "}
                      <Link href={"/issues?" + new URLSearchParams({ project: profile.projectId, fingerprint: i.fingerprint }).toString()} class="muted">
                        Issue
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </main>
  );
}

/** Every session on one time axis, a lane per device, so visits across devices read at a glance. */
function Strip({ profile }: { profile: Profile }) {
  const lanes = profile.devices.map((d) => deviceName(d));
  const t0 = Date.parse(profile.firstSeen);
  const t1 = Math.max(Date.parse(profile.lastSeen), t0 + 60_000);
  const W = 720;
  const laneH = 22;
  const padL = 170;
  const H = lanes.length * laneH + 22;
  const x = (t: number) => padL + ((t - t0) / (t1 - t0)) * (W - padL - 8);
  return (
    <svg class="person-strip" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Sessions over time by device" data-testid="user-strip">
      {lanes.map((name, i) => (
        <>
          <text x={padL - 8} y={i * laneH + 15} class="axis" text-anchor="end">
            {name.length > 26 ? name.slice(0, 25) + "…" : name}
          </text>
          <line x1={padL} x2={W - 8} y1={i * laneH + 11} y2={i * laneH + 11} class="lane" />
        </>
      ))}
      {profile.sessions.map((s) => {
        const lane = lanes.indexOf(deviceName(s));
        const a = x(Date.parse(s.startedAt));
        const b = Math.max(a + 6, x(Date.parse(s.endedAt)));
        return (
          <a href={"/sessions/" + encodeURIComponent(s.sessionId)}>
            <title>
              {absolute(s.startedAt)} · {deviceName(s)} · {plural(s.tabs.length, "tab")}
            </title>
            <rect x={a} y={lane * laneH + 4} width={b - a} height={14} rx="3" class={"sess" + (s.friction || s.errors ? " bad" : "")} />
          </a>
        );
      })}
      <text x={padL} y={H - 4} class="axis">
        {absolute(profile.firstSeen)}
      </text>
      <text x={W - 8} y={H - 4} class="axis" text-anchor="end">
        {absolute(profile.lastSeen)}
      </text>
    </svg>
  );
}
