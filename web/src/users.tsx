// Users: accounts, roles, project access and invitations (docs/auth.md "Users and
// invitations"; GET/PATCH/DELETE /api/v1/users, /api/v1/invites). Only admins and owners reach
// it; everyone else is told it needs an admin.
import { useEffect, useState } from "preact/hooks";
import { ApiError, request, type Project, type User } from "./api";
import { CopyButton } from "./copy";
import { Link } from "./nav";

export interface TeamUser {
  id: number;
  email: string;
  role: string;
  projects: string[];
  allProjects: boolean;
  status: "active" | "disabled";
  createdAt: string;
  disabledAt?: string;
  you: boolean;
}

export interface PendingInvite {
  id: number;
  email: string;
  role: string;
  projects: string[];
  invitedBy?: string;
  createdAt: string;
  expiresAt: string;
}

interface NewLink {
  email: string;
  url: string;
  mailed: boolean;
  mailError: string;
  what: "invite" | "reset";
}

const ROLES = ["viewer", "member", "admin", "owner"];
const ROLE_HELP: Record<string, string> = {
  viewer: "watches, comments and shares within their projects",
  member: "also saves searches, playlists and funnels",
  admin: "also manages projects, settings, users and alerts; sees every project",
  owner: "also erases, exports and deletes projects",
};

/** Whether a role may manage users and settings. */
export function isAdmin(u: User | null): boolean {
  return !!u && (u.role === "admin" || u.role === "owner");
}

/** What a member or viewer sees instead of an admin page. */
export function NeedsAdmin({ what, user }: { what: string; user: User }) {
  return (
    <main class="page narrow">
      <div class="card needs-admin" data-testid="needs-admin">
        <h1>{what} needs an admin</h1>
        <p>
          You are signed in as <strong>{user.email}</strong>, a <strong>{user.role}</strong>. Only admins and owners can
          open {what}. Ask one of them if you need a change here.
        </p>
        <p>
          <Link href="/">Back to sessions</Link>
        </p>
      </div>
    </main>
  );
}

const usersApi = {
  list: () => request<{ users: TeamUser[] }>("GET", "/users"),
  update: (id: number, change: { role?: string; disabled?: boolean; projects?: string[] }) =>
    request<{ user: TeamUser }>("PATCH", `/users/${id}`, change),
  remove: (id: number) => request<void>("DELETE", `/users/${id}`),
  resetLink: (id: number) => request<{ url: string; expiresAt: string; mailed: boolean; mailError: string }>("POST", `/users/${id}/reset-link`),
  invites: () => request<{ invites: PendingInvite[] }>("GET", "/invites"),
  invite: (body: { email: string; role: string; projects: string[]; expiresInHours: number }) =>
    request<{ invite: PendingInvite; url: string; mailed: boolean; mailError: string }>("POST", "/invites", body),
  revoke: (id: number) => request<void>("DELETE", `/invites/${id}`),
  projects: () => request<{ projects: Project[] }>("GET", "/projects"),
};

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function Users({ user }: { user: User }) {
  const [users, setUsers] = useState<TeamUser[] | null>(null);
  const [invites, setInvites] = useState<PendingInvite[]>([]);
  const [projects, setProjects] = useState<Project[]>([]);
  const [error, setError] = useState("");
  const [link, setLink] = useState<NewLink | null>(null);
  const owner = user.role === "owner";

  const load = async () => {
    try {
      const [u, i, p] = await Promise.all([usersApi.list(), usersApi.invites(), usersApi.projects()]);
      setUsers(u.users);
      setInvites(i.invites);
      setProjects(p.projects);
    } catch (err) {
      setError(message(err));
      setUsers((u) => u || []);
    }
  };
  useEffect(() => {
    load();
  }, []);

  const act = async (f: () => Promise<unknown>) => {
    setError("");
    try {
      await f();
    } catch (err) {
      setError(message(err));
    }
    await load();
  };

  const names = new Map(projects.map((p) => [p.id, p.name]));

  return (
    <main class="page users">
      <div class="titlebar">
        <h1>Users</h1>
        {users && <span class="muted count">{users.length} {users.length === 1 ? "account" : "accounts"}</span>}
      </div>
      {error && (
        <p class="error banner" role="alert" data-testid="users-error">
          {error}
        </p>
      )}
      <InviteForm owner={owner} projects={projects} onLink={(l) => (setLink(l), load())} />
      {link && <LinkBox link={link} onClose={() => setLink(null)} />}
      {!users && <p class="muted loading">Loading users…</p>}
      {users && (
        <div class="table-wrap">
          <table class="sessions team" data-testid="users">
            <thead>
              <tr>
                <th>Email</th>
                <th>Role</th>
                <th>Projects</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow
                  key={u.id}
                  u={u}
                  owner={owner}
                  projects={projects}
                  names={names}
                  act={act}
                  onLink={(url, mailed, mailError) => setLink({ email: u.email, url, mailed, mailError, what: "reset" })}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 class="sub">Pending invitations</h2>
      {invites.length === 0 ? (
        <p class="muted" data-testid="no-invites">
          No invitation is waiting to be accepted.
        </p>
      ) : (
        <div class="table-wrap">
          <table class="sessions team" data-testid="invites">
            <thead>
              <tr>
                <th>Email</th>
                <th>Role</th>
                <th>Projects</th>
                <th>Invited by</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {invites.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>{i.role}</td>
                  <td>{i.role === "admin" || i.role === "owner" ? "all" : i.projects.map((p) => names.get(p) || p).join(", ") || "none"}</td>
                  <td>{i.invitedBy || "an operator"}</td>
                  <td>{when(i.expiresAt)}</td>
                  <td class="extra">
                    <button type="button" data-testid="revoke" onClick={() => act(() => usersApi.revoke(i.id))}>
                      Revoke
                    </button>
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

function UserRow({
  u,
  owner,
  projects,
  names,
  act,
  onLink,
}: {
  u: TeamUser;
  owner: boolean;
  projects: Project[];
  names: Map<string, string>;
  act: (f: () => Promise<unknown>) => Promise<void>;
  onLink: (url: string, mailed: boolean, mailError: string) => void;
}) {
  // Only owners change owners; nobody deactivates or deletes themselves.
  const locked = u.role === "owner" && !owner;
  const roles = owner ? ROLES : ROLES.filter((r) => r !== "owner" || u.role === "owner");
  return (
    <tr class={u.status === "disabled" ? "off" : ""} data-testid="user-row" data-email={u.email}>
      <td>
        {u.email} {u.you && <span class="badge">you</span>}
      </td>
      <td>
        <select
          aria-label={`Role of ${u.email}`}
          value={u.role}
          disabled={locked}
          title={locked ? "Only an owner may change an owner" : ROLE_HELP[u.role]}
          onChange={(e) => {
            const role = e.currentTarget.value;
            act(() => usersApi.update(u.id, { role }));
          }}
        >
          {roles.map((r) => (
            <option value={r}>{r}</option>
          ))}
        </select>
      </td>
      <td>
        {u.allProjects ? (
          <span class="muted">all</span>
        ) : (
          <ProjectAccess u={u} projects={projects} names={names} disabled={locked} act={act} />
        )}
      </td>
      <td>{u.status === "active" ? "Active" : <span class="warn-text">Deactivated</span>}</td>
      <td class="extra actions-cell">
        {!u.you && !locked && (
          <>
            <button type="button" onClick={() => act(() => usersApi.update(u.id, { disabled: u.status === "active" }))}>
              {u.status === "active" ? "Deactivate" : "Reactivate"}
            </button>
            {u.status === "active" && (
              <button
                type="button"
                title="A one-time link to set a new password"
                onClick={() =>
                  act(async () => {
                    const r = await usersApi.resetLink(u.id);
                    onLink(r.url, r.mailed, r.mailError);
                  })
                }
              >
                Reset link
              </button>
            )}
            <button
              type="button"
              class="danger"
              onClick={() => {
                if (!confirm(`Delete the account of ${u.email}? Their logins end; what they saved stays.`)) return;
                act(() => usersApi.remove(u.id));
              }}
            >
              Delete
            </button>
          </>
        )}
      </td>
    </tr>
  );
}

/** The projects a member or viewer sees, changed with checkboxes in a small popover. */
function ProjectAccess({
  u,
  projects,
  names,
  disabled,
  act,
}: {
  u: TeamUser;
  projects: Project[];
  names: Map<string, string>;
  disabled: boolean;
  act: (f: () => Promise<unknown>) => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<string[]>(u.projects);
  useEffect(() => setChosen(u.projects), [u.projects.join(",")]);
  const label = u.projects.map((p) => names.get(p) || p).join(", ") || "none";
  if (disabled) return <span>{label}</span>;
  return (
    <span class="access">
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {label}
      </button>
      {open && (
        <form
          class="popover access-pop"
          onSubmit={(e) => {
            e.preventDefault();
            setOpen(false);
            act(() => usersApi.update(u.id, { projects: chosen }));
          }}
        >
          {projects.map((p) => (
            <label class="check">
              <input
                type="checkbox"
                checked={chosen.includes(p.id)}
                onChange={(e) =>
                  setChosen(e.currentTarget.checked ? [...chosen, p.id] : chosen.filter((x) => x !== p.id))
                }
              />
              {p.name}
            </label>
          ))}
          <button type="submit" class="primary">
            Save
          </button>
        </form>
      )}
    </span>
  );
}

function InviteForm({ owner, projects, onLink }: { owner: boolean; projects: Project[]; onLink: (l: NewLink) => void }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("viewer");
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [hours, setHours] = useState(72);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  // Until someone picks, a new member or viewer is given every project there is.
  const given = chosen ?? projects.map((p) => p.id);
  const limited = role === "viewer" || role === "member";

  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    setBusy(true);
    try {
      const r = await usersApi.invite({ email: email.trim(), role, projects: limited ? given : [], expiresInHours: hours });
      onLink({ email: r.invite.email, url: r.url, mailed: r.mailed, mailError: r.mailError, what: "invite" });
      setEmail("");
    } catch (err) {
      setError(err instanceof ApiError ? err.message : message(err));
    }
    setBusy(false);
  };

  return (
    <form class="card invite" data-testid="invite-form" onSubmit={submit}>
      <h2>Invite someone</h2>
      <div class="row">
        <label>
          Email
          <input
            type="email"
            required
            maxLength={254}
            placeholder="name@example.com"
            data-testid="invite-email"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Role
          <select data-testid="invite-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            {(owner ? ROLES : ROLES.filter((r) => r !== "owner")).map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Link works for
          <select value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            <option value={24}>1 day</option>
            <option value={72}>3 days</option>
            <option value={168}>7 days</option>
            <option value={720}>30 days</option>
          </select>
        </label>
      </div>
      <p class="muted">A {role} {ROLE_HELP[role]}.</p>
      {limited && projects.length > 0 && (
        <fieldset class="projects">
          <legend>Projects they see</legend>
          {projects.map((p) => (
            <label class="check">
              <input
                type="checkbox"
                data-testid="invite-project"
                value={p.id}
                checked={given.includes(p.id)}
                onChange={(e) => setChosen(e.currentTarget.checked ? [...given, p.id] : given.filter((x) => x !== p.id))}
              />
              {p.name}
            </label>
          ))}
        </fieldset>
      )}
      {error && (
        <p class="error" role="alert" data-testid="invite-error">
          {error}
        </p>
      )}
      <div>
        <button type="submit" class="primary" data-testid="invite-submit" disabled={busy || !email.trim()}>
          {busy ? "Inviting…" : "Create invitation link"}
        </button>
      </div>
    </form>
  );
}

function LinkBox({ link, onClose }: { link: NewLink; onClose: () => void }) {
  return (
    <div class="card linkbox" data-testid="invite-result" role="status">
      <p>
        <strong>{link.what === "invite" ? `Invitation link for ${link.email}` : `Password reset link for ${link.email}`}</strong>{" "}
        — shown only now; it works once.
      </p>
      <div class="actions">
        <input readOnly value={link.url} data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={link.url} />
        <button type="button" class="ghost" onClick={onClose}>
          Done
        </button>
      </div>
      {link.mailed && <p class="muted">Also emailed to {link.email}.</p>}
      {link.mailError && (
        <p class="error" data-testid="mail-error">
          {link.mailError}
        </p>
      )}
    </div>
  );
}
