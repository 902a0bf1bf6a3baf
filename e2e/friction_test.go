package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/frictioncorpus"
)

// TestFrictionCorpus plays the CI subset of the labelled friction corpus (a positive and a
// near-miss of every kind, internal/frictioncorpus) in headless Chromium through the real SDK
// into a real server, and expects exactly the labelled findings: a detector that starts
// flagging a near-miss or missing a positive fails here, not only in bench/friction.
func TestFrictionCorpus(t *testing.T) {
	r := startReel(t, t.TempDir())
	srv := frictioncorpus.Server{URL: r.URL, Token: adminToken, Key: publicKey(t, r)}
	scenarios := frictioncorpus.CI()
	if len(scenarios) < 16 {
		t.Fatalf("the CI subset has %d scenarios, want a positive and a near-miss of each of 8 kinds", len(scenarios))
	}
	results, err := frictioncorpus.Run(context.Background(), srv, scenarios, 4, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if m := frictioncorpus.Mismatches(results); len(m) > 0 {
		t.Fatalf("findings differ from the labels:\n%s", strings.Join(m, "\n"))
	}
	// The summary quotes the element a positive was about.
	for _, res := range results {
		if res.Scenario.Name == "rage/broken-continue" && !strings.Contains(res.Summary, "rage-clicked ‘Continue’ on /shop.html") {
			t.Errorf("summary of %s = %q", res.Scenario.Name, res.Summary)
		}
	}
}
