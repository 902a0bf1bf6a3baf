package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/metrics"
)

// undocumented are the routes of Table that are not API operations, so not in the OpenAPI
// document: the browser surfaces (dashboard, SDK bundle, demo shop) and the fallback that
// answers 404 for every unknown /api/ path. Any other route must be documented.
var undocumented = []string{"/api/", "GET /sdk/", "/demo/", "GET /demo", "/"}

var openAPI struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// loadOpenAPI loads the served document once, validated as OpenAPI 3.1 (kin-openapi's loader
// and Validate), with a router over its paths.
func loadOpenAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	openAPI.once.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(api.OpenAPIDocument())
		if err != nil {
			openAPI.err = fmt.Errorf("load: %w", err)
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			openAPI.err = fmt.Errorf("validate: %w", err)
			return
		}
		if openAPI.router, err = gorillamux.NewRouter(doc); err != nil {
			openAPI.err = fmt.Errorf("router: %w", err)
			return
		}
		openAPI.doc = doc
	})
	if openAPI.err != nil {
		t.Fatalf("openapi.yaml: %v", openAPI.err)
	}
	return openAPI.doc, openAPI.router
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	// Served as JSON, publicly, the same bytes.
	s := newStack(t)
	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/openapi.json", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || !bytes.Equal(r.Body, api.OpenAPIDocument()) {
		t.Fatalf("openapi.json = %d %q, %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}
	var served struct{ OpenAPI string }
	if err := json.Unmarshal(r.Body, &served); err != nil || served.OpenAPI != "3.1.0" {
		t.Fatalf("served document: %v %q", err, served.OpenAPI)
	}
	// Every error answer shares one schema.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, ref := range op.Responses.Map() {
				if code[0] != '4' && code[0] != '5' || ref.Value.Content == nil {
					continue
				}
				if method == http.MethodGet && path == "/metrics" && code == "404" {
					continue // the mux's plain-text 404 when the server keeps no metrics
				}
				mt := ref.Value.Content.Get("application/json")
				if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Error" {
					t.Errorf("%s %s %s: error answers must be the Error schema", method, path, code)
				}
			}
		}
	}
}

// wildcard matches a ServeMux wildcard ({id}, {rest...}, {$}).
var wildcard = regexp.MustCompile(`\{([^}]*)\}`)

// TestOpenAPIListsEveryRoute compares the route table and the document both ways: a route
// added without documentation, or documentation of a route that is gone, fails; so does an
// operation whose x-reel-need is not its route's need, or a public route the document says
// needs credentials (and the other way round).
func TestOpenAPIListsEveryRoute(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	routes := map[string]auth.Need{}
	for _, rt := range Table(Components{}) {
		if slices.Contains(undocumented, rt.Pattern) {
			continue
		}
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			t.Errorf("%s: a route for every method is not an API operation; document its methods or add it to undocumented", rt.Pattern)
			continue
		}
		path = wildcard.ReplaceAllStringFunc(path, func(w string) string {
			name := strings.TrimSuffix(w[1:len(w)-1], "...")
			if name == "$" {
				return ""
			}
			return "{" + name + "}"
		})
		routes[method+" "+path] = rt.Need
	}
	documented := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[method+" "+path] = op
		}
	}
	for key, need := range routes {
		op, ok := documented[key]
		if !ok {
			t.Errorf("%s is a route but not in internal/api/openapi.yaml", key)
			continue
		}
		if got := op.Extensions["x-reel-need"]; got != need.String() {
			t.Errorf("%s: x-reel-need is %v, the route needs %s", key, got, need)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if key == "POST /api/v1/ingest" || key == "GET /api/v1/sdk-config" {
			public = op.Security != nil && len(*op.Security) == 1 && (*op.Security)[0]["projectKey"] != nil
		}
		if public != (need == auth.Public) {
			t.Errorf("%s: the document says public=%v, the route needs %s", key, public, need)
		}
	}
	for key := range documented {
		if _, ok := routes[key]; !ok {
			t.Errorf("%s is in internal/api/openapi.yaml but no route serves it", key)
		}
	}
	if len(routes) < 70 {
		t.Fatalf("only %d routes compared: the table lost its routes?", len(routes))
	}
}

// validated records the operation and status of every answer checkAgainstOpenAPI saw.
var validated sync.Map

// TestMain runs the tests and, with REEL_OPENAPI_COVERAGE set, prints which operations and
// statuses the validated answers covered and which operations no test reached.
func TestMain(m *testing.M) {
	code := m.Run()
	if doc := openAPI.doc; os.Getenv("REEL_OPENAPI_COVERAGE") != "" && doc != nil {
		seen := map[string]bool{}
		var lines []string
		validated.Range(func(k, _ any) bool {
			key := k.(string)
			lines = append(lines, "validated "+key)
			seen[key[:strings.LastIndexByte(key, ' ')]] = true
			return true
		})
		bodyUnchecked.Range(func(k, _ any) bool {
			lines = append(lines, "body not validated "+k.(string))
			return true
		})
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				if !seen[method+" "+path] {
					lines = append(lines, "never reached "+method+" "+path)
				}
			}
		}
		slices.Sort(lines)
		fmt.Println(strings.Join(lines, "\n"))
	}
	os.Exit(code)
}

// bodyUnchecked counts the answers checkAgainstOpenAPI validated only by status and content
// type (archived files: a stylesheet, an image, a font, whatever was archived).
var bodyUnchecked sync.Map

// checkAgainstOpenAPI validates one answer the tests received against the document: its
// operation exists, its status is documented, its content type is one the document gives
// for that status, and its body (JSON, or each line of JSON lines) matches the schema.
// Requests the router refuses before any route (an unknown /api/ path, a method a path does
// not have, the dashboard's pages) are left alone: their answer is the mux's or the
// fallback's, outside the document.
func checkAgainstOpenAPI(t testing.TB, req *http.Request, sent []byte, res *http.Response, body []byte) {
	t.Helper()
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		if err := validateRequest(t, req, sent); err != nil {
			t.Errorf("OpenAPI: %s %s = %d, but the request does not match the document: %v\nrequest body: %.600s", req.Method, req.URL, res.StatusCode, err, sent)
		}
	}
	body, err := decoded(res.Header.Get("Content-Encoding"), body)
	if err != nil {
		t.Errorf("OpenAPI: %s %s: %v", req.Method, req.URL.Path, err)
		return
	}
	if err := validateAnswer(t, req, res, body); err != nil {
		t.Errorf("OpenAPI: %s %s = %d %q: %v\nbody: %.600s", req.Method, req.URL.Path, res.StatusCode, res.Header.Get("Content-Type"), err, body)
	}
}

func validateAnswer(t testing.TB, req *http.Request, res *http.Response, body []byte) error {
	_, router := loadOpenAPI(t)
	if !documentedPath(req.URL.Path) {
		return nil
	}
	route, params, err := router.FindRoute(req)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find route: %w", err)
	}
	validated.Store(fmt.Sprintf("%s %s %d", route.Method, route.Path, res.StatusCode), true)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	ct := res.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case len(body) == 0 || mt == "application/json":
		in.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil || len(body) == 0 {
			return err
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		schema := route.Operation.Responses.Status(res.StatusCode).Value.Content.Get(ct).Schema
		return undocumentedFields(schema, v)
	case mt == "application/x-ndjson":
		// JSON lines: the document's schema is that of one line.
		in.Options.ExcludeResponseBody = true
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			return err
		}
		media := route.Operation.Responses.Status(res.StatusCode).Value.Content.Get(ct)
		if media == nil {
			return fmt.Errorf("content type %q is not documented", ct)
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			var v any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			if err := media.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			if err := undocumentedFields(media.Schema, v); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
		}
		return sc.Err()
	default:
		// Other types are validated by status and content type; their bodies are the
		// resource's own bytes (archived files) or plain text.
		in.Options.ExcludeResponseBody = true
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			return err
		}
		resp := route.Operation.Responses.Status(res.StatusCode)
		if resp == nil || resp.Value.Content == nil || resp.Value.Content.Get(ct) == nil {
			return fmt.Errorf("content type %q is not documented for %d", ct, res.StatusCode)
		}
		if mt == "text/plain" {
			in.Options.ExcludeResponseBody = false
			in.SetBodyBytes(body)
			return openapi3filter.ValidateResponse(context.Background(), in)
		}
		bodyUnchecked.Store(route.Method+" "+route.Path+" "+mt, true)
		return nil
	}
}

// validateRequest checks a request the server accepted against the document: its
// parameters and body are what the document says an operation takes (a request the server
// accepts and the document forbids is a documentation bug). Credentials are not checked here:
// TestOpenAPIListsEveryRoute compares who may call what with the route table.
func validateRequest(t testing.TB, req *http.Request, sent []byte) error {
	_, router := loadOpenAPI(t)
	if !documentedPath(req.URL.Path) {
		return nil
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("find route: %w", err)
	}
	r := req.Clone(context.Background())
	r.Body = io.NopCloser(bytes.NewReader(sent))
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}
	ingest := route.Operation.OperationID == "ingest"
	if ingest {
		// Ingest bodies are gzip whatever their type: checked below, unzipped.
		opts.ExcludeRequestBody = true
	} else if len(sent) > 0 && r.Header.Get("Content-Type") == "" {
		// The API reads a body as JSON whatever its type says (the document names
		// application/json); some tests send none.
		r.Header.Set("Content-Type", "application/json")
	}
	if err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route, Options: opts,
	}); err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "text/plain" && !ingest && route.Operation.RequestBody != nil {
		// JSON sent as text/plain to avoid a CORS preflight: the text must be what the
		// operation documents as its application/json body.
		if media := route.Operation.RequestBody.Value.Content.Get("application/json"); media != nil {
			var v any
			if err := json.Unmarshal(sent, &v); err != nil {
				return fmt.Errorf("text/plain body: %w", err)
			}
			return media.Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
		}
	}
	if !ingest {
		return nil
	}
	plain, err := decoded("gzip", sent)
	if err != nil {
		return fmt.Errorf("ingest body: %w", err)
	}
	var batch any
	if err := json.Unmarshal(plain, &batch); err != nil {
		return fmt.Errorf("ingest body: %w", err)
	}
	doc, _ := loadOpenAPI(t)
	return doc.Components.Schemas["IngestBatch"].Value.VisitJSON(batch, openapi3.EnableJSONSchema2020())
}

// undocumentedFields reports the fields of an answer its schema does not name. The document
// leaves objects open (clients should ignore fields they do not know, so adding one is not a
// breaking change), but the tests hold it complete: every field the server sends must be
// documented. Objects whose schema names no properties (free-form: an rrweb event's data, a
// project's sdkConfig) or gives additionalProperties a schema (a map) are not held to it.
func undocumentedFields(ref *openapi3.SchemaRef, v any) error {
	var missing []string
	walkUndocumented(ref, v, "", &missing)
	if len(missing) > 0 {
		return fmt.Errorf("fields the document does not name: %s", strings.Join(missing, ", "))
	}
	return nil
}

func walkUndocumented(ref *openapi3.SchemaRef, v any, at string, missing *[]string) {
	if ref == nil || ref.Value == nil {
		return
	}
	// The schemas that apply to v: the schema itself and its allOf, and the oneOf/anyOf
	// branches v matches.
	var all []*openapi3.Schema
	var collect func(s *openapi3.Schema)
	collect = func(s *openapi3.Schema) {
		all = append(all, s)
		for _, b := range s.AllOf {
			if b.Value != nil {
				collect(b.Value)
			}
		}
		for _, b := range append(slices.Clone(s.OneOf), s.AnyOf...) {
			if b.Value != nil && b.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()) == nil {
				collect(b.Value)
			}
		}
	}
	collect(ref.Value)
	switch v := v.(type) {
	case map[string]any:
		props := map[string]*openapi3.SchemaRef{}
		for _, s := range all {
			if s.AdditionalProperties.Schema != nil || (s.AdditionalProperties.Has != nil && *s.AdditionalProperties.Has) {
				for k, x := range v {
					walkUndocumented(s.AdditionalProperties.Schema, x, at+"/"+k, missing)
				}
				return
			}
			for k, p := range s.Properties {
				props[k] = p
			}
		}
		if len(props) == 0 {
			return // free-form
		}
		for k, x := range v {
			p, ok := props[k]
			if !ok {
				*missing = append(*missing, at+"/"+k)
				continue
			}
			walkUndocumented(p, x, at+"/"+k, missing)
		}
	case []any:
		for _, s := range all {
			if s.Items != nil {
				for i, x := range v {
					walkUndocumented(s.Items, x, fmt.Sprintf("%s/%d", at, i), missing)
				}
				return
			}
		}
	}
}

// decoded undoes a Content-Encoding the test asked for itself (Go's client decodes only the
// gzip it asked for on its own).
func decoded(encoding string, body []byte) ([]byte, error) {
	switch encoding {
	case "":
		return body, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return io.ReadAll(zr)
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return nil, fmt.Errorf("unknown Content-Encoding %q", encoding)
}

// documentedPath is whether a request path may be one of the document's operations.
func documentedPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/metrics"
}

// TestOpenAPICheckCatchesMismatches: the validation the tests' client runs is not vacuous; it
// refuses an undocumented status, a wrong body and a wrong content type.
func TestOpenAPICheckCatchesMismatches(t *testing.T) {
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	cases := []struct {
		name   string
		status int
		header http.Header
		body   string
		ok     bool
	}{
		{"error as documented", 404, jsonHeader, `{"error":{"code":"not_found","message":"session not found"}}`, true},
		{"undocumented status", 418, jsonHeader, `{"error":{"code":"teapot","message":"no"}}`, false},
		{"error without a message", 404, jsonHeader, `{"error":{"code":"not_found"}}`, false},
		{"session without its fields", 200, jsonHeader, `{"id":"s_x"}`, false},
		{"error with a field the document does not name", 404, jsonHeader, `{"error":{"code":"not_found","message":"m"},"trace":"x"}`, false},
		{"user as documented", 200, jsonHeader, `{"user":{"email":"a@reel.local","role":"owner"}}`, true},
		{"user with a field the document does not name", 200, jsonHeader, `{"user":{"email":"a@reel.local","role":"owner","password":"x"}}`, false},
		{"wrong content type", 404, http.Header{"Content-Type": {"text/html"}}, `<p>nope</p>`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/v1/sessions/s_x"
			if strings.HasPrefix(tc.name, "user") {
				path = "/api/v1/auth/me"
			}
			req, _ := http.NewRequest("GET", "http://127.0.0.1"+path, nil)
			res := &http.Response{StatusCode: tc.status, Header: tc.header, Body: io.NopCloser(strings.NewReader(tc.body))}
			err := validateAnswer(t, req, res, []byte(tc.body))
			if (err == nil) != tc.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestOpenAPIRoutesOtherTestsMiss calls the operations no other test of this package reaches
// (their behaviour is tested in internal/sso and internal/ingest), so that their answers are
// validated against the document too.
func TestOpenAPIRoutesOtherTestsMiss(t *testing.T) {
	s := newStack(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cases := []struct {
		method, path string
		header       []string
		status       int
	}{
		{"GET", "/api/v1/auth/config", nil, 200},
		{"GET", "/api/v1/auth/oidc/start?next=/sessions", nil, 303}, // single sign-on is off
		{"GET", "/api/v1/auth/oidc/callback?code=x&state=y", nil, 303},
		{"OPTIONS", "/api/v1/ingest?v=1&key=" + s.key, []string{"Origin", "https://shop.example", "Access-Control-Request-Method", "POST"}, 204},
		{"OPTIONS", "/api/v1/ingest?v=1&key=pk_nope", []string{"Origin", "https://shop.example"}, 401},
		{"GET", "/api/v1/share/not-a-token/archive/file?url=https://shop.example/a.css", nil, 404},
		{"GET", "/api/v1/sdk-config?key=" + s.key, nil, 200},
		{"GET", "/healthz", nil, 200},
	}
	for _, tc := range cases {
		r := do(t, noFollow, tc.method, s.srv.URL+tc.path, nil, tc.header...)
		if r.Status != tc.status {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, r.Status, r.Body, tc.status)
		}
	}

	// Successes other tests of this package do not ask for.
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	s.ingest(t, "s_openapi0001", "t_tabone01", 0, ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
		ev(4, t0+2000, `{"href":"http://shop.example/cart","width":1280,"height":720}`))
	adm := s.admin(t)
	var funnel struct{ Steps []struct{ Sessions int } }
	adm.json("POST", "/api/v1/funnels?project=default", `{"steps":[{"path":"/"},{"path":"/cart"}]}`, 200, &funnel)
	if len(funnel.Steps) != 2 || funnel.Steps[1].Sessions != 1 {
		t.Errorf("funnel = %+v, want one session through both steps", funnel)
	}
	adm.json("GET", "/api/v1/sessions/s_openapi0001/archive", "", 200, nil)
	var alert struct{ ID int64 }
	adm.json("POST", "/api/v1/alerts", `{"name":"rage","kind":"rage_click","threshold":1,"windowMinutes":60,"webhook":"https://hooks.example/x"}`, 201, &alert)
	adm.json("DELETE", fmt.Sprintf("/api/v1/alerts/%d?project=default", alert.ID), "", 204, nil)
	var pl struct{ ID int64 }
	adm.json("POST", "/api/v1/playlists", `{"name":"Checkout"}`, 201, &pl)
	adm.json("GET", fmt.Sprintf("/api/v1/playlists/%d", pl.ID), "", 200, nil)

	// /metrics when the server keeps metrics.
	m := newStackFrom(t, stackConfig{metrics: metrics.New()})
	if r := m.admin(t).do("GET", "/metrics", ""); r.Status != 200 || !strings.Contains(string(r.Body), "# TYPE") {
		t.Errorf("metrics = %d %.200s", r.Status, r.Body)
	}
}

// TestOpenAPIRequestCheckCatchesMismatches: a request the server accepted is checked too, and
// the check refuses what the document does not allow.
func TestOpenAPIRequestCheckCatchesMismatches(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.Bytes()
	}
	batch := `{"session":"s_abcdefgh","tab":"t_1","seq":0,"events":[{"type":4,"timestamp":1764237600000,"data":{}}]}`
	cases := []struct {
		name, method, url string
		body              []byte
		ok                bool
	}{
		{"token as documented", "POST", "/api/v1/tokens", []byte(`{"name":"ci","scope":"read"}`), true},
		{"unknown field", "POST", "/api/v1/tokens", []byte(`{"name":"ci","scope":"read","nope":1}`), false},
		{"scope out of the enum", "POST", "/api/v1/tokens", []byte(`{"name":"ci","scope":"root"}`), false},
		{"limit out of range", "GET", "/api/v1/sessions?limit=0", nil, false},
		{"ingest batch", "POST", "/api/v1/ingest?v=1&key=pk_x", gz(batch), true},
		{"ingest batch without events", "POST", "/api/v1/ingest?v=1&key=pk_x", gz(`{"session":"s_abcdefgh","tab":"t_1","seq":0,"events":[]}`), false},
		{"JSON as text/plain", "POST", "/api/v1/privacy-preview/scrub", []byte(`{"token":"t","strings":["a"]}`), true},
		{"JSON as text/plain with an unknown field", "POST", "/api/v1/privacy-preview/scrub", []byte(`{"token":"t","strings":["a"],"x":1}`), false},
		{"ingest body not gzip", "POST", "/api/v1/ingest?v=1&key=pk_x", []byte(batch), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "http://127.0.0.1"+tc.url, bytes.NewReader(tc.body))
			if strings.HasPrefix(tc.name, "JSON as text/plain") {
				req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
			}
			err := validateRequest(t, req, tc.body)
			if (err == nil) != tc.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// BenchmarkOpenAPICheck measures what validating one answer adds to a test's request: a page
// of 50 sessions, the largest common answer of the suite.
func BenchmarkOpenAPICheck(b *testing.B) {
	loadOpenAPI(b)
	session := `{"id":"s_bench%03d","projectId":"default","startedAt":"2026-12-07T05:00:00Z","endedAt":"2026-12-07T05:10:00Z","durationMs":600000,` +
		`"pages":3,"entryUrl":"http://shop.example/","exitUrl":"http://shop.example/cart","clicks":12,"activeMs":300000,"events":900,"tabs":1,` +
		`"userAgent":"Mozilla/5.0","browser":"Chrome 156","os":"Linux","device":"desktop","viewport":{"width":1280,"height":720},` +
		`"updatedAt":"2026-12-07T05:10:00Z","urls":["http://shop.example/"],"errors":0,"failedRequests":0,"score":10,"friction":1,"rageClicks":0,"deadClicks":0}`
	var list []string
	for i := range 50 {
		list = append(list, fmt.Sprintf(session, i))
	}
	body := []byte(`{"sessions":[` + strings.Join(list, ",") + `],"query":"","sort":"newest","count":50}`)
	req, _ := http.NewRequest("GET", "http://127.0.0.1/api/v1/sessions?limit=50", nil)
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		res := &http.Response{StatusCode: 200, Header: header, Body: io.NopCloser(bytes.NewReader(body))}
		if err := validateAnswer(b, req, res, body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOpenAPIAnswersOnBothBackends walks the main read and write operations over a recorded
// session on SQLite and on PostgreSQL, so the answers each index produces (times, empty
// lists, counts) are validated against the document; the rest of the suite runs on SQLite.
func TestOpenAPIAnswersOnBothBackends(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			s := newStackFrom(t, stackConfig{postgres: backend == "postgres"})
			t0 := time.Now().Add(-time.Hour).UnixMilli()
			s.ingest(t, "s_bothback01", "t_tabone01", 0,
				ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
				ev(2, t0+1, `{"node":{"type":0,"childNodes":[{"type":2,"tagName":"button","attributes":{},"childNodes":[],"id":2}],"id":1},"initialOffset":{"left":0,"top":0}}`),
				ev(5, t0+2, `{"tag":"reel.identify","payload":{"userId":"u-1"}}`),
				ev(3, t0+100, `{"source":2,"type":2,"id":2,"x":10,"y":10}`),
				ev(3, t0+200, `{"source":2,"type":2,"id":2,"x":10,"y":10}`),
				ev(3, t0+300, `{"source":2,"type":2,"id":2,"x":10,"y":10}`),
				ev(4, t0+5000, `{"href":"http://shop.example/cart","width":1280,"height":720}`))
			adm := s.admin(t)
			const id = "/api/v1/sessions/s_bothback01"
			for _, path := range []string{"/api/v1/sessions", "/api/v1/sessions?q=rage:>0", id, id + "/events", id + "/events?from=1", id + "/tabs",
				id + "/signals", id + "/archive", id + "/comments", id + "/shares", "/api/v1/issues", "/api/v1/heatmaps?page=/",
				"/api/v1/heatmaps/pages", "/api/v1/countries", "/api/v1/projects", "/api/v1/auth/me", "/api/v1/users", "/api/v1/invites",
				"/api/v1/tokens", "/api/v1/alerts", "/api/v1/saved-searches", "/api/v1/playlists", "/api/v1/audit"} {
				adm.json("GET", path, "", 200, nil)
			}
			adm.json("POST", "/api/v1/funnels", `{"steps":[{"path":"/"},{"path":"/cart"}]}`, 200, nil)
			adm.json("POST", id+"/comments", `{"at":100,"body":"the button does nothing"}`, 201, nil)
			var share struct{ Token string }
			adm.json("POST", id+"/share", `{"note":"look at the button"}`, 201, &share)
			anyone := &client{t: t, s: s, c: http.DefaultClient}
			for _, p := range []string{"", "/events", "/tabs", "/archive"} {
				anyone.json("GET", "/api/v1/share/"+share.Token+p, "", 200, nil)
			}
			var saved struct{ ID int64 }
			adm.json("POST", "/api/v1/saved-searches", `{"name":"Rage","query":"rage:>0","shared":true}`, 201, &saved)
			adm.json("POST", fmt.Sprintf("/api/v1/saved-searches/%d/visit", saved.ID), "", 200, nil)
			var pl struct{ ID int64 }
			adm.json("POST", "/api/v1/playlists", `{"name":"Buttons"}`, 201, &pl)
			adm.json("PUT", fmt.Sprintf("/api/v1/playlists/%d/sessions/s_bothback01", pl.ID), `{"note":"rage"}`, 200, nil)
			adm.json("GET", fmt.Sprintf("/api/v1/playlists/%d/sessions", pl.ID), "", 200, nil)
			adm.json("POST", "/api/v1/tokens", `{"name":"ci","scope":"read","user":"admin@reel.local"}`, 201, nil)
			adm.json("POST", "/api/v1/invites", `{"email":"new@example.com","role":"viewer","projects":["default"]}`, 201, nil)
			adm.json("PATCH", "/api/v1/projects/default", `{"allowedOrigins":["https://shop.example"]}`, 200, nil)
			if r := adm.do("GET", "/api/v1/audit/export", ""); r.Status != 200 || len(r.Body) == 0 {
				t.Fatalf("audit export = %d %d bytes", r.Status, len(r.Body))
			}
			adm.json("GET", "/api/v1/projects/default/users/u-1/export", "", 200, nil)
			adm.json("DELETE", "/api/v1/projects/default/users/u-1", "", 200, nil)
		})
	}
}
