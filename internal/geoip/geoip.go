// Package geoip maps a visitor's IP address to a country with a MaxMind DB file the operator
// supplies: MaxMind's GeoLite2 or GeoIP2 Country or City, or any MMDB file whose records hold
// country.iso_code (DB-IP's free country database does). Reel ships no database and looks
// nothing up over the network; the address itself is never stored.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB answers country lookups from one MMDB file, safely from many goroutines.
type DB struct {
	r *maxminddb.Reader
}

// record is the part of a country or city record Reel reads.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// Open opens the MMDB file at path and checks that it answers with countries.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: open %s: %w", path, err)
	}
	if r.Metadata.IPVersion != 4 && r.Metadata.IPVersion != 6 {
		r.Close()
		return nil, fmt.Errorf("geoip: %s: unknown IP version %d", path, r.Metadata.IPVersion)
	}
	return &DB{r: r}, nil
}

// Country returns the ISO 3166 alpha-2 code (upper case) of the country the address is in,
// or of the country it is registered to when the database does not say where it is; "" when
// the database does not know the address or it is not a public one.
func (d *DB) Country(ip netip.Addr) string {
	if d == nil || !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsMulticast() {
		return ""
	}
	var rec record
	if err := d.r.Lookup(ip).Decode(&rec); err != nil {
		return ""
	}
	for _, c := range []string{rec.Country.ISOCode, rec.RegisteredCountry.ISOCode} {
		if code := strings.ToUpper(c); validCode(code) {
			return code
		}
	}
	return ""
}

// Describe names the database for logs: its type and build date.
func (d *DB) Describe() string {
	m := d.r.Metadata
	return fmt.Sprintf("%s (built %s)", m.DatabaseType, m.BuildTime().UTC().Format("2006-01-02"))
}

// Close releases the file.
func (d *DB) Close() error {
	if d == nil {
		return errors.New("geoip: close of a nil database")
	}
	return d.r.Close()
}

func validCode(c string) bool {
	return len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c != "XX"
}
