// The page a one-time link opens (/invite/TOKEN): no login needed. It checks the link first
// (GET /api/v1/invites/accept/TOKEN), then sets the password (POST), which logs the person in.
import { useEffect, useState } from "preact/hooks";
import { navigate } from "./router";

interface LinkInfo {
  kind: "invite" | "reset";
  email: string;
  role: string;
  expiresAt: string;
}

/** Calls the public accept endpoints without the API helper, which would send a 401 to /login. */
async function call(method: string, token: string, body?: unknown): Promise<any> {
  const res = await fetch("/api/v1/invites/accept/" + encodeURIComponent(token), {
    method,
    credentials: "same-origin",
    headers: body ? { Accept: "application/json", "Content-Type": "application/json" } : { Accept: "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new Error((data && data.error && data.error.message) || `Request failed (${res.status}).`);
  return data;
}

export function Invite({ token }: { token: string }) {
  const [info, setInfo] = useState<LinkInfo | null>(null);
  const [bad, setBad] = useState("");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    call("GET", token).then(
      (r) => setInfo(r.invite),
      (err) => setBad(err.message),
    );
  }, [token]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    if (password !== again) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    try {
      await call("POST", token, { password });
      navigate("/", true);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit} data-testid="invite-page">
        <div class="brand big">
          <span class="logo" aria-hidden="true" />
          Reel
        </div>
        {!info && !bad && <p class="muted">Checking your link…</p>}
        {bad && (
          <>
            <p class="error" role="alert" data-testid="invite-bad">
              {bad}
            </p>
            <p>
              <a href="/login">Go to sign in</a>
            </p>
          </>
        )}
        {info && (
          <>
            <p data-testid="invite-who">
              {info.kind === "invite" ? (
                <>
                  You are invited as {info.role === "admin" || info.role === "owner" ? "an" : "a"} <strong>{info.role}</strong>.
                  Choose a password for <strong>{info.email}</strong>.
                </>
              ) : (
                <>
                  Choose a new password for <strong>{info.email}</strong>.
                </>
              )}
            </p>
            <input type="email" autocomplete="username" value={info.email} readOnly hidden />
            <label>
              Password <span class="muted">(at least 10 characters)</span>
              <input
                type="password"
                autocomplete="new-password"
                required
                minLength={10}
                autofocus
                data-testid="invite-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            </label>
            <label>
              The same again
              <input
                type="password"
                autocomplete="new-password"
                required
                data-testid="invite-password-again"
                value={again}
                onInput={(e) => setAgain(e.currentTarget.value)}
              />
            </label>
            {error && (
              <p class="error" role="alert" data-testid="invite-error">
                {error}
              </p>
            )}
            <button type="submit" class="primary" data-testid="invite-accept" disabled={busy || !password}>
              {busy ? "Setting your password…" : info.kind === "invite" ? "Join and sign in" : "Set password and sign in"}
            </button>
          </>
        )}
      </form>
    </main>
  );
}
