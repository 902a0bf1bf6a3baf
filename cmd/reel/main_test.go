package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestConfigFromFlagsAndEnv(t *testing.T) {
	t.Setenv("REEL_DATA", "/from/env")
	t.Setenv("REEL_ADDR", "127.0.0.1:9999")
	t.Setenv("REEL_COMPACT_IDLE", "3m")
	t.Setenv("REEL_ADMIN_TOKEN", "a-token-that-is-long-enough")
	var stderr bytes.Buffer
	c, err := parseServe([]string{"--addr", "127.0.0.1:7000"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	// A flag beats the environment, the environment beats the default.
	if c.Addr != "127.0.0.1:7000" || c.Data != "/from/env" || c.CompactIdle != 3*time.Minute || c.AdminToken == "" || c.AdminEmail != "admin@reel.local" {
		t.Fatalf("config = %+v", c)
	}
	if c.Blobs != "" {
		t.Fatalf("blobs default = %q, want files under --data", c.Blobs)
	}
	if c.OpenPerIP != 64 {
		t.Fatalf("open uploads per address default = %d", c.OpenPerIP)
	}
	t.Setenv("REEL_INGEST_OPEN_PER_IP", "8")
	if c, err := parseServe(nil, &stderr); err != nil || c.OpenPerIP != 8 {
		t.Fatalf("REEL_INGEST_OPEN_PER_IP=8: %d, %v", c.OpenPerIP, err)
	}
	if c, err := parseServe([]string{"--ingest-open-per-ip", "0"}, &stderr); err != nil || c.OpenPerIP != 0 {
		t.Fatalf("--ingest-open-per-ip 0: %d, %v", c.OpenPerIP, err)
	}
	t.Setenv("REEL_INGEST_OPEN_PER_IP", "many")
	if _, err := parseServe(nil, &stderr); err == nil {
		t.Fatal("REEL_INGEST_OPEN_PER_IP=many accepted")
	}
	t.Setenv("REEL_INGEST_OPEN_PER_IP", "")
	t.Setenv("REEL_BLOBS", "s3://reel?region=eu-west-1")
	if c, err := parseServe(nil, &stderr); err != nil || c.Blobs != "s3://reel?region=eu-west-1" {
		t.Fatalf("REEL_BLOBS = %q, %v", c.Blobs, err)
	}
	// Archiving is on by default, private addresses off; either can be changed by env or flag.
	if !c.ArchiveAssets || c.ArchivePrivate || c.ArchiveRefresh != 24*time.Hour {
		t.Fatalf("archive defaults = %v %v %v", c.ArchiveAssets, c.ArchivePrivate, c.ArchiveRefresh)
	}
	t.Setenv("REEL_ARCHIVE_PRIVATE", "true")
	if c, err = parseServe([]string{"--archive-assets=false", "--archive-refresh", "2h"}, &stderr); err != nil || c.ArchiveAssets || !c.ArchivePrivate || c.ArchiveRefresh != 2*time.Hour {
		t.Fatalf("archive settings = %v %v %v, %v", c.ArchiveAssets, c.ArchivePrivate, c.ArchiveRefresh, err)
	}
	// Webhooks stay off private addresses unless told; the archive's switch does not change that.
	if c.WebhookPrivate {
		t.Fatal("--archive-private let webhooks post to private addresses")
	}
	t.Setenv("REEL_WEBHOOK_PRIVATE", "true")
	if c, err := parseServe(nil, &stderr); err != nil || !c.WebhookPrivate {
		t.Fatalf("REEL_WEBHOOK_PRIVATE = %v, %v", c.WebhookPrivate, err)
	}
	if c, err := parseServe([]string{"--webhook-private=false"}, &stderr); err != nil || c.WebhookPrivate {
		t.Fatalf("--webhook-private=false = %v, %v", c.WebhookPrivate, err)
	}
	// Orphans are kept an hour by default.
	if c.OrphanGrace != time.Hour {
		t.Fatalf("orphan grace default = %s", c.OrphanGrace)
	}
	// Audit entries are kept a year unless told otherwise, in days or as a duration.
	if c.AuditRetention != 365*24*time.Hour {
		t.Fatalf("audit retention default = %s", c.AuditRetention)
	}
	if c, err = parseServe([]string{"--audit-retention", "30d"}, &stderr); err != nil || c.AuditRetention != 30*24*time.Hour {
		t.Fatalf("--audit-retention 30d = %s, %v", c.AuditRetention, err)
	}
	t.Setenv("REEL_AUDIT_RETENTION", "48h")
	if c, err = parseServe(nil, &stderr); err != nil || c.AuditRetention != 48*time.Hour {
		t.Fatalf("REEL_AUDIT_RETENTION=48h = %s, %v", c.AuditRetention, err)
	}
	t.Setenv("REEL_ORPHAN_GRACE", "3h")
	if c, err = parseServe(nil, &stderr); err != nil || c.OrphanGrace != 3*time.Hour {
		t.Fatalf("REEL_ORPHAN_GRACE = %s, %v", c.OrphanGrace, err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"short admin token", map[string]string{"REEL_ADMIN_TOKEN": "short"}, nil, "at least 16"},
		{"bad compact idle", map[string]string{"REEL_COMPACT_IDLE": "soon"}, nil, "REEL_COMPACT_IDLE"},
		{"bad rate", map[string]string{"REEL_INGEST_RATE_PER_IP": "lots"}, nil, "REEL_INGEST_RATE_PER_IP"},
		{"bad archive switch", map[string]string{"REEL_ARCHIVE_ASSETS": "maybe"}, nil, "REEL_ARCHIVE_ASSETS"},
		{"bad webhook switch", map[string]string{"REEL_WEBHOOK_PRIVATE": "perhaps"}, nil, "REEL_WEBHOOK_PRIVATE"},
		{"bad orphan grace", map[string]string{"REEL_ORPHAN_GRACE": "a while"}, nil, "REEL_ORPHAN_GRACE"},
		{"orphan grace too short", nil, []string{"--orphan-grace", "1m"}, "at least 10m"},
		{"bad audit retention", map[string]string{"REEL_AUDIT_RETENTION": "forever"}, nil, "--audit-retention"},
		{"audit retention too short", nil, []string{"--audit-retention", "2h"}, "at least 1d"},
		{"stray argument", nil, []string{"extra"}, "unexpected arguments"},
		{"bad demo switch", map[string]string{"REEL_DEMO": "sometimes"}, nil, "--demo must be true, false or auto"},
		{"unknown flag", nil, []string{"--nope"}, "not defined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stderr bytes.Buffer
			_, err := parseServe(tc.args, &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
				t.Fatalf("err = %v, stderr %q; want %q", err, stderr.String(), tc.want)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"version"}, &out, &errOut); err != nil || !strings.HasPrefix(out.String(), "reel ") {
		t.Fatalf("version = %q, %v", out.String(), err)
	}
	if err := run([]string{"frobnicate"}, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "Usage:") {
		t.Fatalf("unknown command: %v, %q", err, errOut.String())
	}
	if err := run(nil, &out, &errOut); err == nil {
		t.Fatal("no command accepted")
	}
	if err := run([]string{"erase-user", "--data", t.TempDir(), "u1"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "no Reel data") {
		t.Fatalf("erase-user on an empty dir: %v", err)
	}
	// A GeoIP file that cannot be read stops serve before it listens, saying which file.
	missing := t.TempDir() + "/GeoLite2-Country.mmdb"
	if err := run([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--geoip", missing}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "GeoLite2-Country.mmdb") {
		t.Fatalf("serve with a missing GeoIP file: %v", err)
	}
}

// TestDemoFlag: the demo shop is a toy recording into the default project on the dashboard's
// origin, so a server reached over https leaves it off unless --demo=true says otherwise; when
// served, it carries a Content-Security-Policy.
func TestDemoFlag(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		env       string
		wantDemo  bool
		wantInCSP string
	}{
		{"plain http, auto", nil, "", true, "script-src 'self'"},
		{"https public URL, auto", []string{"--public-url", "https://reel.example"}, "", false, ""},
		{"https public URL, --demo=true", []string{"--public-url", "https://reel.example", "--demo", "true"}, "", true, "connect-src 'self'"},
		{"plain http, REEL_DEMO=false", nil, "false", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("REEL_DEMO", tc.env)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var stdout syncBuffer
			done := make(chan error, 1)
			go func() {
				done <- serveUntil(ctx, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "warn"}, tc.args...), &stdout, io.Discard)
			}()
			t.Cleanup(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("serve: %v", err)
				}
			})
			var base string
			for base == "" {
				if m := dashboardLine.FindStringSubmatch(stdout.String()); m != nil {
					base = m[1]
				}
				select {
				case err := <-done:
					done <- nil // for the cleanup
					t.Fatalf("serve ended: %v", err)
				case <-time.After(20 * time.Millisecond):
				}
			}
			if got := strings.Contains(stdout.String(), "Demo shop"); got != tc.wantDemo {
				t.Errorf("banner names the demo shop = %v, want %v:\n%s", got, tc.wantDemo, stdout.String())
			}
			for _, path := range []string{"/demo/", "/demo/cart.html", "/demo/config.js"} {
				res, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				csp := res.Header.Get("Content-Security-Policy")
				if tc.wantDemo && (res.StatusCode != 200 || !strings.Contains(csp, tc.wantInCSP) || !strings.Contains(csp, "frame-ancestors 'none'")) {
					t.Errorf("GET %s = %d, CSP %q; want 200 with a CSP holding %q", path, res.StatusCode, csp, tc.wantInCSP)
				}
				if !tc.wantDemo && res.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s = %d with the demo off, want 404", path, res.StatusCode)
				}
			}
		})
	}
}

var dashboardLine = regexp.MustCompile(`Dashboard\s+(http://\S+)/\n`)
