package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestYAMLToJSON(t *testing.T) {
	cases := []struct {
		name, yaml, want, err string
	}{
		{"mappings, lists and anchors", "a: &x [1, two]\nb: *x\n\"200\": {c: null}\n", `{"200":{"c":null},"a":[1,"two"],"b":[1,"two"]}`, ""},
		{"unquoted status code", "responses:\n  200: {description: ok}\n", "", "/responses: a key that is not a string"},
		{"not YAML", "a: [", "", "yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := yamlToJSON([]byte(tc.yaml))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("= %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// TestOpenAPIDocumentConverts: the embedded document is JSON with the paths and the shared
// error schema; its validity and its match with the routes are tested in internal/server.
func TestOpenAPIDocumentConverts(t *testing.T) {
	var doc struct {
		OpenAPI    string
		Paths      map[string]any
		Components struct{ Schemas map[string]any }
	}
	if err := json.Unmarshal(OpenAPIDocument(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Paths) < 50 || doc.Components.Schemas["Error"] == nil {
		t.Fatalf("document: openapi %q, %d paths, Error schema %v", doc.OpenAPI, len(doc.Paths), doc.Components.Schemas["Error"] != nil)
	}
}
