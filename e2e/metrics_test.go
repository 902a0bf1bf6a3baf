package e2e

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetricsScrapedAndParsed runs the real server with --metrics-addr, ingests and compacts
// sessions, searches and watches one live, then scrapes /metrics as Prometheus does — from
// --metrics-addr without login, and from the main address with an admin token (anonymous: 401)
// — and parses it with Prometheus' own text parser. Each series an operator's dashboard draws
// must have counted what happened.
func TestMetricsScrapedAndParsed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := l.Addr().String()
	l.Close()
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s", "--metrics-addr", metricsAddr)
	ids, _ := insightSessions(t, r)
	waitForIssue(t, r, "rage_click")
	var list struct{ Sessions []struct{ ID string } }
	r.api(t, "/api/v1/sessions?q=rage:>0", &list)
	r.api(t, "/api/v1/sessions?q=text:coupon", &list)
	r.api(t, "/api/v1/sessions?q=text:coupon+browser:chrome", &list)
	live, _ := http.NewRequest("GET", r.URL+"/api/v1/sessions/"+ids[0]+"/events?after=1", nil)
	live.Header.Set("Authorization", "Bearer "+adminToken)
	if res, err := http.DefaultClient.Do(live); err != nil || res.StatusCode != 200 {
		t.Fatalf("live poll: %v %v", res, err)
	} else {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}

	scrape := func(url, token string) (int, map[string]*dto.MetricFamily) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			return res.StatusCode, nil
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(res.Body)
		if err != nil {
			t.Fatalf("%s is not Prometheus' text format: %v", url, err)
		}
		return 200, fams
	}
	if code, _ := scrape(r.URL+"/metrics", ""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous /metrics on the main address = %d, want 401", code)
	}
	_, fams := scrape("http://"+metricsAddr+"/metrics", "")
	if _, again := scrape(r.URL+"/metrics", adminToken); again["reel_ingest_requests_total"] == nil {
		t.Fatal("the main address's /metrics, with an admin token, has no ingest counter")
	}

	// value sums a family's samples whose labels include want (a counter's or gauge's value, a
	// histogram's count).
	value := func(name string, want map[string]string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Fatalf("no %s in /metrics", name)
		}
		sum := 0.0
	next:
		for _, m := range f.Metric {
			for k, v := range want {
				found := false
				for _, lp := range m.Label {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
		return sum
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"reel_ingest_requests_total", map[string]string{"code": "200"}, float64(len(ids))},
		{"reel_ingest_received_bytes_total", nil, 1000},
		{"reel_ingest_request_duration_seconds", nil, float64(len(ids))},
		{"reel_ingest_group_commit_batches", nil, 1},
		{"reel_db_operation_duration_seconds", map[string]string{"op": "append_batches"}, 1},
		{"reel_db_operation_duration_seconds", map[string]string{"op": "compaction_commit"}, 1},
		{"reel_blob_operation_duration_seconds", map[string]string{"op": "put", "result": "ok"}, 1},
		{"reel_compactions_total", map[string]string{"result": "ok"}, 1},
		{"reel_compaction_duration_seconds", nil, 1},
		{"reel_search_duration_seconds", map[string]string{"shape": "filter"}, 1},
		{"reel_search_duration_seconds", map[string]string{"shape": "text"}, 1},
		{"reel_search_duration_seconds", map[string]string{"shape": "text_filter"}, 1},
		{"reel_http_request_duration_seconds", map[string]string{"route": "GET /api/v1/issues", "code": "200"}, 1},
		{"reel_live_viewers", nil, 1},
		{"go_goroutines", nil, 1},
	} {
		if got := value(c.name, c.labels); got < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, got, c.min)
		}
	}
	if lag := value("reel_compaction_lag_seconds", nil); lag < 0 || lag > 60 {
		t.Errorf("reel_compaction_lag_seconds = %v, want a few seconds at most", lag)
	}
	if !strings.Contains(fams["reel_ingest_requests_total"].GetHelp(), "refused") {
		t.Errorf("reel_ingest_requests_total's help does not say what the codes mean: %q", fams["reel_ingest_requests_total"].GetHelp())
	}
}
