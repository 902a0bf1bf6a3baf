package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client reads a running Reel server's API with an API token (reel tokens create).
type Client struct {
	Server string // base URL, e.g. http://127.0.0.1:8080
	Token  string
	HTTP   *http.Client
}

// ErrUnauthorized is a 401 from the server: no token, or one it does not accept.
var ErrUnauthorized = errors.New("the server answered 401 Unauthorized: set REEL_TOKEN to an API token (reel tokens create)")

// Get implements Getter over HTTP.
func (c *Client) Get(ctx context.Context, path string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.Server, "/")+path, nil)
	if err != nil {
		return nil, "", fmt.Errorf("--server %s: %w", c.Server, err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("cannot reach the Reel server at %s (--server or REEL_SERVER): %w", c.Server, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, "", ErrUnauthorized
	}
	if resp.StatusCode/100 != 2 {
		return nil, "", ParseError(resp.StatusCode, b)
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// Search lists the ids of every session query matches in project (empty: the server's
// default), following the list's cursors to the last page.
func Search(ctx context.Context, g Getter, query, project string) ([]string, error) {
	var ids []string
	cursor := ""
	for {
		q := url.Values{"q": {query}, "limit": {"200"}}
		if project != "" {
			q.Set("project", project)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		b, _, err := g.Get(ctx, "/api/v1/sessions?"+q.Encode())
		var se *StatusError
		if errors.As(err, &se) && se.Code == "bad_query" {
			return nil, fmt.Errorf("--query %q: %s", query, se.Message)
		}
		if err != nil {
			return nil, fmt.Errorf("searching sessions: %w", err)
		}
		var page struct {
			Sessions []struct {
				ID string `json:"id"`
			} `json:"sessions"`
			NextCursor string `json:"nextCursor"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("searching sessions: %w", err)
		}
		for _, s := range page.Sessions {
			ids = append(ids, s.ID)
		}
		if page.NextCursor == "" || len(page.Sessions) == 0 {
			return ids, nil
		}
		cursor = page.NextCursor
	}
}
