package geoip_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/reelhq/reel/internal/geoip"
	"github.com/reelhq/reel/internal/geoip/geoiptest"
)

func TestCountry(t *testing.T) {
	path := geoiptest.Write(t,
		geoiptest.Network{CIDR: "81.0.0.0/8", Country: "de", Registered: "DE"},
		geoiptest.Network{CIDR: "2a02:8000::/24", Country: "FR"},
		geoiptest.Network{CIDR: "100.0.0.0/8", Registered: "US"},   // satellite / anycast: only registered
		geoiptest.Network{CIDR: "150.0.0.0/8", Country: "XX"},      // "unknown" placeholder
		geoiptest.Network{CIDR: "160.0.0.0/8", Country: "Germany"}, // not a code
		geoiptest.Network{CIDR: "10.0.0.0/8", Country: "DE"},       // private: never looked up
	)
	db, err := geoip.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for ip, want := range map[string]string{
		"81.2.3.4":        "DE",
		"::ffff:81.2.3.4": "DE", // IPv4-mapped, as a dual-stack listener reports it
		"2a02:8000:1::7":  "FR",
		"100.1.2.3":       "US",
		"150.1.2.3":       "",
		"160.1.2.3":       "",
		"10.1.2.3":        "",
		"127.0.0.1":       "",
		"9.9.9.9":         "", // not in the file
		"fe80::1":         "",
	} {
		if got := db.Country(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Country(%s) = %q, want %q", ip, got, want)
		}
	}
	if got := db.Country(netip.Addr{}); got != "" {
		t.Errorf("Country(invalid) = %q", got)
	}
	if d := db.Describe(); d == "" {
		t.Error("no description")
	}
}

func TestOpenRefusesWhatIsNotAnMMDB(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "countries.mmdb")
	if err := os.WriteFile(bad, []byte("country,code\nGermany,DE\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, filepath.Join(dir, "missing.mmdb"), dir} {
		if db, err := geoip.Open(p); err == nil {
			db.Close()
			t.Errorf("Open(%s) accepted it", p)
		}
	}
}
