package sso

import (
	"net/http"

	"github.com/reelhq/reel/internal/apierror"
)

// Config answers GET /api/v1/auth/config for the login page, before anyone is signed in:
// whether single sign-on is on, and the label of its button.
func (s *SSO) Config() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		type oidcConfig struct {
			Name     string `json:"name"`
			StartURL string `json:"startUrl"`
		}
		body := struct {
			Password bool        `json:"password"`
			OIDC     *oidcConfig `json:"oidc"`
		}{Password: true}
		if s != nil {
			body.OIDC = &oidcConfig{Name: s.opts.Name, StartURL: StartPath}
		}
		w.Header().Set("Cache-Control", "no-store")
		apierror.JSON(w, http.StatusOK, body)
	})
}
