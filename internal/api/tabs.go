package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

type tabJSON struct {
	ID      string    `json:"id"`
	FirstAt time.Time `json:"firstAt"`
	LastAt  time.Time `json:"lastAt"`
	Events  int       `json:"events"`
}

// Tabs lists the browser tabs of a session in the order they opened, so the player can offer
// one timeline per tab (events?tab=).
func (a *API) Tabs(w http.ResponseWriter, r *http.Request) error {
	return a.writeTabs(w, r, r.PathValue("id"))
}

// SharedTabs is Tabs for the session a share link grants.
func (a *API) SharedTabs(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	return a.writeTabs(w, r, g.SessionID)
}

func (a *API) writeTabs(w http.ResponseWriter, r *http.Request, id string) error {
	ctx := r.Context()
	if _, err := a.getSession(ctx, id); errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	} else if err != nil {
		return err
	}
	chunks, err := a.events.Chunks(ctx, id)
	if err != nil {
		return err
	}
	var tabs []tabJSON
	at := map[string]int{}
	for _, c := range chunks {
		i, ok := at[c.Tab]
		if !ok {
			i = len(tabs)
			at[c.Tab] = i
			tabs = append(tabs, tabJSON{ID: c.Tab, FirstAt: c.FirstAt, LastAt: c.LastAt})
		}
		t := &tabs[i]
		if c.FirstAt.Before(t.FirstAt) {
			t.FirstAt = c.FirstAt
		}
		if c.LastAt.After(t.LastAt) {
			t.LastAt = c.LastAt
		}
		t.Events += c.Events
	}
	// Chunks come ordered by tab id; the player wants the order the tabs opened in.
	for i := 1; i < len(tabs); i++ {
		for j := i; j > 0 && tabs[j].FirstAt.Before(tabs[j-1].FirstAt); j-- {
			tabs[j], tabs[j-1] = tabs[j-1], tabs[j]
		}
	}
	if tabs == nil {
		tabs = []tabJSON{}
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"tabs": tabs})
	return nil
}
