import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type AuthConfig } from "./api";
import { navigate, safeNext } from "./router";

/** Why single sign-on sent the person back here (/login?error=code, internal/sso). Codes, not
 * sentences, travel in the URL, so a link cannot make this page say what someone else wrote. */
const ssoErrors: Record<string, string> = {
  sso_off: "Single sign-on is not set up on this server.",
  sso_unreachable: "The sign-in provider could not be reached. Try again in a moment.",
  sso_denied: "Sign-in was cancelled at the provider.",
  sso_expired: "Your sign-in took too long or was started in another window. Try again.",
  sso_state: "That answer from the provider belongs to another sign-in. Try again.",
  sso_invalid: "The provider's answer could not be verified. Try again.",
  sso_no_email: "The provider did not share an email address for your account.",
  sso_unverified: "Your email address is not verified at the provider. Verify it there, then try again.",
  sso_domain: "Your email address's domain is not allowed to sign in here. Ask an administrator for access.",
  sso_linked: "The Reel account with your email is linked to a different account at the provider.",
  sso_disabled: "Your Reel account has been deactivated. Ask an administrator.",
  sso_error: "Sign-in failed on the server. Try again, or ask an administrator to check the logs.",
};

export function ssoErrorMessage(code: string | null): string {
  if (!code) return "";
  return ssoErrors[code] || "Sign-in failed. Try again.";
}

export function Login({ next }: { next: string | null }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(() => ssoErrorMessage(new URLSearchParams(location.search).get("error")));
  const [busy, setBusy] = useState(false);
  const [config, setConfig] = useState<AuthConfig | null>(null);
  const target = safeNext(next);

  useEffect(() => {
    api
      .authConfig()
      .then(setConfig)
      .catch(() => {});
  }, []);

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
        {config?.oidc && (
          <>
            <p class="muted or">or</p>
            <a
              class="button sso"
              data-testid="login-sso"
              href={config.oidc.startUrl + (target !== "/" ? "?next=" + encodeURIComponent(target) : "")}
            >
              Sign in with {config.oidc.name}
            </a>
          </>
        )}
      </form>
    </main>
  );
}
