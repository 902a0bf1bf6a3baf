import "rrweb/dist/style.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, sessionSource, shareSource, type User } from "./api";
import { navigate, useLocation, isModifiedClick } from "./router";
import { Login } from "./login";
import { Sessions } from "./sessions";
import { Player } from "./player";
import { Issues } from "./issues";
import { Funnels } from "./funnels";
import { Experiments } from "./experiments";
import { Heatmaps } from "./heatmaps";
import { Settings } from "./settings";
import { PlaylistPage, Playlists } from "./saved";
import { Tokens } from "./tokens";
import { AuditLog } from "./audit";
import { isAdmin, NeedsAdmin, Users } from "./users";
import { Invite } from "./invite";
import { Alerts } from "./alerts";
import { Performance } from "./vitals";
import { UserPage } from "./people";

function Header({ user, path }: { user: User | null; path: string }) {
  // On narrow screens the nav folds behind a menu button (style.css, "Layout"); following a
  // link or pressing Escape folds it again.
  const [menu, setMenu] = useState(false);
  useEffect(() => setMenu(false), [path]);
  useEffect(() => {
    if (!menu) return;
    const escape = (e: KeyboardEvent) => e.key === "Escape" && setMenu(false);
    document.addEventListener("keydown", escape);
    return () => document.removeEventListener("keydown", escape);
  }, [menu]);
  const section = ["/issues", "/performance", "/alerts", "/funnels", "/experiments", "/heatmaps", "/playlists", "/settings", "/users", "/tokens", "/audit"].find((s) => path.startsWith(s)) || "/";
  const logout = async () => {
    try {
      await api.logout();
    } catch {
      // Logged out or unreachable: the login page is the right place either way.
    }
    navigate("/login");
  };
  return (
    <header class="top">
      <a
        class="brand"
        href="/"
        onClick={(e) => {
          if (isModifiedClick(e)) return;
          e.preventDefault();
          navigate("/");
        }}
      >
        <span class="logo" aria-hidden="true" />
        Reel
      </a>
      <button
        type="button"
        class="ghost nav-toggle"
        data-testid="nav-toggle"
        aria-label="Menu"
        aria-controls="main-nav"
        aria-expanded={menu}
        onClick={() => setMenu(!menu)}
      >
        <span aria-hidden="true" />
      </button>
      <nav id="main-nav" class={menu ? "open" : ""} onClick={() => setMenu(false)}>
        {[
          ["/", "Sessions", "nav-sessions"],
          ["/issues", "Issues", "nav-issues"],
          ["/performance", "Performance", "nav-performance"],
          ["/alerts", "Alerts", "nav-alerts"],
          ["/funnels", "Funnels", "nav-funnels"],
          ["/experiments", "Experiments", "nav-experiments"],
          ["/playlists", "Playlists", "nav-playlists"],
          ["/heatmaps", "Heatmaps", "nav-heatmaps"],
          ["/settings", "Settings", "nav-settings"],
          ["/users", "Users", "nav-users"],
          ["/tokens", "API tokens", "nav-tokens"],
          ["/audit", "Audit log", "nav-audit"],
        ]
          // Settings, Users, API tokens and the audit log are for admins and owners; the others
          // do not see them (docs/auth.md).
          .filter(([href]) => isAdmin(user) || !["/settings", "/users", "/tokens", "/audit"].includes(href))
          .map(([href, label, id]) => (
          <a
            href={href}
            data-testid={id}
            class={section === href ? "on" : ""}
            onClick={(e) => {
              if (isModifiedClick(e)) return;
              e.preventDefault();
              navigate(href);
            }}
          >
            {label}
          </a>
        ))}
      </nav>
      <div class="spacer" />
      {user && <span class="who" title={user.role}>{user.email}</span>}
      <button type="button" class="ghost" data-testid="logout" onClick={logout}>
        Log out
      </button>
    </header>
  );
}

function App() {
  const loc = useLocation();
  const path = loc.pathname;
  const [user, setUser] = useState<User | null>(null);
  const onLogin = path === "/login";
  const share = /^\/share\/([^/]+)\/?$/.exec(path);
  const invite = /^\/invite\/([^/]+)\/?$/.exec(path);
  const mode = onLogin ? "login" : share ? "share" : invite ? "invite" : "app";

  useEffect(() => {
    if (mode !== "app") {
      setUser(null);
      return;
    }
    if (user) return;
    api.me().then((r) => setUser(r.user), () => {});
  }, [mode]);

  if (onLogin) return <Login next={loc.searchParams.get("next")} />;
  // An invitation or reset link: set a password, without a login and without the dashboard.
  // Tokens are URL-safe base64, so the path segment is the token as it is.
  if (invite) return <Invite token={invite[1]} />;
  // A share link opens one session read-only, without a login and without the dashboard around it.
  if (share) {
    const token = decodeURIComponent(share[1]);
    return (
      <div class="shell">
        <header class="top">
          <a class="brand" href="https://github.com/reelhq/reel" target="_blank" rel="noopener">
            <span class="logo" aria-hidden="true" />
            Reel
          </a>
          <div class="spacer" />
        </header>
        <Player key={token} id={token} t={loc.searchParams.get("t")} source={shareSource(token)} shared />
      </div>
    );
  }

  let page;
  const m = /^\/sessions\/([^/]+)\/?$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[1]);
    page = <Player key={id} id={id} t={loc.searchParams.get("t")} source={sessionSource(id)} />;
  } else if (path === "/" || path === "/sessions" || path === "/sessions/") {
    page = <Sessions loc={loc} />;
  } else if (path === "/playlists" || path === "/playlists/") {
    page = <Playlists loc={loc} />;
  } else if (/^\/playlists\/\d+\/?$/.test(path)) {
    const id = path.split("/")[2];
    page = <PlaylistPage key={id} id={id} />;
  } else if (path === "/issues" || path === "/issues/") {
    page = <Issues loc={loc} />;
  } else if (path === "/performance" || path === "/performance/") {
    page = <Performance loc={loc} />;
  } else if (/^\/people\/[^/]+\/?$/.test(path)) {
    const id = decodeURIComponent(path.split("/")[2]);
    page = <UserPage key={id} loc={loc} id={id} />;
  } else if (path === "/alerts" || path === "/alerts/") {
    page = <Alerts loc={loc} user={user} />;
  } else if (path === "/funnels" || path === "/funnels/") {
    page = <Funnels loc={loc} />;
  } else if (path === "/experiments" || path === "/experiments/") {
    page = <Experiments loc={loc} />;
  } else if (path === "/heatmaps" || path === "/heatmaps/") {
    page = <Heatmaps loc={loc} />;
  } else if (["/settings", "/users", "/tokens", "/audit"].includes(path.replace(/\/$/, ""))) {
    const at = path.replace(/\/$/, "");
    const what = { "/settings": "Settings", "/users": "Users", "/tokens": "API tokens", "/audit": "The audit log" }[at] as string;
    if (!user) page = <main class="page narrow"><p class="muted loading">Loading…</p></main>;
    else if (!isAdmin(user)) page = <NeedsAdmin what={what} user={user} />;
    else if (at === "/users") page = <Users user={user} />;
    else if (at === "/tokens") page = <Tokens />;
    else if (at === "/audit") page = <AuditLog loc={loc} />;
    else page = <Settings loc={loc} />;
  } else {
    page = (
      <main class="page narrow">
        <h1>Not found</h1>
        <p>
          Nothing lives at <code>{path}</code>. <a href="/">Back to sessions</a>.
        </p>
      </main>
    );
  }
  return (
    <div class="shell">
      <Header user={user} path={path} />
      {page}
    </div>
  );
}

render(<App />, document.getElementById("app")!);
