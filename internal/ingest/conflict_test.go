package ingest

import (
	"context"
	"testing"

	"github.com/reelhq/reel/internal/store"
)

// TestIngestOtherProjectsSessionLearnsNothing: a key of project B sending a batch under a
// session id of project A gets the same answer whether or not A already holds that (tab, seq),
// so B's key cannot probe how far A's session has got, and nothing is written into A.
func TestIngestOtherProjectsSessionLearnsNothing(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	if err := e.db.CreateProject(ctx, store.Project{ID: "other", Name: "Other", PublicKey: "pk_other"}); err != nil {
		t.Fatal(err)
	}
	for seq := range 2 {
		if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_victim001", "t_tab00001", seq, metaEv, clickEv))); r.Status != 200 {
			t.Fatalf("project A's batch %d = %d %s", seq, r.Status, r.Body)
		}
	}
	before, err := e.db.GetSession(ctx, "s_victim001")
	if err != nil {
		t.Fatal(err)
	}
	stored := e.post(t, "v=1&key=pk_other", gz(t, batchJSON("s_victim001", "t_tab00001", 1, clickEv)))
	unstored := e.post(t, "v=1&key=pk_other", gz(t, batchJSON("s_victim001", "t_tab00001", 7, clickEv)))
	otherTab := e.post(t, "v=1&key=pk_other", gz(t, batchJSON("s_victim001", "t_tab00002", 0, clickEv)))
	for name, r := range map[string]reply{"a stored seq": stored, "a seq not stored": unstored, "another tab": otherTab} {
		if r.Status != unstored.Status || r.Body != unstored.Body || r.Status != 409 || r.Code != "session_conflict" {
			t.Errorf("project B's key on %s of A's session = %d %s; want the same 409 session_conflict for every seq", name, r.Status, r.Body)
		}
	}
	after, err := e.db.GetSession(ctx, "s_victim001")
	if err != nil {
		t.Fatal(err)
	}
	if after.ProjectID != "default" || after.Events != before.Events || after.Clicks != before.Clicks || after.Tabs != before.Tabs {
		t.Fatalf("project A's session changed: before %+v, after %+v", before, after)
	}
	if chunks, _ := e.db.Chunks(ctx, "s_victim001"); len(chunks) != 2 {
		t.Fatalf("project A's session has %d chunks, want its own 2", len(chunks))
	}
	// A session id B owns is answered as usual, duplicates included.
	for range 2 {
		if r := e.post(t, "v=1&key=pk_other", gz(t, batchJSON("s_mine00001", "t_tab00001", 0, clickEv))); r.Status != 200 {
			t.Fatalf("project B's own session = %d %s", r.Status, r.Body)
		}
	}
}
