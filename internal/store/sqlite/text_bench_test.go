package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// BenchmarkAppendText ingests sessions of two batches, each showing 200 pieces of on-screen
// text drawn from a site's 3,000 (many of the second batch's already shown by the first), in
// groups of 8 batches per transaction as ingest commits them.
func BenchmarkAppendText(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		b.Fatal(err)
	}
	// Pieces as short as a shop's: a word or two, a price (about 12 bytes).
	words := []string{"Add", "to", "cart", "Wool", "Socks", "Sale", "Checkout", "Your", "order", "Low", "stock", "View", "Free", "returns"}
	site := make([]string, 3000)
	for i := range site {
		switch i % 3 {
		case 0:
			site[i] = fmt.Sprintf("$%d.%02d", i/3, i%100)
		case 1:
			site[i] = words[i%len(words)] + " " + words[(i/7)%len(words)]
		default:
			site[i] = fmt.Sprintf("%s %d", words[i%len(words)], i)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	pick := func() []string {
		out := make([]string, 0, 200)
		seen := map[int]bool{}
		for len(out) < 200 {
			k := int(r.ExpFloat64()*400) % len(site)
			if !seen[k] {
				seen[k] = true
				out = append(out, site[k])
			}
		}
		return out
	}
	b.ResetTimer()
	var group []store.Batch
	for i := range b.N {
		id := fmt.Sprintf("s_%08d", i)
		for seq := range 2 {
			group = append(group, store.Batch{ProjectID: "p", Text: pick(), Chunk: store.Chunk{SessionID: id, Tab: "tab_0001", Seq: int64(seq), FirstAt: t0, LastAt: t0, BlobKey: "k"}})
		}
		if len(group) >= 8 || i == b.N-1 {
			for _, err := range db.AppendBatches(ctx, group) {
				if err != nil {
					b.Fatal(err)
				}
			}
			group = group[:0]
		}
	}
}
