package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// spa records a minute of a single-page app's list under churn, as rrweb does: re-renders
// that replace the items from one on, items inserted before others (some of which go later), items moved
// (removed and added again with their text), text and class changes to items that may go
// later, spans added inside items, single items removed. Returns the events and the texts of
// the items on the page at 20 s and at 50 s, in order.
func spa(seed uint64, start int64) (evs []string, at20, at50 []string) {
	rng := rand.New(rand.NewPCG(seed, 7))
	var d dom
	type item struct{ li, text int }
	var items []item // in page order
	texts := map[int]string{}
	newItem := func(label string) (item, node) {
		txt := d.text(label)
		li := d.el("li", map[string]any{"class": "item"}, txt)
		texts[txt["id"].(int)] = label
		return item{li["id"].(int), txt["id"].(int)}, li
	}
	var first []node
	for i := range 6 {
		it, li := newItem(fmt.Sprintf("first %d", i))
		items = append(items, it)
		first = append(first, li)
	}
	list := d.el("ul", map[string]any{"id": "list"}, first...)
	listID := list["id"].(int)
	doc := d.page(d.el("h1", nil, d.text("Catalogue")), list)
	evs = append(evs, metaEv(start, "https://spa.example/"), fullEv(start+1, doc))

	// flat returns the adds that build li (and its children) under parent, one node each.
	var flat func(parent int, next any, n node) []any
	flat = func(parent int, next any, n node) []any {
		alone := node{}
		for k, v := range n {
			alone[k] = v
		}
		kids, _ := n["childNodes"].([]node)
		if kids != nil {
			alone["childNodes"] = []node{}
		}
		adds := []any{map[string]any{"parentId": parent, "nextId": next, "node": alone}}
		for _, k := range kids {
			adds = append(adds, flat(n["id"].(int), nil, k)...)
		}
		return adds
	}
	mutation := func(ts int64, removes, adds, txts, attrs []any) {
		evs = append(evs, evJSON(3, ts, map[string]any{"source": 0, "removes": removes, "adds": adds, "texts": txts, "attributes": attrs}))
	}
	label := 0
	for ts := start + 500; ts < start+60_000; ts += 500 {
		at := func() int { return rng.IntN(len(items)) }
		switch r := rng.IntN(10); {
		case r < 1 || len(items) == 0: // re-render: the items from one on replaced
			var removes, adds []any
			k := rng.IntN(len(items) + 1)
			for _, it := range items[k:] {
				removes = append(removes, map[string]any{"parentId": listID, "id": it.li})
			}
			items = items[:k]
			for range 3 + rng.IntN(6) {
				label++
				it, li := newItem(fmt.Sprintf("item %d", label))
				items = append(items, it)
				adds = append(adds, flat(listID, nil, li)...)
			}
			mutation(ts, removes, adds, []any{}, []any{})
		case r < 3: // inserted before an item that may go later
			label++
			it, li := newItem(fmt.Sprintf("item %d", label))
			i := at()
			mutation(ts, []any{}, flat(listID, items[i].li, li), []any{}, []any{})
			items = slices.Insert(items, i, it)
		case r < 5: // a price or label changes
			it := items[at()]
			texts[it.text] = fmt.Sprintf("%s *", texts[it.text])
			mutation(ts, []any{}, []any{}, []any{map[string]any{"id": it.text, "value": texts[it.text]}}, []any{})
		case r < 6:
			it := items[at()]
			mutation(ts, []any{}, []any{}, []any{}, []any{map[string]any{"id": it.li, "attributes": map[string]any{"class": fmt.Sprintf("item state-%d", rng.IntN(4))}}})
		case r < 7: // moved to the end: removed and added again with its text
			i := at()
			it := items[i]
			li := node{"type": 2, "tagName": "li", "attributes": map[string]any{"class": "item moved"}, "childNodes": []node{}, "id": it.li}
			txt := node{"type": 3, "textContent": texts[it.text], "id": it.text}
			mutation(ts, []any{map[string]any{"parentId": listID, "id": it.li}},
				[]any{map[string]any{"parentId": listID, "nextId": nil, "node": li}, map[string]any{"parentId": it.li, "nextId": nil, "node": txt}}, []any{}, []any{})
			items = append(slices.Delete(items, i, i+1), it)
		case r < 8: // a badge inside an item
			it := items[at()]
			mutation(ts, []any{}, flat(it.li, nil, d.el("span", map[string]any{"class": "badge"}, d.text("new"))), []any{}, []any{})
		default: // one item goes
			i := at()
			mutation(ts, []any{map[string]any{"parentId": listID, "id": items[i].li}}, []any{}, []any{}, []any{})
			items = slices.Delete(items, i, i+1)
		}
		for at, into := range map[int64]*[]string{start + 20_000: &at20, start + 50_000: &at50} {
			if ts == at {
				for _, it := range items {
					*into = append(*into, texts[it.text])
				}
			}
		}
	}
	return evs, at20, at50
}

// TestSeekLeavesOutNodesGoneByTheMoment opens single-page-app recordings at a moment after a
// minute of churn: the server and the player leave out of the seek the nodes gone by the moment
// (rrweb.Gone, prune.ts), and the frame shown is the same document, node for node, as the one
// rrweb builds applying every mutation (the player with pruning switched off), with the items
// the recording had on the page then. Seeking back from there, to a moment whose nodes the
// answer left out, shows that moment's items too.
func TestSeekLeavesOutNodesGoneByTheMoment(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	start := time.Now().Add(-10 * time.Minute).UnixMilli()
	type rec struct {
		id         string
		at20, want []string
	}
	var recs []rec
	for seed := range uint64(8) {
		evs, at20, want := spa(seed, start)
		id := fmt.Sprintf("s_prunespa%05d", seed)
		for i := 0; i*40 < len(evs); i++ {
			ingest(t, r, id, "t_tab00000001", i, evs[i*40:min(len(evs), (i+1)*40)])
		}
		recs = append(recs, rec{id, at20, want})
	}
	const frameHTML = `(() => { const f = document.querySelector('[data-testid=player] iframe'); return f.contentDocument.documentElement.outerHTML; })()`
	const items = `[...document.querySelector('[data-testid=player] iframe').contentDocument.querySelectorAll('#list > li')].map(li => li.firstChild ? li.firstChild.textContent : "")`
	// Nodes left out by the server (X-Reel-Gone) and by the player on what it got.
	const pruned = `(d => [Number(d.gone || 0), Number(d.pruned || 0)])(document.querySelector('[data-testid=player]').dataset)`
	run(t, ctx, "log in", loginActions(r)...)
	open := func(id string) (html string, got []string, n []float64) {
		run(t, ctx, "open "+id+" at 0:50",
			chromedp.Navigate(r.URL+"/sessions/"+id+"?t=50250"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			chromedp.Evaluate(frameHTML, &html),
			chromedp.Evaluate(items, &got),
			chromedp.Evaluate(pruned, &n),
		)
		return html, got, n
	}
	for _, rc := range recs {
		run(t, ctx, "pruning on", chromedp.Evaluate(`localStorage.removeItem("reel:seek-prune")`, nil))
		html, got, n := open(rc.id)
		t.Logf("%s: the server left out %v nodes, the player %v more", rc.id, n[0], n[1])
		if n[0] == 0 {
			t.Errorf("%s: the server left no node out, want the items gone by 0:50 left out", rc.id)
		}
		if !slices.Equal(got, rc.want) {
			t.Errorf("%s: the frame at 0:50 lists\n  %q\nwant\n  %q", rc.id, got, rc.want)
		}
		run(t, ctx, "seek back to 0:20", chromedp.ActionFunc(func(c context.Context) error {
			var box []float64
			if err := chromedp.Evaluate(`(() => { const r = document.querySelector('[data-testid=scrubber]').getBoundingClientRect(); return [r.left, r.top, r.width, r.height, Number(document.querySelector('[data-testid=time]').dataset.totalMs)]; })()`, &box).Do(c); err != nil {
				return err
			}
			return chromedp.MouseClickXY(box[0]+box[2]*20250/box[4], box[1]+box[3]/2).Do(c)
		}), waitFor(`Math.abs(`+playerTime+` - 20250) < 200`))
		// Back before the moment the answer was pruned for: the items of 0:20, whichever way the
		// player gets there (the whole recording, or a new window).
		var back []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			run(t, ctx, "read the frame", chromedp.Evaluate(items, &back))
			if slices.Equal(back, rc.at20) || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !slices.Equal(back, rc.at20) {
			t.Errorf("%s: back at 0:20 the frame lists\n  %q\nwant\n  %q", rc.id, back, rc.at20)
		}
		run(t, ctx, "pruning off", chromedp.Evaluate(`localStorage.setItem("reel:seek-prune", "off")`, nil))
		exact, _, n := open(rc.id)
		if n[0]+n[1] != 0 {
			t.Errorf("%s: with pruning off the seek left %v nodes out", rc.id, n)
		}
		if html != exact {
			i := 0
			for i < len(html) && i < len(exact) && html[i] == exact[i] {
				i++
			}
			t.Errorf("%s: the pruned frame differs from rrweb's at byte %d:\n  pruned: %s\n  rrweb:  %s", rc.id, i, excerpt(html, i), excerpt(exact, i))
		}
	}
	run(t, ctx, "pruning back on", chromedp.Evaluate(`localStorage.removeItem("reel:seek-prune")`, nil))
}

func excerpt(s string, i int) string {
	return strings.ReplaceAll(s[max(0, i-80):min(len(s), i+80)], "\n", " ")
}
