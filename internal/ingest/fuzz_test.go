package ingest

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
)

// FuzzDecode feeds arbitrary bytes through the whole decoding path (gunzip, UTF-8 repair,
// depth check, JSON, rrweb validation, summary). It must never panic, every refusal must be a
// client error, and what it accepts must be text strict JSON readers accept: valid UTF-8 with
// no escape of a lone UTF-16 surrogate, in the events it would store and in what it indexes.
func FuzzDecode(f *testing.F) {
	f.Add(gz(f, batchJSON("s_session01", "t_tab00001", 0, metaEv, fullEv, clickEv, moveEv)))
	f.Add(gz(f, []byte(`{"session":"s_session01","tab":"t_tab00001","seq":0,"events":[{"type":3,"timestamp":1,"data":{"source":4,"width":"x"}}]}`)))
	f.Add(gz(f, []byte(`[[[[[[[[[[]]]]]]]]]]`)))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3})
	f.Add([]byte(`{"session":"x"}`))
	f.Add(gz(f, batchJSON("s_session01", "t_tab00001", 0, `{"type":5,"timestamp":1764237600001,"data":{"tag":"reel.identify","payload":{"userId":"alice"}}}`,
		`{"type":5,"timestamp":1764237600002,"data":{"tag":"reel.identify","payload":{"userId":7}}}`,
		`{"type":5,"timestamp":1764237600000,"data":{"tag":"reel.identify","payload":{"userId":"alice"}}}`)))
	f.Add(gz(f, batchJSON("s_session01", "t_tab00001", 0, "{\"type\":4,\"timestamp\":1764237600000,\"data\":{\"href\":\"http://x/\xff\\ud800\",\"width\":1,\"height\":1}}",
		`{"type":5,"timestamp":1764237600001,"data":{"tag":"reel.track","payload":{"name":"\udc00\\ud800","props":{"k":"\ud83d\ude00\ud83d"}}}}`)))
	limits := Limits{MaxCompressed: 1 << 20, MaxDecompressed: 4 << 20, MaxEvents: 1000, MaxDepth: 64, MaxIDLength: 64}
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := Decompress(body, limits, nil)
		if err == nil {
			raw, err = ValidText(raw, limits, nil)
		}
		var b *Batch
		var sum Summary
		if err == nil {
			if b, err = Decode(raw, limits); err == nil {
				sum, err = Summarize(b)
			}
		}
		var ae *apierror.Error
		if err != nil && (!errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500) {
			t.Fatalf("decoding failed with a non-client error: %v", err)
		}
		if err != nil {
			return
		}
		if !utf8.Valid(b.EventsJSON) || loneSurrogate(b.EventsJSON) != "" {
			t.Fatalf("accepted events that strict JSON readers refuse: %q", b.EventsJSON)
		}
		indexed := append([]string{b.Session, b.Tab, sum.UserID}, sum.Text...)
		indexed = append(indexed, sum.ErrorMessages...)
		indexed = append(indexed, sum.EventNames...)
		for _, p := range sum.Pages {
			indexed = append(indexed, p.URL)
		}
		for _, p := range sum.EventProps {
			indexed = append(indexed, p.Key, p.Value)
		}
		for k, v := range sum.Traits {
			indexed = append(indexed, k, v)
		}
		// Every user id of the batch is kept once, bounded, the last identify's among them.
		if len(sum.UserIDs) > maxUserIDs {
			t.Fatalf("%d user ids in one batch; at most %d", len(sum.UserIDs), maxUserIDs)
		}
		seen := map[string]bool{}
		for _, u := range sum.UserIDs {
			if u.UserID == "" || len(u.UserID) > 256 || seen[u.UserID] {
				t.Fatalf("user ids %+v: empty, too long or repeated", sum.UserIDs)
			}
			seen[u.UserID] = true
			indexed = append(indexed, u.UserID)
		}
		if sum.UserID != "" && !seen[sum.UserID] && len(sum.UserIDs) < maxUserIDs {
			t.Fatalf("the current user id %q is not among the batch's ids %+v", sum.UserID, sum.UserIDs)
		}
		for _, s := range indexed {
			if !utf8.ValidString(s) {
				t.Fatalf("indexes invalid UTF-8: %q", s)
			}
		}
	})
}
