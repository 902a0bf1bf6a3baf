// Package rewrite lets an operator have a language model rephrase session summaries through
// any OpenAI-compatible chat endpoint (a hosted API or a local server). It is off unless
// configured. What it sends is what the summary is built from — page paths, the kinds of
// friction, the text of clicked elements and error messages — never input values (those are
// masked in the browser and never stored) and never the recording itself.
package rewrite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Options configure the client.
type Options struct {
	URL    string // base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1
	Model  string
	APIKey string
}

// Client rewrites summaries.
type Client struct {
	opts Options
	http *http.Client
}

// New returns a client, or nil when no URL is configured.
func New(opts Options) *Client {
	if opts.URL == "" {
		return nil
	}
	return &Client{opts: opts, http: &http.Client{Timeout: 30 * time.Second}}
}

// Input is what the model sees.
type Input struct {
	Summary string   `json:"summary"`
	Pages   []string `json:"pages"`
	Signals []string `json:"signals"` // "rage_click on /cart: button \"Apply coupon\""
	Errors  []string `json:"errors"`
}

const prompt = "You write one-sentence summaries of website visits for a product team. " +
	"Rewrite the draft so it reads naturally, keep every fact, add none, at most 40 words."

// Rewrite returns the model's version of the summary.
func (c *Client) Rewrite(ctx context.Context, in Input) (string, error) {
	facts, _ := json.Marshal(in)
	body, _ := json.Marshal(map[string]any{
		"model": c.opts.Model,
		"messages": []map[string]string{
			{"role": "system", "content": prompt},
			{"role": "user", "content": string(facts)},
		},
		"temperature": 0.2,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.opts.URL, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.opts.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.APIKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("rewrite: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("rewrite: endpoint answered %s", resp.Status)
	}
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&out); err != nil {
		return "", fmt.Errorf("rewrite: %w", err)
	}
	if len(out.Choices) == 0 || strings.TrimSpace(out.Choices[0].Message.Content) == "" {
		return "", fmt.Errorf("rewrite: empty answer")
	}
	s := strings.TrimSpace(out.Choices[0].Message.Content)
	if len(s) > 500 {
		s = s[:500]
	}
	return s, nil
}
