// API tokens (docs/auth.md, "API tokens"): admins create tokens scoped to read, write or admin
// and to projects, with an expiry; the secret is shown once; the list shows who made each,
// when it expires and when it was last used, and revokes one (GET/POST/DELETE /api/v1/tokens).
import { useEffect, useState } from "preact/hooks";
import { ApiError, request } from "./api";
import { CopyButton } from "./copy";
import { absolute, relative } from "./format";
import { useProjects } from "./nav";

export interface Token {
  id: string;
  name: string;
  scope: "read" | "write" | "admin";
  projects: string[];
  createdBy: { id: number; email: string } | null;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  status: "active" | "expired" | "revoked";
  /** The secret, in the answer to a create only. */
  token?: string;
}

const SCOPES: [scope: Token["scope"], label: string][] = [
  ["read", "read: look, never change (viewer)"],
  ["write", "write: also save searches and playlists (member)"],
  ["admin", "admin: everything you may do"],
];

const EXPIRIES: [days: number, label: string][] = [
  [7, "7 days"],
  [30, "30 days"],
  [90, "90 days"],
  [365, "1 year"],
  [730, "2 years"],
];

const tokenApi = {
  list: () => request<{ tokens: Token[] }>("GET", "/tokens"),
  create: (t: { name: string; scope: string; projects: string[]; expiresInDays: number }) => request<Token>("POST", "/tokens", t),
  revoke: (id: string) => request<void>("DELETE", "/tokens/" + encodeURIComponent(id)),
};

export function Tokens() {
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [error, setError] = useState("");
  const [made, setMade] = useState<Token | null>(null);
  const load = () =>
    tokenApi.list().then(
      (r) => setTokens(r.tokens),
      (err) => {
        if (!(err instanceof ApiError && err.status === 401)) setError(err.message);
      },
    );
  useEffect(() => {
    load();
  }, []);

  const revoke = async (t: Token) => {
    if (!confirm(`Revoke the token "${t.name}"? Scripts using it stop working at once.`)) return;
    try {
      await tokenApi.revoke(t.id);
      load();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const now = Date.now();
  return (
    <main class="page tokens-page">
      <div class="titlebar">
        <h1>API tokens</h1>
      </div>
      {error && <p class="error banner">{error}</p>}
      {made && made.token && (
        <section class="card wide secret" data-testid="token-secret">
          <h2>Copy your new token now</h2>
          <p class="warn-text">
            This is the only time <b>{made.name}</b> is shown. Reel keeps only a hash of it: store it in your secret manager.
          </p>
          <div class="actions">
            <code class="secret-text" data-testid="token-text">
              {made.token}
            </code>
            <CopyButton text={made.token} />
          </div>
          <p class="muted">
            Send it as <code>Authorization: Bearer …</code>.{" "}
            <button type="button" class="link" onClick={() => setMade(null)}>
              I have copied it
            </button>
          </p>
        </section>
      )}
      <CreateToken
        onMade={(t) => {
          setMade(t);
          load();
        }}
      />
      {!tokens && !error && <p class="muted loading">Loading tokens…</p>}
      {tokens && tokens.length === 0 && <p class="muted empty-note">No API tokens yet.</p>}
      {tokens && tokens.length > 0 && (
        <div class="table-wrap">
          <table class="sessions tokens" data-testid="tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Scope</th>
                <th>Projects</th>
                <th>Created by</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-testid="token-row" class={t.status === "active" ? "" : "gone"}>
                  <td>
                    <b>{t.name}</b> <code class="muted">{t.id}</code>
                  </td>
                  <td>
                    <span class={"tag scope-" + t.scope}>{t.scope}</span>
                  </td>
                  <td>{t.projects.length ? t.projects.join(", ") : <span class="muted">all</span>}</td>
                  <td>{t.createdBy ? t.createdBy.email : <span class="muted">–</span>}</td>
                  <td title={absolute(t.createdAt)}>{relative(t.createdAt, now)}</td>
                  <td title={absolute(t.expiresAt)}>
                    {t.status === "expired" ? <span class="error">expired</span> : new Date(t.expiresAt).toLocaleDateString()}
                  </td>
                  <td title={t.lastUsedAt ? absolute(t.lastUsedAt) : ""} data-testid="token-used">
                    {t.lastUsedAt ? relative(t.lastUsedAt, now) : <span class="muted">never</span>}
                  </td>
                  <td class="num">
                    {t.status === "revoked" ? (
                      <span class="muted">revoked</span>
                    ) : (
                      <button type="button" class="danger" data-testid="token-revoke" onClick={() => revoke(t)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

function CreateToken({ onMade }: { onMade: (t: Token) => void }) {
  const { projects } = useProjects(null);
  const [name, setName] = useState("");
  const [scope, setScope] = useState<Token["scope"]>("read");
  const [chosen, setChosen] = useState<string[]>([]);
  const [days, setDays] = useState(90);
  const [state, setState] = useState({ busy: false, msg: "" });
  const submit = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true, msg: "" });
    try {
      const t = await tokenApi.create({ name: name.trim(), scope, projects: chosen, expiresInDays: days });
      setName("");
      setChosen([]);
      setState({ busy: false, msg: "" });
      onMade(t);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setState({ busy: false, msg: err instanceof Error ? err.message : String(err) });
    }
  };
  const toggle = (id: string, on: boolean) => setChosen(on ? [...chosen, id] : chosen.filter((p) => p !== id));
  return (
    <form class="card wide create-token" data-testid="token-form" onSubmit={submit}>
      <h2>New token</h2>
      <div class="form-grid">
        <label>
          Name
          <input value={name} maxLength={100} placeholder="CI export" data-testid="token-name" onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Scope
          <select value={scope} data-testid="token-scope" onChange={(e) => setScope(e.currentTarget.value as Token["scope"])}>
            {SCOPES.map(([s, label]) => (
              <option value={s}>{label}</option>
            ))}
          </select>
        </label>
        <label>
          Expires in
          <select value={String(days)} data-testid="token-expiry" onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {EXPIRIES.map(([d, label]) => (
              <option value={String(d)}>{label}</option>
            ))}
          </select>
        </label>
      </div>
      {projects && projects.length > 0 && (
        <fieldset class="projects-choice">
          <legend>Projects {chosen.length === 0 && <span class="muted">(none ticked: every project)</span>}</legend>
          {projects.map((p) => (
            <label class="check">
              <input type="checkbox" checked={chosen.includes(p.id)} onChange={(e) => toggle(p.id, e.currentTarget.checked)} />
              {p.name}
            </label>
          ))}
        </fieldset>
      )}
      <div class="actions">
        <button class="primary" disabled={state.busy || !name.trim()} data-testid="token-create">
          Create token
        </button>
        {state.msg && (
          <span class="error" role="status">
            {state.msg}
          </span>
        )}
      </div>
    </form>
  );
}
