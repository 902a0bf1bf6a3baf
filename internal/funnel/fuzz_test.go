package funnel

import (
	"testing"

	"github.com/reelhq/reel/internal/store"
)

// FuzzParse: any body either parses into a definition that counts without panicking or is
// refused with a reason.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"steps": [{"path": "/"}, {"kind": "click", "text": "Buy"}, {"kind": "event", "name": "paid", "props": {"plan": "pro"}}], "order": "strict"}`))
	f.Add([]byte(`{"steps": [{"path": "*"}, {"path": "**"}], "order": "any"}`))
	f.Add([]byte(`{"steps": null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Parse(raw)
		if err != nil {
			if _, ok := err.(*Error); !ok || err.Error() == "" {
				t.Fatalf("refused without a reason: %v", err)
			}
			return
		}
		j := store.Journey{SessionID: "s", Steps: []store.Step{page(0, "/"), click(1, "#a", "b"), event(2, "paid", map[string]string{"plan": "pro"})}}
		if n, at := d.Reach(j); n < 0 || n > len(d.Steps) || len(at) != n {
			t.Fatalf("reach %d with %d times for %d steps", n, len(at), len(d.Steps))
		}
	})
}
