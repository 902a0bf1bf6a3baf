package ingest

import (
	"fmt"
	"net/http"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/scrub"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
)

// scrubFault, when a test sets it, stands in for the scrubber's output (it may panic), so the
// tests can prove that a scrubber failure stores nothing.
var scrubFault func(out []byte) []byte

// errScrubFailed answers a batch the scrubber could not scrub. It is a 5xx (the batch was
// good; the server failed) and nothing of the batch is stored: an unscrubbed batch is never a
// fallback.
var errScrubFailed = apierror.New(http.StatusInternalServerError, "scrub_failed",
	"the server could not scrub this batch for personal data; nothing was stored")

// scrub runs the project's scrubber over the batch's JSON text, assets included, before
// anything is written (docs/privacy-scrubber.md). When nothing is found the batch is used as
// decoded; otherwise the scrubbed text is decoded again, which re-validates it, and becomes
// the batch. Any failure (a panic, output past the limits, output that no longer decodes into
// the same batch) refuses the batch with errScrubFailed.
func (h *Handler) scrub(project store.Project, raw []byte, b *Batch, grow func(n int64) error) (_ *Batch, counts scrub.Counts, err error) {
	s := settings.Scrubber(h.log, project)
	if !s.On() {
		return b, nil, nil
	}
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("ingest: the scrubber panicked; batch refused", "project", project.ID, "panic", fmt.Sprint(p))
			b, counts, err = nil, nil, errScrubFailed
		}
	}()
	out, counts := s.JSON(raw)
	if scrubFault != nil {
		out = scrubFault(out)
		if counts == nil {
			counts = scrub.Counts{}
		}
	}
	if counts == nil {
		return b, nil, nil
	}
	fail := func(why string, args ...any) (*Batch, scrub.Counts, error) {
		h.log.Error("ingest: scrubbed batch refused: "+fmt.Sprintf(why, args...), "project", project.ID)
		return nil, nil, errScrubFailed
	}
	// A mask takes three bytes for a character that took one.
	if int64(len(out)) > h.limits.MaxDecompressed {
		return fail("%d bytes scrubbed, past the limit of %d", len(out), h.limits.MaxDecompressed)
	}
	if err := grow(int64(len(out)) + int64(len(out))/4); err != nil {
		return nil, nil, err
	}
	scrubbed, err := Decode(out, h.limits)
	if err != nil {
		return fail("it no longer decodes: %v", err)
	}
	if scrubbed.Session != b.Session || scrubbed.Tab != b.Tab || *scrubbed.Seq != *b.Seq ||
		len(scrubbed.Events) != len(b.Events) || len(scrubbed.Assets) != len(b.Assets) {
		return fail("it is no longer the same batch")
	}
	for hash := range b.Assets {
		if _, ok := scrubbed.Assets[hash]; !ok {
			return fail("an asset's hash changed")
		}
	}
	return scrubbed, counts, nil
}
