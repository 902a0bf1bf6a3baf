// Package ingest receives batches of rrweb events from the browser SDK (POST /api/v1/ingest),
// refuses anything malformed or oversized with a clear 4xx, and acknowledges a batch only once
// its chunk is durable in the blob store and its index row is committed.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/scrub"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// ProtocolVersion is the only wire protocol version this server speaks.
const ProtocolVersion = "1"

// index is what ingest needs from the store.
type index interface {
	ProjectByKey(ctx context.Context, publicKey string) (store.Project, error)
	MissingContent(ctx context.Context, projectID string, hashes []string) ([]string, error)
	HasChunk(ctx context.Context, projectID, sessionID, tab string, seq int64) (bool, error)
	AppendBatches(ctx context.Context, bs []store.Batch) []error
}

// blobs is what ingest needs from the blob store.
type blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Delete(ctx context.Context, key string) error
}

// Options configure a Handler.
type Options struct {
	Limits Limits
	// MemoryBudget bounds the bytes that batches being decoded may hold at once (bodies,
	// decompressed JSON and the copies made while validating and compressing). A request
	// reserves its share before reading; when the budget is spent it waits up to QueueWait and
	// then gets 503 with Retry-After. This is what keeps a flood of large batches from taking
	// the process's memory with it.
	MemoryBudget int64
	QueueWait    time.Duration
	PerIP        RateLimit // zero: DefaultPerIP; negative rate: unlimited
	PerKey       RateLimit // zero: DefaultPerKey; negative rate: unlimited
	// OpenPerIP bounds the uploads one client address may have open at once (zero:
	// DefaultOpenPerIP; negative: unlimited), so one address cannot hold connections, and the
	// memory they have sent, by trickling bodies.
	OpenPerIP int
	// CountryHeader names a request header set by a trusted proxy in front of Reel with the
	// visitor's ISO 3166 alpha-2 country (Cloudflare's CF-IPCountry, a load balancer's
	// X-Country). Empty: countries are not recorded. Never set it without such a proxy: the
	// browser could send any value.
	CountryHeader string
	// ClientIPHeader names a request header set by a trusted proxy with the visitor's address
	// (X-Real-IP, CF-Connecting-IP; for X-Forwarded-For the last address, the one the nearest
	// proxy added). Empty: the connection's address. It feeds the per-IP rate limit and the
	// GeoIP lookup; the address is never stored.
	ClientIPHeader string
	// Countries looks up a visitor's country from their address (internal/geoip, an MMDB file
	// the operator supplies) when no trusted country header says it. Nil: no lookup.
	Countries Countries
	// Now is the clock a rotated key's grace is measured on; nil: time.Now. Tests set it.
	Now func() time.Time
	// Observe is told about every group commit (internal/metrics); nil: nobody.
	Observe GroupObserver
}

// GroupObserver watches group commits: how many batches, the pack's bytes, and how long the
// index transaction took.
type GroupObserver interface {
	GroupCommitted(batches, bytes int, index time.Duration)
}

// Countries maps an address to an ISO 3166 alpha-2 country code, "" when unknown.
type Countries interface {
	Country(ip netip.Addr) string
}

// DefaultMemoryBudget is the ingest memory bound a default server states and tests.
const DefaultMemoryBudget = 256 << 20

// Handler serves the ingest endpoint.
type Handler struct {
	index  index
	blobs  blobs
	log    *slog.Logger
	limits Limits
	mem    *semaphore.Weighted
	budget int64
	wait   time.Duration
	perIP  *limiters
	perKey *limiters
	commit *committer

	uploads *uploads // open per client address

	countryHeader  string
	clientIPHeader string
	countries      Countries
	now            func() time.Time
	observe        GroupObserver
}

// New returns an ingest handler.
func New(idx index, b blobs, log *slog.Logger, opts Options) *Handler {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.MemoryBudget <= 0 {
		opts.MemoryBudget = DefaultMemoryBudget
	}
	// The budget must fit the largest batch the limits allow, or such a batch would be told to
	// retry forever instead of being refused as too large.
	opts.MemoryBudget = max(opts.MemoryBudget, opts.Limits.MaxCompressed+3*opts.Limits.MaxDecompressed)
	if opts.QueueWait <= 0 {
		opts.QueueWait = 2 * time.Second
	}
	if opts.PerIP == (RateLimit{}) {
		opts.PerIP = DefaultPerIP
	}
	if opts.PerKey == (RateLimit{}) {
		opts.PerKey = DefaultPerKey
	}
	if opts.OpenPerIP == 0 {
		opts.OpenPerIP = DefaultOpenPerIP
	}
	h := &Handler{
		index: idx, blobs: b, log: log, limits: opts.Limits,
		mem: semaphore.NewWeighted(opts.MemoryBudget), budget: opts.MemoryBudget, wait: opts.QueueWait,
		perIP: newLimiters(opts.PerIP), perKey: newLimiters(opts.PerKey), uploads: newUploads(opts.OpenPerIP),
		countryHeader: opts.CountryHeader, clientIPHeader: opts.ClientIPHeader, countries: opts.Countries,
		now: opts.Now, observe: opts.Observe,
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.commit = &committer{h: h, queue: make(chan *job, maxGroupJobs)}
	return h
}

// reserve takes n bytes of the memory budget, waiting up to the queue wait.
func (h *Handler) reserve(ctx context.Context, n int64) error {
	n = min(n, h.budget)
	wctx, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	if err := h.mem.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return atCapacity()
	}
	return nil
}

// Result is the acknowledgement body.
type Result struct {
	OK        bool `json:"ok"`
	Duplicate bool `json:"duplicate"`
	Events    int  `json:"events"`
}

// ServeHTTP handles POST and OPTIONS (CORS preflight) on the ingest endpoint.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, err := h.serve(w, r)
	if err != nil {
		var known *apierror.Error
		if !errors.As(err, &known) && r.Context().Err() == nil {
			// Anything that is not the client's fault failed on the index or the blob store
			// (a lost database connection, a full disk, an object store answering 5xx). The
			// batch was not acknowledged, so the client may send it again.
			err = apierror.Unavailable(err, 5)
		}
		apierror.Write(w, r, h.log, err)
		return
	}
	if res != nil {
		apierror.JSON(w, http.StatusOK, res)
	}
}

// SDKConfig serves GET /api/v1/sdk-config: the project's remote configuration, which the SDK
// applies on start (docs/wire-format.md). Like ingest it needs only the public key.
func (h *Handler) SDKConfig() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Vary", "Origin")
		}
		key := r.URL.Query().Get("key")
		project, err := h.projectForKey(r.Context(), key)
		if key == "" || len(key) > 128 || errors.Is(err, store.ErrNotFound) {
			apierror.Write(w, r, h.log, apierror.New(http.StatusUnauthorized, "invalid_key", "unknown or disabled project key"))
			return
		}
		if err != nil {
			apierror.Write(w, r, h.log, fmt.Errorf("ingest: sdk config: %w", err))
			return
		}
		cfg := settings.Read(h.log, project).SDKConfig
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		// Short caching: a config change reaches visitors within a minute without every page
		// view asking.
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Write(cfg)
	})
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) (*Result, error) {
	// Every answer, errors included, is readable by the sending page: a browser hides the status
	// of a response without this header, and the SDK could not tell "stop" from "retry".
	origin := r.Header.Get("Origin")
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		w.Header().Set("Vary", "Origin")
	}
	now := time.Now()
	address := h.clientIP(r)
	if ok, wait := h.perIP.allow(address, now); !ok {
		return nil, rateLimited(wait, "address")
	}
	q := r.URL.Query()
	if v := q.Get("v"); v != ProtocolVersion {
		return nil, apierror.New(http.StatusBadRequest, "unsupported_version",
			fmt.Sprintf("protocol version %q is not supported; this server speaks v=%s, upgrade the SDK", v, ProtocolVersion))
	}
	enc := q.Get("enc")
	if enc != "" && enc != EncodingDelta {
		return nil, badRequest("unsupported_encoding", "body encoding %q is not supported; this server knows enc=%s", enc, EncodingDelta)
	}
	key := q.Get("key")
	if key == "" || len(key) > 128 {
		return nil, apierror.New(http.StatusUnauthorized, "invalid_key", "missing or malformed project key")
	}
	project, err := h.projectForKey(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierror.New(http.StatusUnauthorized, "invalid_key", "unknown or disabled project key")
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: look up key: %w", err)
	}
	if origin != "" && len(project.AllowedOrigins) > 0 && !slices.Contains(project.AllowedOrigins, origin) {
		return nil, apierror.New(http.StatusForbidden, "origin_not_allowed", "origin "+strconv.Quote(origin)+" may not send to this project")
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return nil, nil
	}

	if ok, wait := h.perKey.allow(project.ID, now); !ok {
		return nil, rateLimited(wait, "project")
	}

	if r.ContentLength > h.limits.MaxCompressed {
		return nil, tooLarge("body exceeds %d bytes", h.limits.MaxCompressed)
	}
	if !h.uploads.start(address) {
		return nil, &apierror.Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
			Message: "too many uploads open from this address, retry later", RetryAfter: 1}
	}
	defer h.uploads.done(address)
	// Memory is reserved as the request goes, never on its word: the body as its bytes arrive
	// (an upload announcing 8 MiB and trickling a byte a second holds a small first buffer,
	// not its announcement), then the decompressed JSON as it grows, then a fraction more for
	// the parsed events and the chunk being built.
	var reserved int64
	defer func() { h.mem.Release(reserved) }()
	grow := func(n int64) error {
		n = min(n, h.budget-reserved)
		if n <= 0 {
			return atCapacity()
		}
		if err := h.reserve(r.Context(), n); err != nil {
			return err
		}
		reserved += n
		return nil
	}
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.limits.MaxCompressed), r.ContentLength, h.limits.MaxCompressed, grow)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return nil, tooLarge("body exceeds %d bytes", h.limits.MaxCompressed)
	}
	var apiErr *apierror.Error
	if errors.As(err, &apiErr) || r.Context().Err() != nil {
		return nil, err
	}
	if err != nil {
		return nil, badRequest("bad_request", "reading body: %v", err)
	}
	// From here on the request is CPU work on its way to the committer, which a group may
	// wait for.
	arrival := h.commit.arrive()
	defer arrival.leave()
	raw, err := Decompress(body, h.limits, grow)
	if err != nil {
		return nil, err
	}
	if enc == EncodingDelta {
		if raw, err = Undelta(raw, grow); err != nil {
			return nil, err
		}
		if int64(len(raw)) > h.limits.MaxDecompressed {
			return nil, tooLarge("decoded batch exceeds %d bytes", h.limits.MaxDecompressed)
		}
	}
	// What is stored is served back as it is: make it valid UTF-8 before anything reads it.
	if raw, err = ValidText(raw, h.limits, grow); err != nil {
		return nil, err
	}
	// Decoding copies the events array once (its elements are then sub-slices of that copy)
	// and compression adds a fraction of it.
	if err := grow(int64(len(raw)) + int64(len(raw))/4); err != nil {
		return nil, err
	}
	batch, err := Decode(raw, h.limits)
	if err != nil {
		return nil, err
	}
	// Assets are checked against the hashes the browser computed, before scrubbing changes
	// them (docs/privacy-scrubber.md, "Assets").
	if err := checkAssets(batch, h.limits); err != nil {
		return nil, err
	}
	batch, scrubbed, err := h.scrub(project, raw, batch, grow)
	if err != nil {
		return nil, err
	}
	return h.store(r.Context(), arrival, project, batch, scrubbed, r.Header.Get("User-Agent"), h.country(r))
}

// country is the visitor's country: the trusted proxy's country header when it holds two
// letters, else the GeoIP database's answer for their address, else unknown.
func (h *Handler) country(r *http.Request) string {
	if h.countryHeader != "" {
		c := strings.ToUpper(strings.TrimSpace(r.Header.Get(h.countryHeader)))
		if len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' && c != "XX" {
			return c
		}
	}
	if h.countries == nil {
		return ""
	}
	ip, err := netip.ParseAddr(h.clientIP(r))
	if err != nil {
		return ""
	}
	return h.countries.Country(ip)
}

// store writes a decoded batch: chunk blob first, then the index row, so an acknowledged batch
// always has its blob, and a crash in between leaves only an unreferenced blob behind.
func (h *Handler) store(ctx context.Context, a *arrival, project store.Project, b *Batch, scrubbed scrub.Counts, userAgent, country string) (*Result, error) {
	seq := *b.Seq
	// The session's project is checked with the duplicate: answering "duplicate" to another
	// project's key would tell it which batches that project's session holds.
	dup, err := h.index.HasChunk(ctx, project.ID, b.Session, b.Tab, seq)
	if errors.Is(err, store.ErrConflict) {
		return nil, sessionConflict()
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: check duplicate: %w", err)
	}
	if dup {
		return &Result{OK: true, Duplicate: true, Events: len(b.Events)}, nil
	}
	sum, err := Summarize(b)
	if err != nil {
		return nil, err
	}
	if err := plausibleTimes(sum.First, sum.Last, time.Now()); err != nil {
		return nil, err
	}
	// A batch longer than a session may be is refused before anything is written; the index
	// holds the session as a whole to the same span (store.Batch.MaxSpan).
	if h.limits.MaxSession > 0 && sum.Last.Sub(sum.First) > h.limits.MaxSession {
		return nil, tooLong(h.limits.MaxSession)
	}
	refs, err := h.storeAssets(ctx, project, b)
	if err != nil {
		return nil, err
	}
	data, rawLen := chunk.EncodeArray(b.EventsJSON), len(b.EventsJSON)
	if b.Meta.UserAgent != "" {
		userAgent = b.Meta.UserAgent
	}
	userAgent = strings.ToValidUTF8(userAgent, "\uFFFD") // a header may carry any byte
	ua := useragent.Parse(userAgent)
	browser, v := strings.ToLower(ua.Browser), "" // "samsung internet 27"
	if i := strings.LastIndexByte(browser, ' '); i >= 0 {
		browser, v = browser[:i], browser[i+1:]
	}
	version, _ := strconv.Atoi(v)
	sentAt := time.Now()
	if b.SentAt > 0 {
		sentAt = time.UnixMilli(int64(b.SentAt))
	}
	err = h.commit.commit(ctx, a, store.Batch{
		ProjectID: project.ID,
		Chunk: store.Chunk{
			SessionID: b.Session, Tab: b.Tab, Seq: seq,
			FirstAt: sum.First, LastAt: sum.Last,
			Events: len(b.Events), RawBytes: rawLen, StoredBytes: len(data),
			SnapshotAt: sum.SnapshotAt,
		},
		UserID:    sum.UserID,
		UserIDs:   sum.UserIDs,
		MaxSpan:   h.limits.MaxSession,
		Content:   refs,
		Pages:     sum.Pages,
		Clicks:    sum.Clicks,
		ActiveMS:  sum.ActiveMS,
		UserAgent: truncate(userAgent, 512),
		Viewport:  sum.Viewport,
		SentAt:    sentAt,

		Browser: browser, BrowserVersion: version, OS: strings.ToLower(ua.OS), Device: ua.Device,
		Country: country, Errors: sum.Errors, Failed: sum.Failed,
		ErrorMessages: sum.ErrorMessages, EventNames: sum.EventNames, Traits: sum.Traits,
		Referrer: truncate(b.Meta.Referrer, 2048), EventProps: sum.EventProps, Text: sum.Text, Vitals: sum.Vitals, Flags: sum.Flags,
		Scrubbed: scrubbed,
	}, data)
	switch {
	case errors.Is(err, store.ErrDuplicate):
		// A concurrent delivery of the same batch was stored first.
		return &Result{OK: true, Duplicate: true, Events: len(b.Events)}, nil
	case errors.Is(err, store.ErrConflict):
		return nil, sessionConflict()
	case errors.Is(err, store.ErrErased):
		return nil, errErased
	case errors.Is(err, store.ErrTooLong):
		return nil, tooLong(h.limits.MaxSession)
	case err != nil:
		return nil, fmt.Errorf("ingest: store batch: %w", err)
	}
	return &Result{OK: true, Events: len(b.Events)}, nil
}

func tooLong(span time.Duration) error {
	return tooLarge("the session would span more than %s; start a new session", span)
}

func sessionConflict() error {
	return apierror.New(http.StatusConflict, "session_conflict", "session id belongs to another project")
}

// checkAssets checks the assets a batch carries as the browser sent them: each is named by the
// SHA-256 of its text.
func checkAssets(b *Batch, limits Limits) error {
	if len(b.Assets) > limits.MaxEvents {
		return tooLarge("batch has %d assets, more than %d", len(b.Assets), limits.MaxEvents)
	}
	for hash, value := range b.Assets {
		if !content.ValidHash(hash) || content.Hash(value) != hash {
			return badRequest("bad_asset", "asset %.16s… is not the SHA-256 of its content", hash)
		}
	}
	return nil
}

// storeAssets stores the assets a batch carries (checked by checkAssets before scrubbing, and
// kept under the hash the browser gave them) and checks the markers its events hold: every
// marker must name an asset of this batch or one the project already has. New assets are stored
// before the batch is acknowledged. It returns every content item the batch references.
func (h *Handler) storeAssets(ctx context.Context, project store.Project, b *Batch) ([]store.ContentRef, error) {
	if len(b.Assets) > h.limits.MaxEvents {
		return nil, tooLarge("batch has %d assets, more than %d", len(b.Assets), h.limits.MaxEvents)
	}
	tokens := make(map[string][]byte, len(b.Assets))
	for hash, value := range b.Assets {
		if !content.ValidHash(hash) {
			return nil, badRequest("bad_asset", "asset %.16s… is not a SHA-256", hash)
		}
		tokens[hash] = content.Token(value)
	}
	markers := content.Refs(b.EventsJSON)
	var needed []string
	for _, hash := range markers {
		if _, ok := tokens[hash]; !ok {
			needed = append(needed, hash)
		}
	}
	if len(needed) > 0 {
		missing, err := h.index.MissingContent(ctx, project.ID, needed)
		if err != nil {
			return nil, fmt.Errorf("ingest: check content: %w", err)
		}
		if len(missing) > 0 {
			return nil, &apierror.Error{Status: http.StatusConflict, Code: "missing_content",
				Message: fmt.Sprintf("%d referenced assets are unknown; resend the batch with them", len(missing)), Missing: missing}
		}
	}
	refs := make([]store.ContentRef, 0, len(markers)+len(tokens))
	seen := map[string]bool{}
	for hash, tok := range tokens {
		stored, err := layout.PutContent(ctx, h.blobs, project.ID, hash, tok)
		if err != nil {
			return nil, fmt.Errorf("ingest: %w", err)
		}
		refs = append(refs, store.ContentRef{Hash: hash, Size: len(tok), Stored: stored, Root: true})
		seen[hash] = true
	}
	for _, hash := range markers {
		if !seen[hash] {
			refs = append(refs, store.ContentRef{Hash: hash, Root: true})
			seen[hash] = true
		}
	}
	return refs, nil
}

// firstBuffer is what a request's body is first read into: all of an SDK batch, usually, and
// all that an upload which has sent a few bytes holds of the budget.
const firstBuffer = 64 << 10

// readBody reads a request body of the announced length (-1: unknown), at most limit bytes,
// asking grow for memory before each buffer it allocates: first up to firstBuffer bytes, then
// doubling up to the announced length as the bytes arrive. An honest body up to firstBuffer is
// read into one allocation, as the SDK's fetch announces its length; a larger one is copied a
// few times, which costs less than trusting an announcement a slow client may never keep.
func readBody(r io.Reader, length, limit int64, grow func(n int64) error) ([]byte, error) {
	want := limit + 1 // unknown length: up to the limit, the MaxBytesReader refuses the rest
	if length >= 0 {
		want = min(length+1, limit+1)
	}
	size := min(want, firstBuffer)
	if err := grow(size); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			target := want
			if int64(cap(buf)) >= want {
				target = limit + 1 // longer than announced: the decoder will judge
			}
			next := min(2*int64(cap(buf)), target)
			if next <= int64(cap(buf)) {
				return nil, tooLarge("body exceeds %d bytes", limit)
			}
			if err := grow(next - int64(cap(buf))); err != nil {
				return nil, err
			}
			buf = append(make([]byte, 0, next), buf...)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return buf, nil // shorter than announced: the decoder will judge what arrived
		case err != nil:
			return nil, err
		}
	}
}
