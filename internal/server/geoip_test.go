package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/reelhq/reel/internal/geoip"
	"github.com/reelhq/reel/internal/geoip/geoiptest"
	"github.com/reelhq/reel/internal/ingest"
)

// A visitor's country comes from the trusted proxy's country header, else from the operator's
// GeoIP database looked up with the address the trusted proxy reports; nothing else a browser
// sends can set it.
func TestCountryFromGeoIP(t *testing.T) {
	db, err := geoip.Open(geoiptest.Write(t,
		geoiptest.Network{CIDR: "81.0.0.0/8", Country: "DE"},
		geoiptest.Network{CIDR: "2a02:8000::/24", Country: "FR"},
	))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := newStackWith(t, ingest.Options{CountryHeader: "CF-IPCountry", ClientIPHeader: "X-Forwarded-For", Countries: db})
	send := func(session string, header ...string) {
		t.Helper()
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintf(zw, `{"session":%q,"tab":"tab_000001","seq":0,"meta":{},"events":[%s]}`, session, page(1764237600000, "http://shop/"))
		zw.Close()
		if r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+s.key, &buf, header...); r.Status != 200 {
			t.Fatalf("ingest %s = %d %s", session, r.Status, r.Body)
		}
	}
	send("s_geo_de_0001", "X-Forwarded-For", "81.2.3.4")
	send("s_geo_fr_0001", "X-Forwarded-For", "2a02:8000:1::7")
	// The last address is the one the trusted proxy added; what the browser put first is not.
	send("s_geo_de_0002", "X-Forwarded-For", "2a02:8000:1::7, 81.9.9.9")
	// The country header wins over the lookup.
	send("s_geo_us_0001", "X-Forwarded-For", "81.2.3.4", "CF-IPCountry", "US")
	// Addresses the database does not know, garbage, and no header at all (the connection is
	// loopback): no country.
	send("s_geo_none001", "X-Forwarded-For", "9.9.9.9")
	send("s_geo_none002", "X-Forwarded-For", "<script>")
	send("s_geo_none003")

	for q, want := range map[string][]string{
		"country:DE": {"s_geo_de_0001", "s_geo_de_0002"},
		"country:FR": {"s_geo_fr_0001"},
		"country:US": {"s_geo_us_0001"},
	} {
		r, l := s.search(t, url.Values{"q": {q}})
		got := ids(l)
		slices.Sort(got)
		if r.Status != 200 || !slices.Equal(got, want) {
			t.Errorf("%s = %d %v, want %v", q, r.Status, got, want)
		}
	}
	r, l := s.search(t, url.Values{"q": {"-country:DE -country:FR -country:US"}})
	got := ids(l)
	slices.Sort(got)
	if want := []string{"s_geo_none001", "s_geo_none002", "s_geo_none003"}; r.Status != 200 || !slices.Equal(got, want) {
		t.Errorf("sessions without a country = %v, want %v", got, want)
	}
}
