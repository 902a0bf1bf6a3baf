package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"go.yaml.in/yaml/v3"
)

// openAPIYAML is the API's OpenAPI 3.1 document, written by hand in YAML (comments, anchors
// for the routes that answer alike) and served as JSON. Tests in internal/server keep it true:
// it lists exactly the routes of server.Table, and every response those tests receive is
// validated against it (docs/decisions.md, "OpenAPI").
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON is the document as served; made once, when the package loads, so a document that
// does not convert fails every test that builds the API rather than the first request.
var openAPIJSON = mustJSON(openAPIYAML)

// OpenAPIDocument returns the OpenAPI document as JSON. The caller must not change it.
func OpenAPIDocument() []byte { return openAPIJSON }

func mustJSON(doc []byte) []byte {
	b, err := yamlToJSON(doc)
	if err != nil {
		panic(fmt.Sprintf("api: openapi.yaml: %v", err)) // an embedded constant: tests see it first
	}
	return b
}

// yamlToJSON converts a YAML document whose mappings all have string keys (OpenAPI's do,
// status codes quoted) into JSON.
func yamlToJSON(doc []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	v, err := stringKeys(v, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func stringKeys(v any, at string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			y, err := stringKeys(x, at+"/"+k)
			if err != nil {
				return nil, err
			}
			v[k] = y
		}
		return v, nil
	case map[any]any:
		return nil, fmt.Errorf("%s: a key that is not a string (quote status codes)", at)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			y, err := stringKeys(x, fmt.Sprintf("%s/%d", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	}
	return v, nil
}

// OpenAPI serves GET /api/v1/openapi.json: public, since it describes the API and reveals
// nothing of any installation.
func (a *API) OpenAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIJSON)
	return nil
}
