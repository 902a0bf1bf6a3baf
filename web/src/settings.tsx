// Settings: one project's install snippet, key rotation, origins, retention, remote SDK
// options, friction thresholds, the server-side scrubber, user erasure and deletion, and making new projects
// (docs/api.md).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Project, type ProjectSettings, type ScrubSettings } from "./api";
import { absolute, plural } from "./format";
import { ProjectPicker, storeProject, useProjects, withParam } from "./nav";
import { navigate } from "./router";
import { Snippet } from "./sessions";

/** Each threshold with its label and unit, in the order docs/friction.md explains them. */
const THRESHOLDS: [key: string, label: string, unit: string][] = [
  ["rageClicks", "Rage click: clicks", "clicks"],
  ["rageWindowMs", "… within", "ms"],
  ["rageRadiusPx", "… within a radius of", "px"],
  ["deadWaitMs", "Dead click: nothing happens for", "ms"],
  ["errorWaitMs", "Error click: a JS error within", "ms"],
  ["thrashTurns", "Thrashed cursor: direction changes", "turns"],
  ["thrashWindowMs", "… within", "ms"],
  ["quickBackMs", "Quick back: left within", "ms"],
  ["scrollTurns", "Excessive scrolling: reversals", "turns"],
  ["scrollScreens", "… covering", "screens"],
  ["hesitationMs", "Field hesitation: no typing for", "ms"],
];

/** Remote SDK switches shown as checkboxes; the SDK's defaults are on unless noted. */
const SWITCHES: [key: string, label: string, def: boolean][] = [
  ["maskAllInputs", "Mask the value of every form field and the text of rich-text editors", true],
  ["maskEmailInputs", "Mask email fields, even when not every field is masked", true],
  ["maskTelInputs", "Mask phone number fields, even when not every field is masked", true],
  ["maskCardInputs", "Mask card number and security code fields, even when not every field is masked", true],
  ["maskAllText", "Mask all text, not only form fields", false],
  ["recordCanvas", "Record canvas (charts, maps) as images", true],
  ["console", "Record console output", true],
  ["network", "Record network requests (method, URL, status, timing)", true],
  ["errors", "Record JavaScript errors", true],
  ["requireConsent", "Record only after Reel.consent(true)", false],
  ["privacySignals", "Honour Global Privacy Control and Do Not Track (record nothing from visitors who send them)", true],
];

export function Settings({ loc }: { loc: URL }) {
  const { projects, project, error: projectsError, reload } = useProjects(loc.searchParams.get("project"));
  const open = async (id: string) => {
    await reload();
    storeProject(id);
    navigate(withParam(loc, "project", id));
  };
  const [p, setP] = useState<Project | null>(null);
  useEffect(() => {
    setP(projects?.find((x) => x.id === project) || null);
  }, [projects, project]);

  return (
    <main class="page narrow settings">
      <div class="titlebar">
        <h1>Settings</h1>
        <div class="spacer" />
        <ProjectPicker projects={projects} project={project} loc={loc} />
        <NewProject onCreated={(p) => open(p.id)} />
      </div>
      {projectsError && <p class="error banner">{projectsError}</p>}
      {!p && !projectsError && <p class="muted loading">Loading settings…</p>}
      {p && (
        <>
          <section class="card">
            <h2>Install</h2>
            <p class="muted">
              Public key <code data-testid="public-key">{p.publicKey}</code>. Put these lines before{" "}
              <code>&lt;/body&gt;</code> on every page you want to record.
            </p>
            <Snippet project={p} />
            <RotateKey key={p.id + ":key"} p={p} onSaved={setP} />
          </section>
          <General key={p.id + ":general"} p={p} onSaved={setP} />
          <Recording key={p.id + ":sdk"} p={p} onSaved={setP} />
          <Friction key={p.id + ":friction"} p={p} onSaved={setP} />
          <Scrubber key={p.id + ":scrub"} p={p} onSaved={setP} />
          <PrivacyPreview key={p.id + ":preview"} p={p} />
          <Erase key={p.id + ":erase"} p={p} />
          <DeleteProject
            key={p.id + ":delete"}
            p={p}
            onDeleted={async () => {
              await reload();
              storeProject("");
              navigate(withParam(loc, "project", null));
            }}
          />
        </>
      )}
    </main>
  );
}

/** Saves a change and reports how it went next to the button. */
function useSave(p: Project, onSaved: (p: Project) => void) {
  const [state, setState] = useState<{ busy: boolean; msg: string; error: boolean }>({ busy: false, msg: "", error: false });
  const save = async (change: ProjectSettings) => {
    setState({ busy: true, msg: "", error: false });
    try {
      const next = await api.updateProject(p.id, change);
      onSaved(next);
      setState({ busy: false, msg: "Saved", error: false });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setState({ busy: false, msg: err instanceof Error ? err.message : String(err), error: true });
    }
  };
  const status = state.msg && (
    <span class={state.error ? "error" : "muted"} data-testid="save-status" role="status">
      {state.msg}
    </span>
  );
  return { save, busy: state.busy, status };
}

function General({ p, onSaved }: { p: Project; onSaved: (p: Project) => void }) {
  const [name, setName] = useState(p.name);
  const [origins, setOrigins] = useState(p.allowedOrigins.join("\n"));
  const [retention, setRetention] = useState(String(p.retentionDays));
  const { save, busy, status } = useSave(p, onSaved);
  return (
    <form
      class="card"
      data-testid="general"
      onSubmit={(e) => {
        e.preventDefault();
        save({
          name,
          allowedOrigins: origins.split(/[\s,]+/).filter(Boolean),
          retentionDays: Number(retention),
        });
      }}
    >
      <h2>Project</h2>
      <label>
        Name
        <input value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        <span>
          Allowed origins{" "}
          <span class="muted">
            · one per line; empty lets any site send with the key. Stops other sites' pages in browsers, not scripts: they
            can forge or omit the Origin header. Against abuse: rate limits and rotating the key
          </span>
        </span>
        <textarea
          rows={3}
          data-testid="origins"
          placeholder="https://shop.example"
          value={origins}
          onInput={(e) => setOrigins(e.currentTarget.value)}
        />
      </label>
      <label>
        <span>
          Keep sessions for <span class="muted">· days; 0 keeps them forever</span>
        </span>
        <input
          type="number"
          min={0}
          max={3650}
          data-testid="retention"
          value={retention}
          onInput={(e) => setRetention(e.currentTarget.value)}
        />
      </label>
      <div class="actions">
        <button class="primary" disabled={busy}>
          Save
        </button>
        {status}
      </div>
    </form>
  );
}

function Recording({ p, onSaved }: { p: Project; onSaved: (p: Project) => void }) {
  const [cfg, setCfg] = useState<Record<string, unknown>>(p.sdkConfig);
  const { save, busy, status } = useSave(p, onSaved);
  const rate = typeof cfg.sampleRate === "number" ? cfg.sampleRate : 1;
  const set = (k: string, v: unknown, def?: unknown) => {
    const next = { ...cfg };
    if (v === def) delete next[k];
    else next[k] = v;
    setCfg(next);
  };
  return (
    <form
      class="card"
      data-testid="recording"
      onSubmit={(e) => {
        e.preventDefault();
        save({ sdkConfig: cfg });
      }}
    >
      <h2>Recording</h2>
      <p class="muted">
        Sent to the SDK when a page starts recording. Options a site sets in <code>Reel.init</code> win over these.
      </p>
      <label>
        <span>
          Record <strong data-testid="sample-rate">{Math.round(rate * 100)}%</strong> of sessions
        </span>
        <input
          type="range"
          min={0}
          max={100}
          step={5}
          value={Math.round(rate * 100)}
          onInput={(e) => set("sampleRate", Number(e.currentTarget.value) / 100, 1)}
        />
      </label>
      {SWITCHES.map(([k, label, def]) => {
        const on = typeof cfg[k] === "boolean" ? (cfg[k] as boolean) : typeof cfg[k] === "object" ? true : def;
        return (
          <label class="check">
            <input type="checkbox" data-testid={"sdk-" + k} checked={on} onChange={(e) => set(k, e.currentTarget.checked, def)} />
            {label}
          </label>
        );
      })}
      <label class="check">
        <input
          type="checkbox"
          data-testid="sdk-maskEditable"
          checked={cfg.maskEditable === "typed"}
          onChange={(e) => set("maskEditable", e.currentTarget.checked ? "typed" : "all", "all")}
        />
        In rich-text editors, mask only what the visitor types (the page's own text stays visible until they type)
      </label>
      <p class="muted">Passwords and one-time codes are always masked.</p>
      <label>
        <span>
          Also mask <span class="muted">· CSS selector; elements inside have their text replaced</span>
        </span>
        <input
          value={typeof cfg.maskSelector === "string" ? cfg.maskSelector : ""}
          placeholder=".account, [data-private]"
          maxLength={2048}
          onInput={(e) => set("maskSelector", e.currentTarget.value, "")}
        />
      </label>
      <label>
        <span>
          Block <span class="muted">· CSS selector; replaced by an empty box of the same size</span>
        </span>
        <input
          value={typeof cfg.blockSelector === "string" ? cfg.blockSelector : ""}
          placeholder=".ad, iframe.chat"
          maxLength={2048}
          onInput={(e) => set("blockSelector", e.currentTarget.value, "")}
        />
      </label>
      <div class="actions">
        <button class="primary" disabled={busy}>
          Save
        </button>
        {status}
      </div>
    </form>
  );
}

function Friction({ p, onSaved }: { p: Project; onSaved: (p: Project) => void }) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(Object.entries(p.friction).map(([k, v]) => [k, String(v)])),
  );
  const { save, busy, status } = useSave(p, onSaved);
  const submit = (e: Event) => {
    e.preventDefault();
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (v.trim() !== "") out[k] = Number(v);
    save({ friction: out });
  };
  return (
    <form class="card" data-testid="friction" onSubmit={submit}>
      <h2>Friction thresholds</h2>
      <p class="muted">
        Empty fields use Reel's defaults (shown greyed). Changes apply to sessions analysed from now on.
      </p>
      <table class="thresholds">
        <tbody>
          {THRESHOLDS.map(([k, label, unit]) => (
            <tr>
              <td>{label}</td>
              <td>
                <input
                  type="number"
                  step="any"
                  data-testid={"th-" + k}
                  placeholder={String(p.defaults[k])}
                  value={values[k] || ""}
                  onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })}
                />
              </td>
              <td class="muted">{unit}</td>
              <td class="muted" data-testid={"effective-" + k}>
                {p.thresholds[k] !== p.defaults[k] ? "in effect: " + p.thresholds[k] : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions">
        <button class="primary" disabled={busy}>
          Save
        </button>
        <button type="button" class="ghost" onClick={() => setValues({})}>
          Clear overrides
        </button>
        {status}
      </div>
    </form>
  );
}

/** The built-in kinds the server's scrubber finds, in the order docs/privacy-scrubber.md explains them. */
const SCRUB_KINDS: [string, string][] = [
  ["card", "Card numbers (Luhn-checked, with a card network's prefix)"],
  ["email", "Email addresses"],
  ["phone", "Phone numbers (written as such: +44 20 7946 0958, (555) 123-4567)"],
  ["iban", "IBANs (checksum-checked)"],
  ["token", "Bearer tokens, JWTs and API keys"],
];

/** The server-side scrubber: on or off, each kind, and the project's own patterns, one per line;
 * the server's error (a pattern that does not compile or costs too much) shows beside Save. */
function Scrubber({ p, onSaved }: { p: Project; onSaved: (p: Project) => void }) {
  const cfg = p.scrub || {};
  const [on, setOn] = useState(!cfg.disabled);
  const [off, setOff] = useState<string[]>(cfg.off || []);
  const [patterns, setPatterns] = useState((cfg.patterns || []).join("\n"));
  const { save, busy, status } = useSave(p, onSaved);
  const submit = (e: Event) => {
    e.preventDefault();
    const list = patterns
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
    const out: ScrubSettings = {};
    if (!on) out.disabled = true;
    if (off.length) out.off = off;
    if (list.length) out.patterns = list;
    save({ scrub: out });
  };
  return (
    <form class="card" data-testid="scrubber" onSubmit={submit}>
      <h2>Server-side scrubber</h2>
      <p class="muted">
        Before anything is stored, the server masks with █ what the browser's masking missed: in text, attributes, inputs, URLs,
        console, errors, network and events. Applies to batches received from now on.
      </p>
      <label class="check">
        <input type="checkbox" data-testid="scrub-on" checked={on} onChange={(e) => setOn(e.currentTarget.checked)} /> Scrub
        personal data and secrets
      </label>
      {SCRUB_KINDS.map(([k, label]) => (
        <label class="check">
          <input
            type="checkbox"
            data-testid={"scrub-" + k}
            disabled={!on}
            checked={!off.includes(k)}
            onChange={(e) => setOff(e.currentTarget.checked ? off.filter((x) => x !== k) : [...off, k])}
          />{" "}
          {label}
        </label>
      ))}
      <label>
        Your own patterns, one regular expression per line (Go's RE2 syntax, at most 20, each at most 256 bytes)
        <textarea
          data-testid="scrub-patterns"
          rows={3}
          class="mono"
          disabled={!on}
          placeholder={"ORD-[0-9]{6}"}
          value={patterns}
          onInput={(e) => setPatterns(e.currentTarget.value)}
        />
      </label>
      <div class="actions">
        <button class="primary" disabled={busy} data-testid="scrub-save">
          Save
        </button>
        {status}
      </div>
    </form>
  );
}

function Erase({ p }: { p: Project }) {
  const [user, setUser] = useState("");
  const [state, setState] = useState<{ msg: string; error: boolean }>({ msg: "", error: false });
  const erase = async (e: Event) => {
    e.preventDefault();
    const id = user.trim();
    if (!id || !confirm(`Delete every session of user "${id}" in ${p.name}? This cannot be undone.`)) return;
    try {
      const r = await api.eraseUser(p.id, id);
      setState({ msg: `Erased ${r.erased.sessions} ${r.erased.sessions === 1 ? "session" : "sessions"} of ${id}.`, error: false });
      setUser("");
    } catch (err) {
      setState({ msg: err instanceof Error ? err.message : String(err), error: true });
    }
  };
  return (
    <form class="card" data-testid="erase" onSubmit={erase}>
      <h2>Erase a user</h2>
      <p class="muted">
        For GDPR and CCPA requests: deletes every session identified (<code>Reel.identify</code>) as this user, and
        stored content no other session uses.
      </p>
      <div class="actions">
        <input value={user} placeholder="user id" maxLength={256} data-testid="erase-user" onInput={(e) => setUser(e.currentTarget.value)} />
        <button class="danger" disabled={!user.trim()}>
          Erase
        </button>
        {state.msg && (
          <span class={state.error ? "error" : "muted"} role="status" data-testid="erase-status">
            {state.msg}
          </span>
        )}
      </div>
    </form>
  );
}

/** Makes a new project and opens its settings, where its install snippet is. */
function NewProject({ onCreated }: { onCreated: (p: Project) => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [err, setErr] = useState("");
  const create = async (e: Event) => {
    e.preventDefault();
    setErr("");
    try {
      const p = await api.createProject(name.trim());
      setOpen(false);
      setName("");
      onCreated(p);
    } catch (x) {
      setErr(x instanceof Error ? x.message : String(x));
    }
  };
  return (
    <div class="share">
      <button type="button" data-testid="new-project" aria-expanded={open} onClick={() => setOpen(!open)}>
        New project
      </button>
      {open && (
        <form class="popover new-project-pop" data-testid="new-project-form" onSubmit={create}>
          <label>
            Name
            <input
              value={name}
              maxLength={200}
              data-testid="new-project-name"
              placeholder="Shop (EU)"
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </label>
          <div class="actions">
            <button class="primary" data-testid="new-project-create" disabled={!name.trim()}>
              Create
            </button>
            {err && (
              <span class="error" role="status">
                {err}
              </span>
            )}
          </div>
        </form>
      )}
    </div>
  );
}

/** Rotates the public key; the old one keeps ingesting for the grace chosen. */
function RotateKey({ p, onSaved }: { p: Project; onSaved: (p: Project) => void }) {
  const [grace, setGrace] = useState(24);
  const [state, setState] = useState<{ busy: boolean; msg: string; error: boolean }>({ busy: false, msg: "", error: false });
  const rotate = async () => {
    const what = grace === 0 ? "The current key stops working now." : `The current key keeps working for ${grace} hours.`;
    if (!confirm(`Give ${p.name} a new public key? ${what} Update the snippet on your site.`)) return;
    setState({ busy: true, msg: "", error: false });
    try {
      onSaved(await api.rotateKey(p.id, grace));
      setState({ busy: false, msg: "New key made", error: false });
    } catch (err) {
      setState({ busy: false, msg: err instanceof Error ? err.message : String(err), error: true });
    }
  };
  return (
    <div class="rotate" data-testid="rotate">
      {p.previousKey && p.previousKeyExpiresAt && (
        <p class="muted" data-testid="previous-key">
          The old key <code>{p.previousKey}</code> keeps recording until {absolute(p.previousKeyExpiresAt)}.
        </p>
      )}
      <div class="actions">
        <select value={String(grace)} aria-label="Old key keeps working" data-testid="rotate-grace" onChange={(e) => setGrace(Number(e.currentTarget.value))}>
          <option value="0">old key stops now</option>
          <option value="1">old key works 1 more hour</option>
          <option value="24">old key works 1 more day</option>
          <option value="168">old key works 7 more days</option>
        </select>
        <button type="button" data-testid="rotate-key" disabled={state.busy} onClick={rotate}>
          Rotate key
        </button>
        {state.msg && (
          <span class={state.error ? "error" : "muted"} role="status" data-testid="rotate-status">
            {state.msg}
          </span>
        )}
      </div>
    </div>
  );
}

/**
 * Makes a privacy preview link: the site's page opened with a token, where the SDK loads an
 * overlay that shows what it captures (docs/player.md#privacy-preview).
 */
function PrivacyPreview({ p }: { p: Project }) {
  const [url, setURL] = useState("");
  const [state, setState] = useState<{ busy: boolean; link?: string; expiresAt?: string; error?: string }>({ busy: false });
  const make = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true });
    try {
      const r = await api.privacyPreview(p.id, url);
      setState({ busy: false, link: r.url, expiresAt: r.expiresAt });
    } catch (err) {
      setState({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  return (
    <section class="card" data-testid="privacy-preview">
      <h2>Privacy preview</h2>
      <p class="muted">
        Open a page of your site with an overlay that outlines what Reel masks, blocks and scrubs there, and lists what the SDK sends (the page must
        already run the snippet). The link works for one hour.
      </p>
      <form class="actions" onSubmit={make}>
        <input
          type="url"
          required
          placeholder="https://your.site/checkout"
          aria-label="Page of your site"
          data-testid="preview-url"
          value={url}
          onInput={(e) => setURL(e.currentTarget.value)}
        />
        <button type="submit" data-testid="preview-make" disabled={state.busy}>
          Make preview link
        </button>
      </form>
      {state.error && (
        <p class="error" role="alert" data-testid="preview-error">
          {state.error}
        </p>
      )}
      {state.link && (
        <p data-testid="preview-link">
          <a href={state.link} target="_blank" rel="noopener noreferrer">
            Open the preview
          </a>{" "}
          <span class="muted">(valid until {absolute(state.expiresAt!)})</span>
        </p>
      )}
    </section>
  );
}

/** Deletes the project with every session in it, once its name is typed. */
function DeleteProject({ p, onDeleted }: { p: Project; onDeleted: () => void }) {
  const [typed, setTyped] = useState("");
  const [count, setCount] = useState<string | null>(null);
  const [state, setState] = useState<{ busy: boolean; msg: string; error: boolean }>({ busy: false, msg: "", error: false });
  useEffect(() => {
    api.sessions({ project: p.id, limit: 1 }).then(
      (r) => setCount(r.countIsLowerBound ? `${(r.count || 0).toLocaleString("en")}+` : (r.count || 0).toLocaleString("en")),
      () => setCount(null),
    );
  }, [p.id]);
  if (p.id === "default") {
    return (
      <section class="card" data-testid="delete-project">
        <h2>Delete project</h2>
        <p class="muted">The default project cannot be deleted: the demo shop records into it, and Reel creates it again at every start. Rename it instead.</p>
      </section>
    );
  }
  const del = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true, msg: "", error: false });
    try {
      const r = await api.deleteProject(p.id);
      setState({ busy: false, msg: `Deleted ${p.name} and ${plural(r.deleted.sessions, "session")}.`, error: false });
      onDeleted();
    } catch (err) {
      setState({ busy: false, msg: err instanceof Error ? err.message : String(err), error: true });
    }
  };
  const sessions = count === null ? "every session" : count === "1" ? "its 1 session" : `its ${count} sessions`;
  return (
    <form class="card danger-zone" data-testid="delete-project" onSubmit={del}>
      <h2>Delete project</h2>
      <p data-testid="delete-count">
        Deletes {p.name} with {sessions}, their recordings, saved searches, playlists and alerts. This cannot be undone.
      </p>
      <label>
        <span>
          Type <strong>{p.name}</strong> to confirm
        </span>
        <input value={typed} data-testid="delete-confirm" onInput={(e) => setTyped(e.currentTarget.value)} />
      </label>
      <div class="actions">
        <button class="danger" data-testid="delete-project-button" disabled={typed !== p.name || state.busy}>
          Delete project
        </button>
        {state.msg && (
          <span class={state.error ? "error" : "muted"} role="status">
            {state.msg}
          </span>
        )}
      </div>
    </form>
  );
}
