// Package geoiptest writes small MaxMind DB files for tests, laid out as MaxMind's country
// databases are (country.iso_code, registered_country.iso_code).
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Network is one entry: a CIDR and the countries its record names ("" leaves one out).
type Network struct {
	CIDR, Country, Registered string
}

// Write writes an MMDB file with the networks into t's temporary directory and returns its path.
func Write(t testing.TB, networks ...Network) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Reel-Test-Country", IncludeReservedNetworks: true, IPVersion: 6})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range networks {
		_, network, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{}
		if n.Country != "" {
			rec["country"] = mmdbtype.Map{"iso_code": mmdbtype.String(n.Country)}
		}
		if n.Registered != "" {
			rec["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(n.Registered)}
		}
		if err := w.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "countries.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
