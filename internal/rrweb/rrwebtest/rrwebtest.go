// Package rrwebtest holds helpers for tests that feed recorded rrweb events to the server's
// readers as the SDK would send them.
package rrwebtest

import (
	"encoding/json"

	"github.com/reelhq/reel/internal/rrweb"
)

// Batches cuts events, in time order, into batches of everyMS milliseconds each (from each
// batch's first event), as the SDK's flush timer cuts a visit.
func Batches(events []json.RawMessage, everyMS int64) [][]json.RawMessage {
	var out [][]json.RawMessage
	var start int64 = -1
	for _, raw := range events {
		_, at, _ := rrweb.Header(raw)
		if start < 0 || at-start >= everyMS {
			out = append(out, nil)
			start = at
		}
		out[len(out)-1] = append(out[len(out)-1], raw)
	}
	return out
}
