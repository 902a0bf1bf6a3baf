// Alerts (docs/api.md, "Alerts"): the rules of a project with what each watches, where it posts
// (the webhook's host: its URL is a credential), when it last fired and its last deliveries; a
// "Send test" button; and a form to add a rule, prefilled when opened from an issue's or a
// saved search's "Alert me" (/alerts?new=1&fingerprint=… or &saved=…). Everyone who sees the
// project reads the rules; admins add, test and delete them.
import { CopyButton } from "./copy";
import { useEffect, useState } from "preact/hooks";
import { ApiError, request, type User } from "./api";
import { absolute, plural, relative } from "./format";
import { isAdmin } from "./users";
import { kindLabel } from "./issues";
import { ProjectPicker, useProjects, withParam } from "./nav";
import { navigate } from "./router";

export interface Delivery {
  at: string;
  test: boolean;
  ok: boolean;
  status?: number;
  error?: string;
}

export interface AlertRule {
  id: number;
  project: string;
  name: string;
  kind?: string;
  fingerprint?: string;
  threshold: number;
  windowMinutes: number;
  webhook?: string;
  webhookHost: string;
  /** "slack" (Slack's message format) or "json" (a plain event object). */
  format: string;
  /** Signs every post; only for those who manage alerts. */
  secret?: string;
  condition: string;
  firedAt?: string;
  savedSearch?: number;
  savedQuery?: string;
  deliveries: Delivery[];
}

const enc = encodeURIComponent;

const alertApi = {
  list: (project: string) => request<{ alerts: AlertRule[] }>("GET", "/alerts?project=" + enc(project)),
  create: (b: Partial<AlertRule>) => request<AlertRule>("POST", "/alerts", b),
  remove: (project: string, id: number) => request<void>("DELETE", "/alerts/" + id + "?project=" + enc(project)),
  test: (project: string, id: number) => request<Delivery>("POST", "/alerts/" + id + "/test?project=" + enc(project)),
};

const KINDS = ["", "rage_click", "dead_click", "error_click", "thrashed_cursor", "quick_back", "excessive_scroll", "form_abandonment", "field_hesitation", "js_error"];

const WINDOWS: [minutes: number, label: string][] = [
  [15, "15 min"],
  [60, "1 hour"],
  [360, "6 hours"],
  [1440, "1 day"],
  [10080, "7 days"],
];

/** The link that opens this page with the form prefilled. */
export function alertLink(p: { project: string; name: string; fingerprint?: string; kind?: string; saved?: number }): string {
  const q = new URLSearchParams({ new: "1", project: p.project, name: p.name });
  if (p.fingerprint) q.set("fingerprint", p.fingerprint);
  if (p.kind) q.set("kind", p.kind);
  if (p.saved) q.set("saved", String(p.saved));
  return "/alerts?" + q.toString();
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function deliveryText(d: Delivery): string {
  if (d.ok) return `${d.test ? "Test delivered" : "Delivered"} (${d.status})`;
  return `${d.test ? "Test failed" : "Failed"}: ${d.error || "no answer"}`;
}

export function Alerts({ loc, user }: { loc: URL; user: User | null }) {
  const { projects, project, error: projectsError } = useProjects(loc.searchParams.get("project"));
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [error, setError] = useState("");
  const [results, setResults] = useState<Record<number, { busy: boolean; d?: Delivery; msg?: string }>>({});
  const manage = isAdmin(user);
  const prefill = loc.searchParams.get("new") === "1";

  const load = () =>
    alertApi.list(project).then(
      (r) => {
        setRules(r.alerts);
        setError("");
      },
      (err) => {
        if (!(err instanceof ApiError && err.status === 401)) setError(message(err));
        setRules((r) => r || []);
      },
    );
  useEffect(() => {
    if (!project) return;
    setRules(null);
    load();
  }, [project]);

  const test = async (r: AlertRule) => {
    setResults((s) => ({ ...s, [r.id]: { busy: true } }));
    try {
      const d = await alertApi.test(project, r.id);
      setResults((s) => ({ ...s, [r.id]: { busy: false, d } }));
      load();
    } catch (err) {
      setResults((s) => ({ ...s, [r.id]: { busy: false, msg: message(err) } }));
    }
  };
  const remove = async (r: AlertRule) => {
    if (!confirm(`Delete the alert “${r.name}”?`)) return;
    try {
      await alertApi.remove(project, r.id);
      load();
    } catch (err) {
      setError(message(err));
    }
  };

  const now = Date.now();
  return (
    <main class="page alerts-page">
      <div class="titlebar">
        <h1>Alerts</h1>
        <ProjectPicker projects={projects} project={project} loc={loc} />
      </div>
      {(error || projectsError) && <p class="error banner">{error || projectsError}</p>}
      {manage && project && (
        <NewAlert
          key={loc.search}
          project={project}
          loc={loc}
          open={prefill}
          onMade={() => {
            navigate("/alerts?project=" + enc(project), true);
            load();
          }}
        />
      )}
      {!manage && prefill && <p class="muted banner">Only admins add alerts: ask one to add this rule.</p>}
      {!rules && !error && <p class="muted loading">Loading alerts…</p>}
      {rules && rules.length === 0 && (
        <p class="muted empty-note" data-testid="alerts-empty">
          No alerts yet. {manage ? "Add one above, or use “Alert me” on an issue or a saved search." : "An admin can add them."}
        </p>
      )}
      {rules && rules.length > 0 && (
        <div class="table-wrap">
          <table class="sessions alerts" data-testid="alerts">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Condition</th>
                <th>Destination</th>
                <th>Last fired</th>
                <th>Recent deliveries</th>
                {manage && <th />}
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => {
                const res = results[r.id];
                return (
                  <tr key={r.id} data-testid="alert-row" data-name={r.name}>
                    <td>
                      <b>{r.name}</b>
                    </td>
                    <td data-testid="alert-condition">{r.condition}</td>
                    <td data-testid="alert-destination" title="The webhook's host; its full URL is a secret">
                      webhook <code>{r.webhookHost}</code> <span class="muted">{r.format === "json" ? "JSON event" : "Slack message"}</span>
                      {r.secret && (
                        <details class="secret" data-testid="alert-secret">
                          <summary>Signing secret</summary>
                          <code>{r.secret}</code> <CopyButton text={r.secret} />
                          <p class="muted small">
                            Every post carries <code>Reel-Webhook-Signature</code>: check it as{" "}
                            <a href="https://github.com/reelhq/reel/blob/main/docs/api.md#verifying-a-webhook">docs/api.md</a> shows.
                          </p>
                        </details>
                      )}
                    </td>
                    <td title={r.firedAt ? absolute(r.firedAt) : ""} data-testid="alert-fired">
                      {r.firedAt ? relative(r.firedAt, now) : <span class="muted">never</span>}
                    </td>
                    <td class="deliveries" data-testid="alert-deliveries">
                      {r.deliveries.length === 0 && <span class="muted">none yet</span>}
                      <ul>
                        {r.deliveries.slice(0, 3).map((d) => (
                          <li class={d.ok ? "ok" : "failed"} title={absolute(d.at)} data-testid="alert-delivery">
                            <span class="mark">{d.ok ? "✓" : "✗"}</span> {deliveryText(d)} <span class="muted">{relative(d.at, now)}</span>
                          </li>
                        ))}
                      </ul>
                      {r.deliveries.length > 3 && <span class="muted">and {plural(r.deliveries.length - 3, "earlier one")}</span>}
                    </td>
                    {manage && (
                      <td class="actions-cell">
                        <button type="button" data-testid="alert-test" disabled={res && res.busy} onClick={() => test(r)}>
                          {res && res.busy ? "Sending…" : "Send test"}
                        </button>
                        <button type="button" class="danger" data-testid="alert-delete" onClick={() => remove(r)}>
                          Delete
                        </button>
                        {res && !res.busy && (
                          <div class={"test-result " + (res.d && res.d.ok ? "ok" : "error")} role="status" data-testid="alert-test-result">
                            {res.d ? deliveryText(res.d) : res.msg}
                          </div>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

function NewAlert({ project, loc, open, onMade }: { project: string; loc: URL; open: boolean; onMade: () => void }) {
  const q = loc.searchParams;
  const fingerprint = (open && q.get("fingerprint")) || "";
  const saved = open ? Number(q.get("saved")) || 0 : 0;
  const [shown, setShown] = useState(open);
  const [name, setName] = useState((open && q.get("name")) || "");
  const [kind, setKind] = useState((open && !fingerprint && q.get("kind")) || "");
  const [threshold, setThreshold] = useState("5");
  const [windowMinutes, setWindow] = useState(60);
  const [webhook, setWebhook] = useState("");
  const [format, setFormat] = useState("slack");
  const [state, setState] = useState({ busy: false, msg: "" });

  if (!shown)
    return (
      <p class="actions">
        <button type="button" class="primary" data-testid="alert-new" onClick={() => setShown(true)}>
          New alert
        </button>
      </p>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true, msg: "" });
    try {
      await alertApi.create({
        project,
        name: name.trim(),
        threshold: Number(threshold),
        windowMinutes,
        webhook: webhook.trim(),
        format,
        ...(saved ? { savedSearch: saved } : fingerprint ? { fingerprint } : { kind }),
      });
      setState({ busy: false, msg: "" });
      setShown(false);
      setName("");
      setWebhook("");
      onMade();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setState({ busy: false, msg: message(err) });
    }
  };
  return (
    <form class="card wide new-alert" data-testid="alert-form" onSubmit={submit}>
      <h2>New alert</h2>
      <p class="muted" data-testid="alert-watches">
        {saved
          ? "Watches the saved search: fires when that many sessions matching it start within the window."
          : fingerprint
            ? "Watches one issue: " + fingerprint.split("|").filter(Boolean).join(" · ")
            : "Watches every issue of a kind (or any friction and errors)."}
      </p>
      <div class="form-grid">
        <label>
          Name
          <input value={name} maxLength={200} placeholder="Checkout rage clicks" data-testid="alert-name" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        {!saved && !fingerprint && (
          <label>
            Kind
            <select value={kind} data-testid="alert-kind" onChange={(e) => setKind(e.currentTarget.value)}>
              {KINDS.map((k) => (
                <option value={k}>{k ? kindLabel(k) : "Any friction or error"}</option>
              ))}
            </select>
          </label>
        )}
        <label>
          When at least (sessions)
          <input type="number" min={1} max={1000000} value={threshold} data-testid="alert-threshold" onInput={(e) => setThreshold(e.currentTarget.value)} />
        </label>
        <label>
          Within
          <select value={String(windowMinutes)} data-testid="alert-window" onChange={(e) => setWindow(Number(e.currentTarget.value))}>
            {WINDOWS.map(([m, label]) => (
              <option value={String(m)}>{label}</option>
            ))}
          </select>
        </label>
        <label>
          Body
          <select value={format} data-testid="alert-format" onChange={(e) => setFormat(e.currentTarget.value)}>
            <option value="slack">Slack message (Slack, Mattermost, Discord)</option>
            <option value="json">JSON event (your own receiver)</option>
          </select>
        </label>
        <label class="wide-field">
          Webhook URL
          <input type="url" value={webhook} maxLength={2048} placeholder="https://hooks.slack.com/services/…" data-testid="alert-webhook" onInput={(e) => setWebhook(e.currentTarget.value)} />
        </label>
      </div>
      <div class="actions">
        <button class="primary" disabled={state.busy || !name.trim() || !webhook.trim()} data-testid="alert-create">
          Add alert
        </button>
        <button type="button" class="ghost" onClick={() => (open ? navigate(withParam(loc, "new", null), true) : setShown(false))}>
          Cancel
        </button>
        {state.msg && (
          <span class="error" role="status" data-testid="alert-error">
            {state.msg}
          </span>
        )}
      </div>
    </form>
  );
}
