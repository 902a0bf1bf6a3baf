// The audit log (docs/auth.md, "Audit log"): who did what, when and from where, newest first,
// filtered by action, person, project and dates, with links to the sessions watched and an
// export of the same selection as JSON lines (GET /api/v1/audit, /api/v1/audit/export).
import { useEffect, useState } from "preact/hooks";
import { ApiError, request } from "./api";
import { absolute, plural, relative } from "./format";
import { Link, useProjects, withParam } from "./nav";
import { navigate } from "./router";

export interface AuditEntry {
  id: number;
  at: string;
  actorId?: number;
  actor: string;
  tokenId?: string;
  action: string;
  project?: string;
  target?: string;
  client?: string;
  detail?: Record<string, any>;
}

const FILTERS = ["action", "actor", "project", "since", "until"] as const;

function query(loc: URL, cursor = ""): string {
  const p = new URLSearchParams();
  for (const f of FILTERS) {
    const v = loc.searchParams.get(f);
    if (v) p.set(f, v);
  }
  if (cursor) p.set("cursor", cursor);
  const s = p.toString();
  return s ? "?" + s : "";
}

/** What an entry says, as a sentence after its actor. */
function says(e: AuditEntry) {
  const d = e.detail || {};
  const session = (verb: string) => (
    <>
      {verb} session{" "}
      <Link href={"/sessions/" + encodeURIComponent(e.target || "")} data-testid="audit-session">
        <code>{e.target}</code>
      </Link>
    </>
  );
  switch (e.action) {
    case "login":
      return <>signed in</>;
    case "login.failed":
      return <span class="error">failed to sign in</span>;
    case "logout":
      return <>signed out</>;
    case "session.view":
      return session("watched");
    case "share.create":
      return session("shared a link to");
    case "comment.create":
      return session("commented on");
    case "comment.delete":
      return session(d.author ? `deleted ${d.author}'s comment on` : "deleted a comment on");
    case "share.revoke":
      return <>revoked a share link{e.target ? <> of <code>{e.target}</code></> : null}</>;
    case "user.erase":
      // The target is a hash of the visitor's id (docs/auth.md): the log keeps no erased id.
      return (
        <>
          erased visitor <code title="SHA-256 of the project and the user id">{e.target}</code> ({plural(d.sessions ?? 0, "session")})
        </>
      );
    case "user.export":
      return (
        <>
          exported the data of visitor <code title="SHA-256 of the project and the user id">{e.target}</code> ({plural(d.sessions ?? 0, "session")})
        </>
      );
    case "project.update":
      return <>changed {Array.isArray(d.changed) && d.changed.length ? d.changed.join(", ") : "nothing"} of the project settings</>;
    case "token.create":
      return (
        <>
          created API token <b>{d.name}</b> ({d.scope}) <code class="muted">{e.target}</code>
        </>
      );
    case "token.revoke":
      return (
        <>
          revoked API token <b>{d.name}</b> <code class="muted">{e.target}</code>
        </>
      );
    case "export":
      return <>exported the {d.what || "data"}</>;
    case "project.create":
      return <>created project <b>{d.name}</b> <code class="muted">{e.target}</code></>;
    case "project.delete":
      return <>deleted project <code>{e.target}</code> ({plural(d.sessions ?? 0, "session")})</>;
    case "project.key_rotate":
      return <>rotated the public key of <code>{e.target}</code> ({d.graceHours ?? 0} h grace for the old key)</>;
    case "invite.create":
      return <>invited <b>{e.target}</b> as {d.role}{d.mailed ? " (mailed)" : ""}</>;
    case "invite.revoke":
      return <>revoked invitation {e.target}</>;
    case "user.create":
      return <>accepted an invitation and joined as {d.role}</>;
    case "user.update":
      return (
        <>
          changed <b>{e.target}</b>:{" "}
          {[
            d.role !== undefined ? `role ${d.role}` : "",
            d.disabled !== undefined ? (d.disabled ? "deactivated" : "reactivated") : "",
            Array.isArray(d.projects) ? `projects ${d.projects.length ? d.projects.join(", ") : "none"}` : "",
          ]
            .filter(Boolean)
            .join(", ") || "nothing"}
        </>
      );
    case "user.delete":
      return <>deleted the account of <b>{e.target}</b></>;
    case "user.reset_link":
      return <>made a password reset link for <b>{e.target}</b></>;
    case "user.password_set":
      return <>set a new password with a reset link</>;
  }
  return (
    <>
      {e.action} {e.target && <code>{e.target}</code>}
    </>
  );
}

export function AuditLog({ loc }: { loc: URL }) {
  const { projects } = useProjects(null);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [actions, setActions] = useState<string[]>([]);
  const [next, setNext] = useState("");
  const [error, setError] = useState("");
  const q = query(loc);
  const load = (cursor: string) =>
    request<{ entries: AuditEntry[]; next: string; actions: string[] }>("GET", "/audit" + query(loc, cursor)).then(
      (r) => {
        setEntries((old) => (cursor && old ? [...old, ...r.entries] : r.entries));
        setNext(r.next);
        setActions(r.actions);
        setError("");
      },
      (err) => {
        if (!(err instanceof ApiError && err.status === 401)) setError(err.message);
        setEntries([]);
      },
    );
  useEffect(() => {
    setEntries(null);
    load("");
  }, [q]);

  const set = (key: string, value: string) => navigate(withParam(loc, key, value || null), true);
  const [actor, setActor] = useState(loc.searchParams.get("actor") || "");
  const now = Date.now();
  return (
    <main class="page audit-page">
      <div class="titlebar">
        <h1>Audit log</h1>
        <div class="spacer" />
        <a class="button" href={"/api/v1/audit/export" + q} download data-testid="audit-export">
          Export JSON lines
        </a>
      </div>
      <form
        class="audit-filters"
        data-testid="audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          set("actor", actor.trim());
        }}
      >
        <select aria-label="Action" value={loc.searchParams.get("action") || ""} data-testid="audit-action" onChange={(e) => set("action", e.currentTarget.value)}>
          <option value="">Every action</option>
          {actions.map((a) => (
            <option value={a}>{a}</option>
          ))}
        </select>
        <input
          aria-label="Person"
          placeholder="Person (email) or token id"
          value={actor}
          maxLength={320}
          data-testid="audit-actor"
          onInput={(e) => setActor(e.currentTarget.value)}
          onBlur={() => set("actor", actor.trim())}
        />
        <select aria-label="Project" value={loc.searchParams.get("project") || ""} onChange={(e) => set("project", e.currentTarget.value)}>
          <option value="">Every project</option>
          {(projects || []).map((p) => (
            <option value={p.id}>{p.name}</option>
          ))}
        </select>
        <label>
          From <input type="date" value={loc.searchParams.get("since") || ""} data-testid="audit-since" onChange={(e) => set("since", e.currentTarget.value)} />
        </label>
        <label>
          to <input type="date" value={loc.searchParams.get("until") || ""} data-testid="audit-until" onChange={(e) => set("until", e.currentTarget.value)} />
        </label>
      </form>
      {error && <p class="error banner">{error}</p>}
      {!entries && !error && <p class="muted loading">Loading the audit log…</p>}
      {entries && entries.length === 0 && !error && <p class="muted empty-note">Nothing recorded matches.</p>}
      {entries && entries.length > 0 && (
        <ol class="audit" data-testid="audit-list">
          {entries.map((e) => (
            <li key={e.id} data-testid="audit-row" class={"a-" + e.action.replace(".", "-")}>
              <span class="who">
                {e.actor || "someone"}
                {e.tokenId && <span class="muted"> via token {e.tokenId}</span>}
              </span>{" "}
              <span class="what">{says(e)}</span>
              {e.project && <span class="muted"> in {e.project}</span>}
              <span class="meta muted">
                {" · "}
                <time dateTime={e.at} title={absolute(e.at)}>
                  {relative(e.at, now)}
                </time>
                {e.client && <> · {e.client}</>}
              </span>
            </li>
          ))}
        </ol>
      )}
      {next && (
        <div class="more">
          <button type="button" onClick={() => load(next)} data-testid="audit-more">
            Show older
          </button>
        </div>
      )}
    </main>
  );
}
