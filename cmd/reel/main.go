// Command reel is the whole of Reel in one binary: `reel serve` runs ingest, storage, the API,
// the dashboard and the demo site on one port with embedded storage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/reelhq/reel/internal/alert"
	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/archive"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/blob/s3"
	"github.com/reelhq/reel/internal/compact"
	"github.com/reelhq/reel/internal/demo"
	"github.com/reelhq/reel/internal/geoip"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/mail"
	"github.com/reelhq/reel/internal/metrics"
	"github.com/reelhq/reel/internal/rewrite"
	"github.com/reelhq/reel/internal/sdk"
	"github.com/reelhq/reel/internal/server"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/ui"
)

const version = "0.1.0-dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "reel:", err)
		os.Exit(1)
	}
}

const usage = `Reel: self-hosted session replay.

Usage:
  reel serve [flags]                          run server, API, dashboard and demo site
  reel erase-user [--data DIR] [--db URL] [--blobs URL] [--project ID] USER_ID
                                              delete everything recorded about one user
                                              (sessions identified with Reel.identify)
  reel sweep-orphans [--data DIR] [--db URL] [--blobs URL] [--grace D] [--all-stopped]
                                              delete objects no index row references (what a
                                              crash left) now, instead of at the next sweep
  reel migrate --from DIR --to postgres://…   copy an embedded install's index into
                                              PostgreSQL (resumable, verified; blobs stay)
  reel tokens create|list|revoke [flags]      manage API tokens on the index, without a
                                              server ("reel tokens" for the flags)
  reel users list|invite|reset-password|set-role [--data DIR] [--db URL] …
                                              manage dashboard accounts without a running
                                              server ("reel users -h")
  reel users export [--data DIR] [--db URL] [--blobs URL] [--project ID] --user USER_ID -o FILE.zip
                                              a recorded user's sessions as a zip (subject
                                              access, GDPR Art. 15)
  reel export SESSION... | --query Q --format rrweb|html|video|playwright -o DIR
                                              write sessions from a running server into
                                              files ("reel export -h")
  reel import [--server URL] [--project ID] FILE…
                                              import rrweb recordings (rrweb, PostHog, Sentry,
                                              Reel exports) into a running server, a session
                                              each (API token in REEL_TOKEN)
  reel backup [--data DIR] -o FILE            copy an embedded install (index and objects)
                                              into one verified archive, while it runs
  reel restore [--data DIR] FILE              restore such an archive into an empty --data
  reel version                                print the version

Run "reel serve -h" for the flags. Every flag can also be set as a REEL_* environment
variable (--data is REEL_DATA). Secrets are environment only:
  REEL_ADMIN_PASSWORD  the admin's password (generated and printed on first run if unset)
  REEL_ADMIN_TOKEN     accepted as an admin API bearer token when set
  REEL_OIDC_CLIENT_SECRET  the client secret for single sign-on (--oidc-issuer)
`

// run runs one command. "-h" anywhere a command reads flags prints that command's usage and
// succeeds, as Go's own tools do.
func run(args []string, stdout, stderr io.Writer) error {
	err := dispatch(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing command")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "erase-user":
		return eraseUser(args[1:], stdout, stderr)
	case "sweep-orphans":
		return sweepOrphans(args[1:], stdout, stderr)
	case "migrate":
		return migrateCmd(args[1:], stdout, stderr)
	case "tokens":
		return tokensCmd(args[1:], stdout, stderr)
	case "export":
		return exportCmd(args[1:], stdout, stderr)
	case "users":
		return usersCmd(args[1:], os.Stdin, stdout, stderr)
	case "import":
		return importCmd(args[1:], stdout, stderr)
	case "backup":
		return backupCmd(args[1:], stdout, stderr)
	case "restore":
		return restoreCmd(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "reel", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// blobsUsage documents --blobs for both commands that take it.
const blobsUsage = "where recordings' objects are kept: empty for files under --data/blobs, or s3://BUCKET[/PREFIX]?endpoint=URL&region=R&use_path_style=true for any S3-compatible store, with credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the usual AWS chain (REEL_BLOBS; docs/storage.md)"

// openBlobs opens the object store --blobs names. An S3 store is checked (a probe object
// written, read and deleted) before anything else starts, so a wrong bucket, endpoint or key
// stops Reel at once with the reason rather than failing the first batch. The description it
// returns is for logs and never holds a credential.
func openBlobs(ctx context.Context, spec, data string) (blob.Store, string, error) {
	if spec == "" {
		dir := filepath.Join(data, "blobs")
		l, err := blob.NewLocal(dir)
		if err != nil {
			return nil, "", err
		}
		return l, "files in " + dir, nil
	}
	if !strings.HasPrefix(spec, "s3://") {
		return nil, "", errors.New("--blobs must be empty (files under --data) or an s3:// URL")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	st, err := s3.Open(ctx, spec, s3.Options{})
	if err != nil {
		return nil, "", fmt.Errorf("--blobs: %w", err)
	}
	return st, st.String(), nil
}

// serveConfig is everything `reel serve` can be told.
type serveConfig struct {
	Addr           string
	Data           string
	Blobs          string // where objects go: "" for files under Data, or an s3:// URL
	DB             string // postgres:// URL of a shared index; empty: SQLite under Data
	LogLevel       string
	LogFormat      string
	AdminEmail     string
	AdminPassword  string
	AdminToken     string
	CompactIdle    time.Duration
	CompactLease   time.Duration
	RatePerIP      float64
	OpenPerIP      int    // uploads one address may have open at once
	CountryHeader  string // trusted proxy header carrying the visitor's country
	ClientIPHeader string // trusted proxy header carrying the visitor's address
	GeoIP          string // MMDB file mapping addresses to countries
	PublicURL      string
	MetricsAddr    string // also serve /metrics here, without login
	LLMURL         string
	LLMModel       string
	ArchiveAssets  bool          // fetch and keep what recordings reference without carrying
	ArchivePrivate bool          // let those fetches reach loopback, private and link-local addresses
	ArchiveRefresh time.Duration // reuse a fetched copy this long before fetching the URL again
	WebhookPrivate bool          // let alert webhooks reach loopback, private and link-local addresses
	VideoClips     int           // clips the video endpoint renders at once; 0: off
	OrphanGrace    time.Duration // keep unreferenced objects this long before the orphan sweep deletes them
	Demo           string        // serve the demo shop at /demo/: true, false or auto (off when PublicURL is https)
	AuditRetention time.Duration // keep audit log entries this long
	OIDC           oidcConfig
	SMTPURL        string // smtp://user@host:port to mail invitations and reset links; empty: not mailed
	SMTPFrom       string
	SMTPPassword   string
}

// oidcConfig is single sign-on through an OpenID provider (docs/auth.md); off without Issuer.
type oidcConfig struct {
	Issuer         string
	ClientID       string
	ClientSecret   string // environment only
	AllowedDomains string // comma-separated; empty: any verified email
	DefaultRole    string
	// DefaultProjects are given to members and viewers created at first sign-in, comma-separated.
	DefaultProjects string
	Name            string
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func parseServe(args []string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("reel serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", env("REEL_ADDR", "127.0.0.1:8080"), "address to listen on (REEL_ADDR)")
	fs.StringVar(&c.Data, "data", env("REEL_DATA", "./reel-data"), "directory for the index and event chunks (REEL_DATA)")
	fs.StringVar(&c.Blobs, "blobs", env("REEL_BLOBS", ""), blobsUsage)
	fs.StringVar(&c.DB, "db", env("REEL_DB", ""), dbUsage)
	fs.StringVar(&c.LogLevel, "log-level", env("REEL_LOG_LEVEL", "info"), "debug, info, warn or error (REEL_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("REEL_LOG_FORMAT", "text"), "text or json (REEL_LOG_FORMAT)")
	fs.StringVar(&c.AdminEmail, "admin-email", env("REEL_ADMIN_EMAIL", "admin@reel.local"), "email of the admin account (REEL_ADMIN_EMAIL)")
	idle, err := time.ParseDuration(env("REEL_COMPACT_IDLE", compact.Defaults.Idle.String()))
	if err != nil {
		return c, fmt.Errorf("REEL_COMPACT_IDLE: %w", err)
	}
	rate, err := strconv.ParseFloat(env("REEL_INGEST_RATE_PER_IP", strconv.FormatFloat(ingest.DefaultPerIP.PerSecond, 'f', -1, 64)), 64)
	if err != nil {
		return c, fmt.Errorf("REEL_INGEST_RATE_PER_IP: %w", err)
	}
	fs.Float64Var(&c.RatePerIP, "ingest-rate-per-ip", rate, "ingest requests per second allowed from one address, burst twice that; 0 or less: unlimited (REEL_INGEST_RATE_PER_IP)")
	openUploads, err := strconv.Atoi(env("REEL_INGEST_OPEN_PER_IP", strconv.Itoa(ingest.DefaultOpenPerIP)))
	if err != nil {
		return c, fmt.Errorf("REEL_INGEST_OPEN_PER_IP: %w", err)
	}
	fs.IntVar(&c.OpenPerIP, "ingest-open-per-ip", openUploads, "ingest uploads one address may have open at once; 0 or less: unlimited (REEL_INGEST_OPEN_PER_IP)")
	fs.StringVar(&c.CountryHeader, "country-header", env("REEL_COUNTRY_HEADER", ""), "request header a trusted proxy sets to the visitor's two-letter country, e.g. CF-IPCountry; empty: not recorded (REEL_COUNTRY_HEADER)")
	fs.StringVar(&c.ClientIPHeader, "client-ip-header", env("REEL_CLIENT_IP_HEADER", ""), "request header a trusted proxy sets to the visitor's address, e.g. X-Real-IP or X-Forwarded-For (its last entry); empty: the connection's address; used for ingest rate limits, login throttling and auth logs (REEL_CLIENT_IP_HEADER)")
	fs.StringVar(&c.GeoIP, "geoip", env("REEL_GEOIP", ""), "MaxMind DB file (GeoLite2-Country.mmdb or similar) to find visitors' countries from their address when no country header says it; empty: off (REEL_GEOIP)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("REEL_METRICS_ADDR", ""), "also serve Prometheus metrics at /metrics on this address without login, e.g. 127.0.0.1:9090 for a scraper on the same host; empty: only on --addr, for admins and admin API tokens (REEL_METRICS_ADDR; docs/metrics.md)")
	fs.StringVar(&c.LLMURL, "llm-url", env("REEL_LLM_URL", ""), "OpenAI-compatible endpoint (…/v1) that rephrases session summaries; off when empty (REEL_LLM_URL; key in REEL_LLM_API_KEY)")
	fs.StringVar(&c.LLMModel, "llm-model", env("REEL_LLM_MODEL", "gpt-4o-mini"), "model name for --llm-url (REEL_LLM_MODEL)")
	fs.StringVar(&c.PublicURL, "public-url", env("REEL_PUBLIC_URL", ""), "URL where people reach this Reel, for links in alerts and share links (REEL_PUBLIC_URL; default: the listen address)")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("REEL_SMTP_URL", ""), "smtp://USER@HOST:PORT (or smtps://) to mail invitations and password reset links, password in REEL_SMTP_PASSWORD; empty: links are only shown (REEL_SMTP_URL)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", env("REEL_SMTP_FROM", ""), "From address of the mails --smtp-url sends, e.g. 'Reel <reel@example.com>' (REEL_SMTP_FROM)")
	fs.DurationVar(&c.CompactIdle, "compact-idle", idle, "compact a session once it has received nothing for this long (REEL_COMPACT_IDLE)")
	lease, err := time.ParseDuration(env("REEL_COMPACT_LEASE", compact.Defaults.Lease.String()))
	if err != nil {
		return c, fmt.Errorf("REEL_COMPACT_LEASE: %w", err)
	}
	fs.DurationVar(&c.CompactLease, "compact-lease", lease, "how long a node holds a session it compacts before another node may take it over, e.g. after the first was killed (REEL_COMPACT_LEASE)")
	archiveOn, err := strconv.ParseBool(env("REEL_ARCHIVE_ASSETS", "true"))
	if err != nil {
		return c, fmt.Errorf("REEL_ARCHIVE_ASSETS: %w", err)
	}
	archivePrivate, err := strconv.ParseBool(env("REEL_ARCHIVE_PRIVATE", "false"))
	if err != nil {
		return c, fmt.Errorf("REEL_ARCHIVE_PRIVATE: %w", err)
	}
	refresh, err := time.ParseDuration(env("REEL_ARCHIVE_REFRESH", archive.Defaults.Refresh.String()))
	if err != nil {
		return c, fmt.Errorf("REEL_ARCHIVE_REFRESH: %w", err)
	}
	fs.BoolVar(&c.ArchiveAssets, "archive-assets", archiveOn, "after compaction, fetch and keep the stylesheets, fonts and images a recording references but could not inline, so replays keep their look (REEL_ARCHIVE_ASSETS; docs/archive.md)")
	fs.BoolVar(&c.ArchivePrivate, "archive-private", archivePrivate, "let --archive-assets fetch from loopback, private and link-local addresses (REEL_ARCHIVE_PRIVATE)")
	fs.DurationVar(&c.ArchiveRefresh, "archive-refresh", refresh, "reuse an archived copy for other sessions this long before fetching its URL again (REEL_ARCHIVE_REFRESH)")
	webhookPrivate, err := strconv.ParseBool(env("REEL_WEBHOOK_PRIVATE", "false"))
	if err != nil {
		return c, fmt.Errorf("REEL_WEBHOOK_PRIVATE: %w", err)
	}
	fs.BoolVar(&c.WebhookPrivate, "webhook-private", webhookPrivate, "let alert webhooks post to loopback, private and link-local addresses, e.g. a chat server on the same network (REEL_WEBHOOK_PRIVATE; docs/api.md Alerts)")
	videoClips, err := strconv.Atoi(env("REEL_VIDEO_CLIPS", "1"))
	if err != nil {
		return c, fmt.Errorf("REEL_VIDEO_CLIPS: %w", err)
	}
	fs.IntVar(&c.VideoClips, "video-clips", videoClips, "clips of sessions the player's \"Download clip\" may have rendered at once, each in a headless Chromium with ffmpeg on this server; 0 turns the endpoint off, for installs that must not run a browser (REEL_VIDEO_CLIPS; docs/export.md)")
	orphanGrace, err := time.ParseDuration(env("REEL_ORPHAN_GRACE", lifecycle.Defaults.OrphanGrace.String()))
	if err != nil {
		return c, fmt.Errorf("REEL_ORPHAN_GRACE: %w", err)
	}
	fs.DurationVar(&c.OrphanGrace, "orphan-grace", orphanGrace, "the orphan sweep deletes objects no index row references once they are this old; at least 10m, above the longest time between writing an object and committing its index rows (REEL_ORPHAN_GRACE; docs/storage.md)")
	fs.StringVar(&c.Demo, "demo", env("REEL_DEMO", "auto"), "serve the demo shop at /demo/, recording into the default project: true, false, or auto, which is off when --public-url is https (a production install) and on otherwise (REEL_DEMO)")
	auditRetention := env("REEL_AUDIT_RETENTION", "365d")
	fs.StringVar(&auditRetention, "audit-retention", auditRetention, "keep audit log entries this long, in days (365d) or as a duration; at least 1d (REEL_AUDIT_RETENTION; docs/auth.md)")
	fs.StringVar(&c.OIDC.Issuer, "oidc-issuer", env("REEL_OIDC_ISSUER", ""), "OpenID Connect issuer URL for single sign-on, e.g. https://accounts.google.com; empty: off (REEL_OIDC_ISSUER; secret in REEL_OIDC_CLIENT_SECRET; docs/auth.md)")
	fs.StringVar(&c.OIDC.ClientID, "oidc-client-id", env("REEL_OIDC_CLIENT_ID", ""), "client ID Reel is registered with at the provider, whose redirect URI is --public-url + /api/v1/auth/oidc/callback (REEL_OIDC_CLIENT_ID)")
	fs.StringVar(&c.OIDC.AllowedDomains, "oidc-allowed-domains", env("REEL_OIDC_ALLOWED_DOMAINS", ""), "comma-separated email domains that may sign in through the provider; empty: any verified email (REEL_OIDC_ALLOWED_DOMAINS)")
	fs.StringVar(&c.OIDC.DefaultRole, "oidc-default-role", env("REEL_OIDC_DEFAULT_ROLE", "viewer"), "role of a user created at their first single sign-on: owner, admin, member or viewer (REEL_OIDC_DEFAULT_ROLE)")
	fs.StringVar(&c.OIDC.DefaultProjects, "oidc-default-projects", env("REEL_OIDC_DEFAULT_PROJECTS", ""), "comma-separated projects a member or viewer created at their first single sign-on may see; empty: none until an admin gives them some (REEL_OIDC_DEFAULT_PROJECTS)")
	fs.StringVar(&c.OIDC.Name, "oidc-name", env("REEL_OIDC_NAME", "single sign-on"), `the login button says "Sign in with NAME" (REEL_OIDC_NAME)`)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.OIDC.ClientSecret = os.Getenv("REEL_OIDC_CLIENT_SECRET")
	if c.OIDC.Issuer != "" && !auth.ValidRole(c.OIDC.DefaultRole) {
		return c, fmt.Errorf("--oidc-default-role must be one of %s, not %q", strings.Join(auth.Roles, ", "), c.OIDC.DefaultRole)
	}
	if _, err := demoOn(c); err != nil {
		return c, err
	}
	if c.AuditRetention, err = parseDays(auditRetention); err != nil {
		return c, fmt.Errorf("--audit-retention: %w", err)
	}
	if c.AuditRetention < 24*time.Hour {
		return c, errors.New("--audit-retention must be at least 1d")
	}
	// A shorter grace could take an object whose index commit is merely slow (an S3 PUT that
	// retried for minutes) for an orphan.
	if c.OrphanGrace < minOrphanGrace {
		return c, fmt.Errorf("--orphan-grace must be at least %s", minOrphanGrace)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	c.AdminPassword = os.Getenv("REEL_ADMIN_PASSWORD")
	c.AdminToken = os.Getenv("REEL_ADMIN_TOKEN")
	c.SMTPPassword = os.Getenv("REEL_SMTP_PASSWORD")
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return c, errors.New("REEL_ADMIN_TOKEN must be at least 16 characters")
	}
	return c, nil
}

// demoOn says whether to serve the demo shop. It is a toy wired to the default project on the
// dashboard's own origin, so an install people reach over https, a real one, leaves it off
// unless asked.
func demoOn(c serveConfig) (bool, error) {
	switch strings.ToLower(c.Demo) {
	case "auto", "":
		return !strings.HasPrefix(c.PublicURL, "https://"), nil
	case "true", "on", "1":
		return true, nil
	case "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("--demo must be true, false or auto, not %q", c.Demo)
}

// minOrphanGrace is the shortest --orphan-grace: twice the S3 store's 5 minutes for one call.
const minOrphanGrace = 10 * time.Minute

func newLogger(c serveConfig, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
}

func serve(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, args, stdout, stderr)
}

// serveUntil runs the server until ctx ends (a signal, or a test).
func serveUntil(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	// Without GOMEMLIMIT the collector lets the heap grow to twice what is live; under a
	// flood of large batches that doubles the footprint. A soft limit just above the ingest
	// memory budget makes it collect harder instead (docs/ingest.md states the bound).
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ingest.DefaultMemoryBudget + 128<<20)
	}
	// REEL_CPUPROFILE=FILE profiles the whole run, for `go tool pprof` (bench/ingest uses it).
	if path := os.Getenv("REEL_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	if err := privateDir(c.Data); err != nil {
		return err
	}
	// The embedded index has one server: it locks the data directory, and sweeps what a
	// crash left before it writes anything itself.
	embedded := c.DB == ""
	if embedded {
		release, err := lockData(c.Data)
		if err != nil {
			return err
		}
		defer release()
	}
	db, indexAt, err := openIndex(ctx, c.DB, c.Data)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("index", "db", indexAt)
	blobs, blobsAt, err := openBlobs(ctx, c.Blobs, c.Data)
	if err != nil {
		return err
	}
	log.Info("blob store", "blobs", blobsAt)
	m := metrics.New()
	blobs = m.Blobs(blobs)
	first, err := setup.Run(ctx, db, setup.Options{AdminEmail: c.AdminEmail, AdminPassword: c.AdminPassword})
	if err != nil {
		return err
	}

	authn := auth.New(db, log, auth.Options{AdminToken: c.AdminToken, SecureCookies: strings.HasPrefix(c.PublicURL, "https://"), ClientIPHeader: c.ClientIPHeader})
	perIP := ingest.RateLimit{PerSecond: c.RatePerIP, Burst: int(2 * c.RatePerIP)}
	if c.RatePerIP <= 0 {
		perIP = ingest.RateLimit{PerSecond: -1}
	}
	openPerIP := c.OpenPerIP
	if openPerIP <= 0 {
		openPerIP = -1
	}
	iopts := ingest.Options{PerIP: perIP, OpenPerIP: openPerIP, CountryHeader: c.CountryHeader, ClientIPHeader: c.ClientIPHeader, Observe: m}
	if c.GeoIP != "" {
		countries, err := geoip.Open(c.GeoIP)
		if err != nil {
			return err
		}
		defer countries.Close()
		iopts.Countries = countries
		log.Info("visitors' countries are looked up in a GeoIP database", "file", c.GeoIP, "database", countries.Describe())
	}
	ih := ingest.New(db, blobs, log, iopts)
	cache := layout.NewCache(blobs, 64<<20)
	life := lifecycle.New(db, blobs, log, lifecycle.Options{OrphanGrace: c.OrphanGrace, AuditRetention: c.AuditRetention}, cache)
	apiH := api.New(db, blobs, authn, log, cache, life)
	apiH.SetObserver(m)
	apiH.SetVideoClips(c.VideoClips)
	var mailer *mail.Mailer
	if c.SMTPURL != "" {
		if mailer, err = mail.New(c.SMTPURL, c.SMTPPassword, c.SMTPFrom); err != nil {
			return err
		}
		log.Info("invitations and reset links are mailed", "smtp", mailer.Describe())
	}
	apiH.SetAudit(audit.New(db, log, audit.Options{ClientIPHeader: c.ClientIPHeader}))
	compactor := compact.New(db, blobs, log, compact.Options{Idle: c.CompactIdle, Lease: c.CompactLease, Cache: cache, Observe: m})
	life.SetCompactor(compactor)
	var archiver *archive.Archiver
	if c.ArchiveAssets {
		archiver = archive.New(db, blobs, cache, log, archive.Options{AllowPrivate: c.ArchivePrivate, Refresh: c.ArchiveRefresh, Observe: m})
		compactor.SetArchiver(archiver)
		if c.ArchivePrivate {
			log.Info("archiving may fetch from loopback, private and link-local addresses (--archive-private)")
		}
	}
	if rw := rewrite.New(rewrite.Options{URL: c.LLMURL, Model: c.LLMModel, APIKey: os.Getenv("REEL_LLM_API_KEY")}); rw != nil {
		compactor.SetRewriter(rw)
		log.Info("session summaries are rephrased by a language model", "endpoint", c.LLMURL, "model", c.LLMModel)
	}

	// Packs, compacted objects and temporary files a killed process left unreferenced may
	// hold text of people erased later; on the embedded index nothing else writes, so they
	// go now, whatever their age, before this server writes or serves anything (nodes sharing
	// PostgreSQL leave them to the periodic sweep's grace period). docs/storage.md.
	if embedded {
		rep, err := life.SweepCrashLeftovers(ctx)
		if err != nil {
			return fmt.Errorf("sweeping crash leftovers: %w", err)
		}
		log.Info("crash leftovers swept", "deleted", rep.Deleted, "temps", rep.Temps, "listed", rep.Listed)
	}

	// Background work lives as long as the server; it stops first on shutdown.
	var wg sync.WaitGroup
	workCtx, stopWork := context.WithCancel(ctx)
	defer func() { stopWork(); wg.Wait() }()
	wg.Go(func() { compactor.Run(workCtx) })
	wg.Go(func() { compact.NewLive(compactor, db, compact.LiveOptions{}).Run(workCtx) })
	if archiver != nil {
		wg.Go(func() { archiver.Run(workCtx) })
	}
	wg.Go(func() { life.Run(workCtx) })

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	publicURL := c.PublicURL
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String()
	}
	links := api.LinkOptions{PublicURL: publicURL}
	if mailer != nil {
		links.Mail = mailer
	}
	apiH.SetLinks(links)
	signOn, err := newSSO(c, db, authn, log, publicURL)
	if err != nil {
		ln.Close()
		return err
	}

	var demoH http.Handler
	if on, _ := demoOn(c); on {
		demoH = demo.Handler(first.Project.PublicKey)
	} else {
		log.Info("the demo shop is off (--demo)")
	}
	alerts := alert.New(db, publicURL, log, alert.Options{AllowPrivate: c.WebhookPrivate})
	apiH.SetAlertTester(alerts)
	handler := server.Routes(server.Components{
		API:       apiH,
		Auth:      authn,
		Ingest:    ih,
		SDKConfig: ih.SDKConfig(),
		UI:        ui.Handler(),
		SDK:       sdk.Handler(),
		Demo:      demoH,
		SSO:       signOn,
		Metrics:   m,
		Log:       log,
	})
	if c.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on --metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		wg.Go(func() {
			if err := server.Run(workCtx, mln, mux, log, time.Second); err != nil {
				log.Error("metrics listener stopped", "err", err)
			}
		})
		log.Info("metrics are served without login on --metrics-addr", "addr", mln.Addr().String())
	}
	if c.WebhookPrivate {
		log.Info("alert webhooks may post to loopback, private and link-local addresses (--webhook-private)")
	}
	wg.Go(func() { alerts.Run(workCtx, time.Minute) })
	printBanner(stdout, ln.Addr().String(), c, indexAt, blobsAt, first)
	log.Info("listening", "addr", ln.Addr().String(), "data", c.Data, "version", version)
	return server.Run(ctx, ln, handler, log, 15*time.Second)
}

func printBanner(w io.Writer, addr string, c serveConfig, indexAt, blobsAt string, first setup.Result) {
	base := "http://" + addr
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "::" || host == "0.0.0.0" || host == "") {
		base = "http://localhost:" + port
	}
	password := "(set on first run; set REEL_ADMIN_PASSWORD to change it)"
	switch {
	case first.GeneratedPassword != "":
		password = first.GeneratedPassword + "   (generated now and shown only this once)"
	case first.PasswordFromEnv:
		password = "(from REEL_ADMIN_PASSWORD)"
	}
	demoLine := ""
	if on, _ := demoOn(c); on {
		demoLine = fmt.Sprintf("  Demo shop   %s/demo/   (recorded into the default project: click around, then open the dashboard)\n", base)
	}
	storage := "embedded storage in " + c.Data
	if c.Blobs != "" || c.DB != "" {
		storage = "index in " + indexAt + ", objects in " + blobsAt
	}
	fmt.Fprintf(w, `
  Reel %s is running (%s)

  Dashboard   %s/
%s  Login       %s
  Password    %s
  Public key  %s   (project %q)

`, version, storage, base, demoLine, first.AdminEmail, password, first.Project.PublicKey, first.Project.ID)
}

// eraseUser answers a GDPR/CCPA erasure request from the command line. It works on the data
// directory (and the --blobs store) directly, so it also works while the server is stopped;
// with the server running, SQLite's locking keeps the two consistent.
func eraseUser(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("reel erase-user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("REEL_DATA", "./reel-data"), "data directory (REEL_DATA)")
	project := fs.String("project", setup.DefaultProjectID, "project id")
	blobsSpec := fs.String("blobs", env("REEL_BLOBS", ""), blobsUsage)
	dbSpec := fs.String("db", env("REEL_DB", ""), dbUsage)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
		return errors.New("usage: reel erase-user [--data DIR] [--db URL] [--blobs URL] [--project ID] USER_ID")
	}
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(*data, "index.db")); err != nil && *dbSpec == "" {
		return fmt.Errorf("no Reel data in %s: %w", *data, err)
	}
	db, _, err := openIndex(ctx, *dbSpec, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	// A server on local files always has DATA/blobs (it creates it at start); one on S3 never
	// does. Without this check, forgetting --blobs here would delete the index rows and report
	// success while the person's recordings stay in the bucket.
	if _, err := os.Stat(filepath.Join(*data, "blobs")); *blobsSpec == "" && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no objects in %s: if the server keeps them on S3, give erase-user the same --blobs (or REEL_BLOBS)", filepath.Join(*data, "blobs"))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	blobs, _, err := openBlobs(ctx, *blobsSpec, *data)
	if err != nil {
		return err
	}
	life := lifecycle.New(db, blobs, log, lifecycle.Options{})
	life.SetCompactor(compact.New(db, blobs, log, compact.Options{}))
	rep, err := life.EraseUser(ctx, *project, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "erased user %q in project %q: %d sessions, %d stored content items no other session used\n", fs.Arg(0), *project, rep.Sessions, rep.Content)
	return nil
}
