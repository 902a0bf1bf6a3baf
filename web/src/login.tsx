import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api";
import { navigate, safeNext } from "./router";

export function Login({ next }: { next: string | null }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const target = safeNext(next);

  // Already signed in (an old tab, a bookmark): go straight on.
  useEffect(() => {
    let live = true;
    fetch("/api/v1/auth/me", { credentials: "same-origin" })
      .then((r) => {
        if (live && r.ok) navigate(target, true);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    setBusy(true);
    try {
      await api.login(email.trim(), password);
      navigate(target, true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError("Wrong email or password.");
      else if (err instanceof ApiError && err.status === 429) setError("Too many attempts. Wait a minute and try again.");
      else setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit} noValidate>
        <div class="brand big">
          <span class="logo" aria-hidden="true" />
          Reel
        </div>
        <p class="muted">Sign in to watch your sessions.</p>
        <label>
          Email
          <input
            type="email"
            name="email"
            autocomplete="username"
            required
            autofocus
            data-testid="login-email"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            required
            data-testid="login-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" data-testid="login-submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
