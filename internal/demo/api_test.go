package demo

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// apiError is the body every failing demo API call answers with (internal/apierror).
type apiError struct {
	Error struct{ Code, Message string }
}

func TestStock(t *testing.T) {
	srv := newServer(t, testKey)
	resp, body := get(t, srv.URL+"/demo/api/stock?ids=field-tote,brass-pen")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200 (%s)", resp.StatusCode, body)
	}
	if got := mediaType(t, resp); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	var got struct{ Stock map[string]int }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if len(got.Stock) != 2 {
		t.Fatalf("stock = %v, want two products", got.Stock)
	}
	for id, n := range got.Stock {
		if n < 1 || n > 23 {
			t.Errorf("stock of %s = %d, want 1-23", id, n)
		}
	}
	// The numbers are stable, so a replay shows what the visitor saw.
	_, again := get(t, srv.URL+"/demo/api/stock?ids=field-tote,brass-pen")
	if again != body {
		t.Errorf("second answer %q differs from first %q", again, body)
	}
}

func TestAPIFailures(t *testing.T) {
	srv := newServer(t, testKey)
	many := strings.TrimSuffix(strings.Repeat("a,", maxStockIDs+1), ",")
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"delivery fails on purpose", "/demo/api/delivery", 500, "delivery_unavailable"},
		{"unknown API", "/demo/api/orders", 404, "not_found"},
		{"API path with more segments", "/demo/api/stock/x", 404, "not_found"},
		{"stock without ids", "/demo/api/stock", 400, "bad_request"},
		{"stock with empty ids", "/demo/api/stock?ids=", 400, "bad_request"},
		{"stock with two ids params", "/demo/api/stock?ids=a&ids=b", 400, "bad_request"},
		{"too many ids", "/demo/api/stock?ids=" + many, 400, "bad_request"},
		{"empty id in the list", "/demo/api/stock?ids=a,,b", 400, "bad_request"},
		{"markup as an id", "/demo/api/stock?ids=%3Cscript%3Ealert(1)%3C/script%3E", 400, "bad_request"},
		{"oversized id", "/demo/api/stock?ids=" + strings.Repeat("a", 65), 400, "bad_request"},
		{"traversal as an id", "/demo/api/stock?ids=../../go.mod", 400, "bad_request"},
		{"malformed query", "/demo/api/stock?ids=%zz", 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv.URL+tt.path)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			var e apiError
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != tt.code || e.Error.Message == "" {
				t.Fatalf("body = %q, want a JSON error with code %q", body, tt.code)
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "go.mod") {
				t.Errorf("the error echoes the input: %q", body)
			}
		})
	}
}

func TestAPIRefusesWrites(t *testing.T) {
	srv := newServer(t, testKey)
	resp, err := http.Post(srv.URL+"/demo/api/stock?ids=a", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d, want 405", resp.StatusCode)
	}
}
