package auth

import (
	"crypto/tls"
	"log/slog"
	"net/http/httptest"
	"testing"
)

// Behind a proxy that terminates TLS, Reel sees plain HTTP; when people reach it over https
// (--public-url https://…) the login cookie is Secure all the same, set and cleared alike.
func TestLoginCookieSecureBehindTLSProxy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secure bool
		tls    bool
		want   bool
	}{
		{"plain http, no https public URL", false, false, false},
		{"https public URL behind a proxy", true, false, true},
		{"TLS on the connection itself", false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := New(nil, slog.New(slog.DiscardHandler), Options{SecureCookies: tc.secure})
			req := httptest.NewRequest("POST", "http://reel.example/api/v1/auth/login", nil)
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			set := httptest.NewRecorder()
			a.SetCookie(set, req, "token")
			clear := httptest.NewRecorder()
			a.ClearCookie(clear, req)
			for what, rec := range map[string]*httptest.ResponseRecorder{"set": set, "cleared": clear} {
				cs := rec.Result().Cookies()
				if len(cs) != 1 || cs[0].Secure != tc.want || !cs[0].HttpOnly {
					t.Errorf("%s cookie = %+v, want Secure=%v and HttpOnly", what, cs, tc.want)
				}
			}
		})
	}
}
