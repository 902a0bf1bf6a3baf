// Package s3 keeps Reel's objects in a bucket of any S3-compatible store (AWS S3, MinIO,
// versitygw, Ceph, R2…), for running several Reel nodes on shared storage. It is a package of
// its own, not a file of internal/blob, so that the S3 client is linked only by what opens a
// store from configuration (cmd/reel), never by the packages that merely use blob.Store.
//
// The client is minio-go: it reads ranges, uploads large objects in parts and retries with
// backoff, with fewer dependencies than the AWS SDK (docs/decisions.md says why).
package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/reelhq/reel/internal/blob"
)

var _ blob.Store = (*Store)(nil)

// PartSize is the size of the parts of a multipart upload. An object up to this size goes in
// one PUT (nearly every pack and compacted session), so a write costs one request; a
// larger one goes in parts of this size, several at once, each retried on its own.
const PartSize = 16 << 20

// Options tune how patiently the store talks to the server. The zero value is the default.
type Options struct {
	// Attempts bounds the tries of one request: the first and the retries, which come after
	// an exponential backoff with jitter (200 ms doubling, at most 1 s apart) on network
	// errors, 5xx, 429 and S3's throttling codes. Default 5.
	Attempts int
	// AttemptTimeout bounds how long one try waits for the server's response headers, so a
	// server that accepts connections but stopped answering costs one timeout per attempt,
	// not a hung request. Default 30 s.
	AttemptTimeout time.Duration
	// CallTimeout bounds a whole call, retries and body included. Default 5 min.
	CallTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 30 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 5 * time.Minute
	}
	return o
}

// Config is what an s3:// URL says: where the bucket is and how to address it. It holds no
// credentials; those come from the environment (Credentials).
type Config struct {
	Bucket    string
	Prefix    string // prepended to every key; "" or ending in "/"
	Endpoint  string // host[:port]
	Secure    bool   // https
	Region    string // "" lets the client ask the server
	PathStyle *bool  // nil: the client decides by endpoint (virtual-host on AWS)
}

// ParseURL reads s3://BUCKET[/PREFIX]?endpoint=URL&region=R&use_path_style=BOOL. Without
// endpoint it is AWS S3 over https; region falls back to AWS_REGION and AWS_DEFAULT_REGION.
// Credentials in the URL are refused: a URL ends up in logs and process listings, so they
// come from the environment only.
func ParseURL(raw string) (Config, error) {
	var c Config
	u, err := url.Parse(raw)
	if err != nil {
		// Not url.Error itself: it repeats the URL, credentials and all if someone put them in.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return c, fmt.Errorf("s3: blob store URL does not parse: %w", err)
	}
	if u.Scheme != "s3" {
		return c, fmt.Errorf("s3: blob store URL must start with s3://, not %q", u.Scheme+"://")
	}
	if u.User != nil {
		return c, errors.New("s3: blob store URL must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or another AWS credential source) instead")
	}
	c.Bucket = u.Host
	if c.Bucket == "" {
		return c, errors.New("s3: blob store URL has no bucket (s3://BUCKET?...)")
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if err := blob.ValidKey(p); err != nil {
			return c, fmt.Errorf("s3: blob store URL: key prefix %q: %w", p, err)
		}
		c.Prefix = p + "/"
	}
	q := u.Query()
	for k := range q {
		switch k {
		case "endpoint", "region", "use_path_style":
		default:
			return c, fmt.Errorf("s3: blob store URL: unknown parameter %q (known: endpoint, region, use_path_style)", k)
		}
	}
	c.Endpoint, c.Secure = "s3.amazonaws.com", true
	if e := q.Get("endpoint"); e != "" {
		eu, err := url.Parse(e)
		if err == nil && eu.User != nil {
			return c, errors.New("s3: blob store URL: endpoint must not carry credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead")
		}
		if err != nil || eu.Host == "" || (eu.Scheme != "http" && eu.Scheme != "https") || strings.Trim(eu.Path, "/") != "" {
			return c, fmt.Errorf("s3: blob store URL: endpoint must be http(s)://host[:port], not %q", e)
		}
		c.Endpoint, c.Secure = eu.Host, eu.Scheme == "https"
	}
	c.Region = q.Get("region")
	if c.Region == "" {
		c.Region = firstSet(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	}
	if v := q.Get("use_path_style"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("s3: blob store URL: use_path_style: %w", err)
		}
		c.PathStyle = &b
	}
	return c, nil
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// String describes the store for logs: bucket, prefix, endpoint, region and addressing, and
// never a credential.
func (c Config) String() string {
	scheme := "http"
	if c.Secure {
		scheme = "https"
	}
	s := fmt.Sprintf("s3://%s/%s at %s://%s", c.Bucket, c.Prefix, scheme, c.Endpoint)
	if c.Region != "" {
		s += " region " + c.Region
	}
	if c.PathStyle != nil && *c.PathStyle {
		s += " path-style"
	}
	return s
}

// Credentials is the usual AWS chain, in its order: AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN), then the shared files ~/.aws/credentials and
// ~/.aws/config (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE; static keys,
// credential_process and SSO), then the machine's role: EKS web identity, ECS container
// credentials, EC2 instance metadata.
func Credentials() *credentials.Credentials {
	return credentials.NewChainCredentials([]credentials.Provider{
		&credentials.EnvAWS{},
		&credentials.FileAWSCredentials{},
		&credentials.IAM{},
	})
}

// Store is a blob.Store on one bucket (and optionally a key prefix inside it).
type Store struct {
	cfg  Config
	opts Options
	core minio.Core
}

// Open connects to the bucket rawURL names (ParseURL) with credentials from the environment,
// and checks that it can write, read and delete there (Check), so a wrong endpoint, bucket or
// key is reported when Reel starts rather than on the first batch.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	cfg, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	s, err := New(cfg, Credentials(), opts)
	if err != nil {
		return nil, err
	}
	if err := s.Check(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// New returns a store for cfg without talking to the server.
func New(cfg Config, creds *credentials.Credentials, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("s3: transport: %w", err)
	}
	tr.ResponseHeaderTimeout = opts.AttemptTimeout
	tr.DialContext = (&net.Dialer{Timeout: min(opts.AttemptTimeout, 10*time.Second), KeepAlive: 30 * time.Second}).DialContext
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle != nil {
		lookup = minio.BucketLookupDNS
		if *cfg.PathStyle {
			lookup = minio.BucketLookupPath
		}
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        creds,
		Secure:       cfg.Secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    tr,
		MaxRetries:   opts.Attempts,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: client for %s: %w", cfg, err)
	}
	return &Store{cfg: cfg, opts: opts, core: minio.Core{Client: c}}, nil
}

// String describes the store without credentials.
func (s *Store) String() string { return s.cfg.String() }

// probePrefix starts the names of Check's probe objects, directly under the store's prefix.
const probePrefix = ".tmp-check-"

// Check writes, reads back and deletes a small probe object, and says in its error which of
// the three failed and what that usually means. The probe's name starts with ".tmp-", which no
// key may, so List never reports it to the orphan sweep.
func (s *Store) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	var rnd [8]byte
	rand.Read(rnd[:])
	name := s.cfg.Prefix + probePrefix + hex.EncodeToString(rnd[:])
	want := []byte("reel blob store check " + hex.EncodeToString(rnd[:]))
	if _, err := s.core.Client.PutObject(ctx, s.cfg.Bucket, name, bytes.NewReader(want), int64(len(want)), minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("s3: %s: cannot write a probe object: %w%s", s.cfg, err, hint(err))
	}
	body, _, _, err := s.core.GetObject(ctx, s.cfg.Bucket, name, minio.GetObjectOptions{})
	if err == nil {
		var got []byte
		got, err = io.ReadAll(body)
		body.Close()
		if err == nil && !bytes.Equal(got, want) {
			err = fmt.Errorf("read back %d bytes that differ from the %d written", len(got), len(want))
		}
	}
	if err != nil {
		return fmt.Errorf("s3: %s: cannot read back a probe object: %w%s", s.cfg, err, hint(err))
	}
	if err := s.core.RemoveObject(ctx, s.cfg.Bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3: %s: cannot delete a probe object: %w%s", s.cfg, err, hint(err))
	}
	return nil
}

// hint adds what an operator most likely has to fix for the usual start-up failures.
func hint(err error) string {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchBucket":
		return " (the bucket does not exist: create it first)"
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken":
		return " (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the role, and the bucket's policy)"
	case "AuthorizationHeaderMalformed", "InvalidRegion":
		return " (check region= in the blob store URL)"
	}
	var op *net.OpError
	var dns *net.DNSError
	var ne net.Error
	if errors.As(err, &op) || errors.As(err, &dns) || errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return " (the endpoint cannot be reached or does not answer: check endpoint= in the blob store URL)"
	}
	return ""
}

func (s *Store) name(key string) (string, error) {
	if err := blob.ValidKey(key); err != nil {
		return "", err
	}
	return s.cfg.Prefix + key, nil
}

// notFound reports whether err is S3's answer for a missing key. A missing bucket is not: that
// is a configuration error, and calling it "not found" would make callers treat every object
// as deleted.
func notFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == "NoSuchKey" || r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket"
}

// Put stores data under key. S3 makes an object visible whole or not at all, so a failed Put
// never leaves a partial object; the client aborts a multipart upload that failed half-way,
// so its parts stop costing storage (RemoveTemps, or the bucket's
// AbortIncompleteMultipartUpload lifecycle rule, catches what a dead process left).
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	_, err = s.core.Client.PutObject(ctx, s.cfg.Bucket, name, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		PartSize:    PartSize,
		ContentType: "application/octet-stream",
	})
	if err != nil {
		return fmt.Errorf("s3: put %s: %w", key, err)
	}
	return nil
}

// Get reads the whole object under key.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	b, err := s.read(ctx, name, minio.GetObjectOptions{}, -1)
	if err != nil {
		return nil, fmt.Errorf("s3: get %s: %w", key, err)
	}
	return b, nil
}

// GetRange reads length bytes at offset with one ranged GET, so seeking to a moment of a long
// session transfers one segment, not the session. A range the object does not wholly hold is
// an error, as for local files: S3 itself answers such a request with the bytes it has.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, err
	}
	if offset < 0 || length < 0 || length > 1<<31 {
		return nil, fmt.Errorf("s3: get %s: invalid range %d+%d", key, offset, length)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	if length == 0 {
		// HTTP cannot ask for zero bytes; the object's size says whether the range is in it.
		info, err := s.core.Client.StatObject(ctx, s.cfg.Bucket, name, minio.StatObjectOptions{})
		if notFound(err) {
			return nil, fmt.Errorf("s3: get %s: %w", key, blob.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("s3: get %s: %w", key, err)
		}
		if offset > info.Size {
			return nil, fmt.Errorf("s3: get %s: range %d+0 past the end (%d bytes)", key, offset, info.Size)
		}
		return []byte{}, nil
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(offset, offset+length-1); err != nil {
		return nil, fmt.Errorf("s3: get %s: %w", key, err)
	}
	b, err := s.read(ctx, name, opts, length)
	if err != nil {
		return nil, fmt.Errorf("s3: get %s [%d+%d]: %w", key, offset, length, err)
	}
	return b, nil
}

// read GETs name and reads its body, which must be want bytes long when want >= 0.
func (s *Store) read(ctx context.Context, name string, opts minio.GetObjectOptions, want int64) ([]byte, error) {
	body, info, _, err := s.core.GetObject(ctx, s.cfg.Bucket, name, opts)
	if notFound(err) {
		return nil, blob.ErrNotFound
	}
	if err != nil {
		if r := minio.ToErrorResponse(err); r.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			return nil, errors.New("range past the end of the object")
		}
		return nil, err
	}
	defer body.Close()
	n := info.Size
	if n < 0 {
		// No Content-Length (a chunked answer): read what comes, then judge its length.
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		if want >= 0 && int64(len(b)) != want {
			return nil, fmt.Errorf("range past the end of the object: %d bytes answered", len(b))
		}
		return b, nil
	}
	if want >= 0 && n != want {
		return nil, fmt.Errorf("range past the end of the object: %d bytes answered", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return buf, nil
}

// Delete removes the object under key; S3 answers success for a missing key too.
func (s *Store) Delete(ctx context.Context, key string) error {
	name, err := s.name(key)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	if err := s.core.RemoveObject(ctx, s.cfg.Bucket, name, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("s3: delete %s: %w", key, err)
	}
	return nil
}

// List calls fn for each object under prefix, paging through ListObjectsV2 (in key order, as
// S3 lists). Names no key could have, such as Check's probes, are passed over.
func (s *Store) List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error {
	if err := blob.ValidPrefix(prefix); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the client's listing goroutine when fn ends the walk early
	for obj := range s.core.Client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("s3: list %q: %w", prefix, obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.cfg.Prefix)
		if blob.ValidKey(key) != nil {
			continue
		}
		if err := fn(key, obj.Size, obj.LastModified); err != nil {
			return fmt.Errorf("s3: list %q: %w", prefix, err)
		}
	}
	return ctx.Err()
}

// RemoveTemps aborts the multipart uploads under the store's prefix that were started before
// cutoff and never completed: the S3 counterpart of Local.RemoveTemps, for the orphan sweep.
// Their parts are invisible to List and Get but cost storage until aborted. The client aborts
// Put's failed uploads, so these are what a process that died mid-upload left. It also deletes
// Check's probe objects older than cutoff, which a process killed during its start-up check
// leaves and List never shows. It returns how many uploads and probes it removed.
func (s *Store) RemoveTemps(ctx context.Context, cutoff time.Time) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := 0
	for obj := range s.core.Client.ListObjects(ctx, s.cfg.Bucket, minio.ListObjectsOptions{Prefix: s.cfg.Prefix + probePrefix}) {
		if obj.Err != nil {
			return n, fmt.Errorf("s3: list probes: %w", obj.Err)
		}
		if !obj.LastModified.Before(cutoff) {
			continue
		}
		if err := s.core.RemoveObject(ctx, s.cfg.Bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
			return n, fmt.Errorf("s3: delete probe %s: %w", obj.Key, err)
		}
		n++
	}
	for up := range s.core.Client.ListIncompleteUploads(ctx, s.cfg.Bucket, s.cfg.Prefix, true) {
		if up.Err != nil {
			return n, fmt.Errorf("s3: list incomplete uploads: %w", up.Err)
		}
		if !up.Initiated.Before(cutoff) {
			continue
		}
		if err := s.core.AbortMultipartUpload(ctx, s.cfg.Bucket, up.Key, up.UploadID); err != nil && !notFound(err) && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
			return n, fmt.Errorf("s3: abort upload of %s: %w", up.Key, err)
		}
		n++
	}
	return n, ctx.Err()
}
