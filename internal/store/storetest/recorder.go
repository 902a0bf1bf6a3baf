package storetest

import (
	"context"
	"flag"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// Recorder counts the calls the contract suite makes to each method of store.Index, so a
// backend's test can prove the suite exercised all of them: a method no case calls is a method
// whose behaviour on a second backend nobody checked.
//
//	rec := storetest.NewRecorder()
//	storetest.All(t, func(t *testing.T) store.Index { return rec.Wrap(open(t)) })
//	rec.Check(t)
type Recorder struct {
	mu    sync.Mutex
	calls map[string]int
}

// NewRecorder returns a recorder with no calls.
func NewRecorder() *Recorder { return &Recorder{calls: map[string]int{}} }

// Wrap returns ix with every call counted; the stores of all cases share the recorder.
func (r *Recorder) Wrap(ix store.Index) store.Index { return recorded{ix: ix, r: r} }

func (r *Recorder) count(method string) {
	r.mu.Lock()
	r.calls[method]++
	r.mu.Unlock()
}

// Uncalled lists the methods of store.Index, found by reflection on the interface type, that
// no wrapped store received.
func (r *Recorder) Uncalled() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	it := reflect.TypeFor[store.Index]()
	var out []string
	for i := range it.NumMethod() {
		if name := it.Method(i).Name; r.calls[name] == 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Check fails t when some method of store.Index was never called. It is meant for after the
// whole suite ran; a filtered run (go test -run) skips the check, as most methods are then
// rightly uncalled.
func (r *Recorder) Check(t *testing.T) {
	t.Helper()
	if f := testingRunFilter(); f != "" {
		t.Logf("coverage of store.Index not checked: -test.run=%s selects part of the suite", f)
		return
	}
	if missing := r.Uncalled(); len(missing) > 0 {
		t.Errorf("the contract suite never calls %d methods of store.Index: %v", len(missing), missing)
	}
}

// recorded forwards every method of store.Index to ix, counting the call. A method added to
// store.Index fails this assertion until it is added here, and then Check fails until a case
// calls it.
type recorded struct {
	ix store.Index
	r  *Recorder
}

var _ store.Index = recorded{}

func (x recorded) AlertCount(ctx context.Context, a1 store.AlertRule, a2 time.Time) (int, error) {
	x.r.count("AlertCount")
	return x.ix.AlertCount(ctx, a1, a2)
}

func (x recorded) Alerts(ctx context.Context, a1 string) ([]store.AlertRule, error) {
	x.r.count("Alerts")
	return x.ix.Alerts(ctx, a1)
}

func (x recorded) AppendBatch(ctx context.Context, a1 store.Batch) error {
	x.r.count("AppendBatch")
	return x.ix.AppendBatch(ctx, a1)
}

func (x recorded) AppendBatches(ctx context.Context, a1 []store.Batch) []error {
	x.r.count("AppendBatches")
	return x.ix.AppendBatches(ctx, a1)
}

func (x recorded) Checkpoint(ctx context.Context) error {
	x.r.count("Checkpoint")
	return x.ix.Checkpoint(ctx)
}

func (x recorded) Chunks(ctx context.Context, a1 string) ([]store.Chunk, error) {
	x.r.count("Chunks")
	return x.ix.Chunks(ctx, a1)
}

func (x recorded) ClaimSession(ctx context.Context, a1 string, a2 time.Duration) (bool, error) {
	x.r.count("ClaimSession")
	return x.ix.ClaimSession(ctx, a1, a2)
}

func (x recorded) Close() error {
	x.r.count("Close")
	return x.ix.Close()
}

func (x recorded) CommitCompaction(ctx context.Context, a1 store.Compaction) ([]string, error) {
	x.r.count("CommitCompaction")
	return x.ix.CommitCompaction(ctx, a1)
}

func (x recorded) ContentHashes(ctx context.Context, a1 string, a2 []int64) (map[int64]string, error) {
	x.r.count("ContentHashes")
	return x.ix.ContentHashes(ctx, a1, a2)
}

func (x recorded) CountPlaylists(ctx context.Context, a1 string) (int, error) {
	x.r.count("CountPlaylists")
	return x.ix.CountPlaylists(ctx, a1)
}

func (x recorded) CountSavedSearches(ctx context.Context, a1 string) (int, error) {
	x.r.count("CountSavedSearches")
	return x.ix.CountSavedSearches(ctx, a1)
}

func (x recorded) CountUsers(ctx context.Context) (int, error) {
	x.r.count("CountUsers")
	return x.ix.CountUsers(ctx)
}

func (x recorded) CreateAlert(ctx context.Context, a1 store.AlertRule) (store.AlertRule, error) {
	x.r.count("CreateAlert")
	return x.ix.CreateAlert(ctx, a1)
}

func (x recorded) CreateLogin(ctx context.Context, a1 store.Login) error {
	x.r.count("CreateLogin")
	return x.ix.CreateLogin(ctx, a1)
}

func (x recorded) CreatePlaylist(ctx context.Context, a1 store.Playlist) (store.Playlist, error) {
	x.r.count("CreatePlaylist")
	return x.ix.CreatePlaylist(ctx, a1)
}

func (x recorded) CreateProject(ctx context.Context, a1 store.Project) error {
	x.r.count("CreateProject")
	return x.ix.CreateProject(ctx, a1)
}

func (x recorded) CreateSavedSearch(ctx context.Context, a1 store.SavedSearch) (store.SavedSearch, error) {
	x.r.count("CreateSavedSearch")
	return x.ix.CreateSavedSearch(ctx, a1)
}

func (x recorded) CreateUser(ctx context.Context, a1 store.User) (store.User, error) {
	x.r.count("CreateUser")
	return x.ix.CreateUser(ctx, a1)
}

func (x recorded) DeleteAlert(ctx context.Context, a1 string, a2 int64) error {
	x.r.count("DeleteAlert")
	return x.ix.DeleteAlert(ctx, a1, a2)
}

func (x recorded) DeleteLogin(ctx context.Context, a1 string) error {
	x.r.count("DeleteLogin")
	return x.ix.DeleteLogin(ctx, a1)
}

func (x recorded) DeletePlaylist(ctx context.Context, a1 int64) error {
	x.r.count("DeletePlaylist")
	return x.ix.DeletePlaylist(ctx, a1)
}

func (x recorded) DeleteSavedSearch(ctx context.Context, a1 int64) error {
	x.r.count("DeleteSavedSearch")
	return x.ix.DeleteSavedSearch(ctx, a1)
}

func (x recorded) DeleteSessions(ctx context.Context, a1 []string) ([]string, error) {
	x.r.count("DeleteSessions")
	return x.ix.DeleteSessions(ctx, a1)
}

func (x recorded) EnsureSetting(ctx context.Context, a1 string, a2 string) (string, error) {
	x.r.count("EnsureSetting")
	return x.ix.EnsureSetting(ctx, a1, a2)
}

func (x recorded) ExpiredSessions(ctx context.Context, a1 time.Time, a2 int) ([]string, error) {
	x.r.count("ExpiredSessions")
	return x.ix.ExpiredSessions(ctx, a1, a2)
}

func (x recorded) GetSession(ctx context.Context, a1 string) (store.Session, error) {
	x.r.count("GetSession")
	return x.ix.GetSession(ctx, a1)
}

func (x recorded) HasChunk(ctx context.Context, a1 string, a2 string, a3 string, a4 int64) (bool, error) {
	x.r.count("HasChunk")
	return x.ix.HasChunk(ctx, a1, a2, a3, a4)
}

func (x recorded) Heatmap(ctx context.Context, a1 store.HeatmapQuery) (store.Heatmap, error) {
	x.r.count("Heatmap")
	return x.ix.Heatmap(ctx, a1)
}

func (x recorded) IdleSessions(ctx context.Context, a1 time.Time, a2 int) ([]string, error) {
	x.r.count("IdleSessions")
	return x.ix.IdleSessions(ctx, a1, a2)
}

func (x recorded) Issues(ctx context.Context, a1 store.IssueQuery) ([]store.Issue, error) {
	x.r.count("Issues")
	return x.ix.Issues(ctx, a1)
}

func (x recorded) LatestArchived(ctx context.Context, a1 string, a2 string) (store.Archived, bool, error) {
	x.r.count("LatestArchived")
	return x.ix.LatestArchived(ctx, a1, a2)
}

func (x recorded) ListSessions(ctx context.Context, a1 store.ListQuery) (store.SessionPage, error) {
	x.r.count("ListSessions")
	return x.ix.ListSessions(ctx, a1)
}

func (x recorded) LoginByTokenHash(ctx context.Context, a1 string, a2 time.Time) (store.Login, error) {
	x.r.count("LoginByTokenHash")
	return x.ix.LoginByTokenHash(ctx, a1, a2)
}

func (x recorded) MarkFired(ctx context.Context, a1 int64, a2 time.Time, a3 time.Time) (bool, error) {
	x.r.count("MarkFired")
	return x.ix.MarkFired(ctx, a1, a2, a3)
}

func (x recorded) MissingContent(ctx context.Context, a1 string, a2 []string) ([]string, error) {
	x.r.count("MissingContent")
	return x.ix.MissingContent(ctx, a1, a2)
}

func (x recorded) NumberContent(ctx context.Context, a1 string, a2 []store.ContentRef, a3 time.Time) (map[string]int64, error) {
	x.r.count("NumberContent")
	return x.ix.NumberContent(ctx, a1, a2, a3)
}

func (x recorded) Optimize(ctx context.Context) error {
	x.r.count("Optimize")
	return x.ix.Optimize(ctx)
}

func (x recorded) Clock(ctx context.Context) (time.Time, error) {
	x.r.count("Clock")
	return x.ix.Clock(ctx)
}

func (x recorded) TryJob(ctx context.Context, name string, every time.Duration) (bool, error) {
	x.r.count("TryJob")
	return x.ix.TryJob(ctx, name, every)
}

func (x recorded) ReferencedBlobs(ctx context.Context, keys []string) (map[string]bool, error) {
	x.r.count("ReferencedBlobs")
	return x.ix.ReferencedBlobs(ctx, keys)
}

func (x recorded) PinSession(ctx context.Context, a1 int64, a2 store.Pin) (store.Pin, error) {
	x.r.count("PinSession")
	return x.ix.PinSession(ctx, a1, a2)
}

func (x recorded) Pins(ctx context.Context, a1 int64) ([]store.Pin, error) {
	x.r.count("Pins")
	return x.ix.Pins(ctx, a1)
}

func (x recorded) Playlist(ctx context.Context, a1 int64, a2 int64) (store.Playlist, error) {
	x.r.count("Playlist")
	return x.ix.Playlist(ctx, a1, a2)
}

func (x recorded) Playlists(ctx context.Context, a1 string, a2 int64) ([]store.Playlist, error) {
	x.r.count("Playlists")
	return x.ix.Playlists(ctx, a1, a2)
}

func (x recorded) Project(ctx context.Context, a1 string) (store.Project, error) {
	x.r.count("Project")
	return x.ix.Project(ctx, a1)
}

func (x recorded) ProjectByKey(ctx context.Context, a1 string) (store.Project, error) {
	x.r.count("ProjectByKey")
	return x.ix.ProjectByKey(ctx, a1)
}

func (x recorded) Projects(ctx context.Context) ([]store.Project, error) {
	x.r.count("Projects")
	return x.ix.Projects(ctx)
}

func (x recorded) SaveAnalysis(ctx context.Context, a1 store.Analysis) error {
	x.r.count("SaveAnalysis")
	return x.ix.SaveAnalysis(ctx, a1)
}

func (x recorded) LiveSessions(ctx context.Context, a1 int) ([]store.LiveSession, error) {
	x.r.count("LiveSessions")
	return x.ix.LiveSessions(ctx, a1)
}

func (x recorded) AnalysisReport(ctx context.Context, a1 string) ([]byte, error) {
	x.r.count("AnalysisReport")
	return x.ix.AnalysisReport(ctx, a1)
}

func (x recorded) SaveArchive(ctx context.Context, a1 string, a2 []store.Archived, a3 []store.ContentRef, a4 time.Time) error {
	x.r.count("SaveArchive")
	return x.ix.SaveArchive(ctx, a1, a2, a3, a4)
}

func (x recorded) SaveHeat(ctx context.Context, a1 store.Heat) error {
	x.r.count("SaveHeat")
	return x.ix.SaveHeat(ctx, a1)
}

func (x recorded) SavedSearch(ctx context.Context, a1 int64, a2 int64) (store.SavedSearch, error) {
	x.r.count("SavedSearch")
	return x.ix.SavedSearch(ctx, a1, a2)
}

func (x recorded) SavedSearches(ctx context.Context, a1 string, a2 int64) ([]store.SavedSearch, error) {
	x.r.count("SavedSearches")
	return x.ix.SavedSearches(ctx, a1, a2)
}

func (x recorded) Segments(ctx context.Context, a1 string) ([]store.Segment, error) {
	x.r.count("Segments")
	return x.ix.Segments(ctx, a1)
}

func (x recorded) SessionArchive(ctx context.Context, a1 string) ([]store.Archived, error) {
	x.r.count("SessionArchive")
	return x.ix.SessionArchive(ctx, a1)
}

func (x recorded) SessionsOfUser(ctx context.Context, a1 string, a2 string) ([]string, error) {
	x.r.count("SessionsOfUser")
	return x.ix.SessionsOfUser(ctx, a1, a2)
}

func (x recorded) SessionsSharingBlobs(ctx context.Context, a1 []string) ([]string, error) {
	x.r.count("SessionsSharingBlobs")
	return x.ix.SessionsSharingBlobs(ctx, a1)
}

func (x recorded) SetPassword(ctx context.Context, a1 int64, a2 string) error {
	x.r.count("SetPassword")
	return x.ix.SetPassword(ctx, a1, a2)
}

func (x recorded) SweepContent(ctx context.Context, a1 time.Time) ([]store.ContentKey, error) {
	x.r.count("SweepContent")
	return x.ix.SweepContent(ctx, a1)
}

func (x recorded) TouchContent(ctx context.Context, a1 string, a2 string, a3 time.Time) (bool, error) {
	x.r.count("TouchContent")
	return x.ix.TouchContent(ctx, a1, a2, a3)
}

func (x recorded) UnpinSession(ctx context.Context, a1 int64, a2 string) error {
	x.r.count("UnpinSession")
	return x.ix.UnpinSession(ctx, a1, a2)
}

func (x recorded) UpdatePlaylist(ctx context.Context, a1 store.Playlist) error {
	x.r.count("UpdatePlaylist")
	return x.ix.UpdatePlaylist(ctx, a1)
}

func (x recorded) UpdateProject(ctx context.Context, a1 store.Project) error {
	x.r.count("UpdateProject")
	return x.ix.UpdateProject(ctx, a1)
}

func (x recorded) UpdateSavedSearch(ctx context.Context, a1 store.SavedSearch) error {
	x.r.count("UpdateSavedSearch")
	return x.ix.UpdateSavedSearch(ctx, a1)
}

func (x recorded) UserByEmail(ctx context.Context, a1 string) (store.User, error) {
	x.r.count("UserByEmail")
	return x.ix.UserByEmail(ctx, a1)
}

func (x recorded) UserByID(ctx context.Context, a1 int64) (store.User, error) {
	x.r.count("UserByID")
	return x.ix.UserByID(ctx, a1)
}

func (x recorded) VisitSavedSearch(ctx context.Context, a1 int64, a2 int64, a3 time.Time) error {
	x.r.count("VisitSavedSearch")
	return x.ix.VisitSavedSearch(ctx, a1, a2, a3)
}

func (x recorded) Visits(ctx context.Context, a1 string, a2 time.Time, a3 time.Time, a4 int) ([]store.Visit, error) {
	x.r.count("Visits")
	return x.ix.Visits(ctx, a1, a2, a3, a4)
}

// testingRunFilter is the -test.run pattern of this test binary, empty when every test runs.
func testingRunFilter() string {
	if f := flag.Lookup("test.run"); f != nil {
		return f.Value.String()
	}
	return ""
}

func (x recorded) Export(ctx context.Context, fn func(store.Record) error) error {
	x.r.count("Export")
	return x.ix.Export(ctx, fn)
}

func (x recorded) Import(ctx context.Context, recs []store.Record) error {
	x.r.count("Import")
	return x.ix.Import(ctx, recs)
}

func (x recorded) ListUsers(ctx context.Context) ([]store.User, error) {
	x.r.count("ListUsers")
	return x.ix.ListUsers(ctx)
}

func (x recorded) UpdateUser(ctx context.Context, a1 store.User) error {
	x.r.count("UpdateUser")
	return x.ix.UpdateUser(ctx, a1)
}

func (x recorded) DeleteUser(ctx context.Context, a1 int64) error {
	x.r.count("DeleteUser")
	return x.ix.DeleteUser(ctx, a1)
}

func (x recorded) UserProjects(ctx context.Context, a1 int64) ([]string, error) {
	x.r.count("UserProjects")
	return x.ix.UserProjects(ctx, a1)
}

func (x recorded) SetUserProjects(ctx context.Context, a1 int64, a2 []string) error {
	x.r.count("SetUserProjects")
	return x.ix.SetUserProjects(ctx, a1, a2)
}

func (x recorded) CreateToken(ctx context.Context, a1 store.Token) error {
	x.r.count("CreateToken")
	return x.ix.CreateToken(ctx, a1)
}

func (x recorded) Tokens(ctx context.Context) ([]store.Token, error) {
	x.r.count("Tokens")
	return x.ix.Tokens(ctx)
}

func (x recorded) TokenByID(ctx context.Context, a1 string) (store.Token, error) {
	x.r.count("TokenByID")
	return x.ix.TokenByID(ctx, a1)
}

func (x recorded) RevokeToken(ctx context.Context, a1 string, a2 time.Time) error {
	x.r.count("RevokeToken")
	return x.ix.RevokeToken(ctx, a1, a2)
}

func (x recorded) TouchToken(ctx context.Context, a1 string, a2 time.Time) error {
	x.r.count("TouchToken")
	return x.ix.TouchToken(ctx, a1, a2)
}

func (x recorded) AppendAudit(ctx context.Context, a1 store.AuditEntry) error {
	x.r.count("AppendAudit")
	return x.ix.AppendAudit(ctx, a1)
}

func (x recorded) ListAudit(ctx context.Context, a1 store.AuditQuery) (store.AuditPage, error) {
	x.r.count("ListAudit")
	return x.ix.ListAudit(ctx, a1)
}

func (x recorded) PruneAudit(ctx context.Context, a1 time.Time) (int, error) {
	x.r.count("PruneAudit")
	return x.ix.PruneAudit(ctx, a1)
}

func (x recorded) SessionRecord(ctx context.Context, a1 string) (store.SessionRecord, error) {
	x.r.count("SessionRecord")
	return x.ix.SessionRecord(ctx, a1)
}
