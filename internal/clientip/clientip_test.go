package clientip

import (
	"net/http/httptest"
	"testing"
)

func TestFrom(t *testing.T) {
	for _, tc := range []struct {
		name, header, value, remote, want string
	}{
		{"no header configured: the connection, whatever the request claims", "", "203.0.113.9", "192.0.2.1:5555", "192.0.2.1"},
		{"configured header", "X-Real-IP", "203.0.113.9", "192.0.2.1:5555", "203.0.113.9"},
		{"last entry of X-Forwarded-For", "X-Forwarded-For", "10.9.9.9, 198.51.100.4", "192.0.2.1:5555", "198.51.100.4"},
		{"IPv6 normalised", "X-Real-IP", " 2001:DB8::1 ", "192.0.2.1:5555", "2001:db8::1"},
		{"header missing: the connection", "X-Real-IP", "", "192.0.2.1:5555", "192.0.2.1"},
		{"not an address: the connection", "X-Real-IP", "<script>", "192.0.2.1:5555", "192.0.2.1"},
		{"hostile trailing comma: the connection", "X-Forwarded-For", "203.0.113.9,", "192.0.2.1:5555", "192.0.2.1"},
		{"remote without a port", "", "", "192.0.2.1", "192.0.2.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			if tc.value != "" {
				r.Header.Set("X-Real-IP", tc.value)
				r.Header.Set("X-Forwarded-For", tc.value)
			}
			if got := From(r, tc.header); got != tc.want {
				t.Errorf("From = %q, want %q", got, tc.want)
			}
		})
	}
}
