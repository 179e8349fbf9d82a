package faults

import (
	"io"
	"net/http"
	"reflect"
	"testing"
)

// TestFaultHeader checks that every answer a rule touched names the
// rule's action in X-Partcopy-Fault, whatever the action, that several
// fired rules each add their action in rule order, and that an untouched
// answer carries no such header.
func TestFaultHeader(t *testing.T) {
	tests := []struct {
		name  string
		rules []string
		req   func(t *testing.T, base string) *http.Request
		want  []string // nil: the header must be absent
	}{
		{"error200", []string{"copy:error200"}, copyPartRequest, []string{"error200"}},
		{"empty200", []string{"copy:empty200"}, copyPartRequest, []string{"empty200"}},
		{"noetag200", []string{"copy:noetag200"}, copyPartRequest, []string{"noetag200"}},
		{"truncate", []string{"copy:truncate=10"}, copyPartRequest, []string{"truncate"}},
		{"keepalive", []string{"copy:keepalive=5ms,15ms"}, copyPartRequest, []string{"keepalive"}},
		{"keepalive-error", []string{"copy:keepalive-error=5ms,15ms"}, copyPartRequest, []string{"keepalive-error"}},
		{"pre-decl-whitespace", []string{"copy:pre-decl-whitespace"}, copyPartRequest, []string{"pre-decl-whitespace"}},
		{"status", []string{"status=503"}, copyPartRequest, []string{"status"}},
		{"latency on a pass-through", []string{"latency=1ms"}, getRequest, []string{"latency"}},
		{"delay and rewrite both named, in rule order", []string{"latency=1ms", "copy:empty200", "copy:error200"}, copyPartRequest, []string{"latency", "empty200"}},
		{"rule that does not fire", []string{"copy:error200@0"}, copyPartRequest, nil},
		{"rewrite selector does not match", []string{"copy?partNumber=2:error200"}, copyPartRequest, nil},
		{"no rules", nil, copyPartRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newFakeUpstream(t)
			rn := startProxy(t, up, Options{}, tt.rules...)
			res, err := newClient().Do(tt.req(t, rn.URL))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body) // truncate ends in a read error: headers are what count
			res.Body.Close()
			if got := res.Header.Values(FaultHeader); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %q, want %q", FaultHeader, got, tt.want)
			}
		})
	}
}

// TestFaultHeaderKeepsUpstreamMarks chains two proxies: the outer one's
// mark is added to the inner one's, neither replaces the other.
func TestFaultHeaderKeepsUpstreamMarks(t *testing.T) {
	for _, outerRule := range []string{"latency=1ms", "copy:error200"} {
		t.Run(outerRule, func(t *testing.T) {
			up := newFakeUpstream(t)
			inner := startProxy(t, up, Options{}, "latency=1ms")
			rules, err := ParseRules([]string{outerRule})
			if err != nil {
				t.Fatal(err)
			}
			innerURL, err := urlParse(inner.URL)
			if err != nil {
				t.Fatal(err)
			}
			outer, err := Start(innerURL, Options{Rules: rules}, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer outer.Close()
			res, err := newClient().Do(copyPartRequest(t, outer.URL))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := []string{"latency", string(rules[0].Action)}
			if got := res.Header.Values(FaultHeader); !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %q, want %q", FaultHeader, got, want)
			}
		})
	}
}

func getRequest(t *testing.T, base string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/bkt/key", nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
