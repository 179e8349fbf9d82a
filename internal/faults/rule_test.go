package faults

import (
	"strings"
	"testing"
	"time"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		spec string
		want string // canonical String()
	}{
		{"error200", "copy:error200=InternalError,We encountered an internal error. Please try again.@1"},
		{"error200=SlowDown", "copy:error200=SlowDown,We encountered an internal error. Please try again.@1"},
		{"copy:error200(code=SlowDown,message=Reduce your rate.)@0.25", "copy:error200=SlowDown,Reduce your rate.@0.25"},
		{"empty200@25%", "copy:empty200@0.25"},
		{"noetag200", "copy:noetag200@1"},
		{"all:noetag200", "all:noetag200@1"},
		{"PUT:noetag200", "PUT:noetag200@1"},
		{"truncate", "copy:truncate=50%@1"},
		{"truncate=40", "copy:truncate=40@1"},
		{"truncate(keep=10%)", "copy:truncate=10%@1"},
		{"keepalive", "copy:keepalive=1s,3s@1"},
		{"keepalive=200ms,2s", "copy:keepalive=200ms,2s@1"},
		{"keepalive(for=2s)", "copy:keepalive=1s,2s@1"},
		{"keepalive-error=10ms,50ms,SlowDown", "copy:keepalive-error=10ms,50ms,SlowDown,We encountered an internal error. Please try again.@1"},
		{"pre-decl-whitespace", "copy:pre-decl-whitespace=0s,0s@1"},
		{"pre-decl-whitespace=100ms,1s", "copy:pre-decl-whitespace=100ms,1s@1"},
		{"latency=100ms", "all:latency=100ms@1"},
		{"copy:latency=uniform(10ms,50ms)@0.5", "copy:latency=uniform(10ms,50ms)@0.5"},
		{"get:latency(exponential(20ms))", "GET:latency=exp(20ms)@1"},
		{"latency=normal(50ms, 10ms)", "all:latency=normal(50ms,10ms)@1"},
		{"stall=1s/5s", "all:stall=1s/5s@1"},
		{"copy:stall(for=200ms,every=1s)", "copy:stall=200ms/1s@1"},
		{"reset", "all:reset=before@1"},
		{"copy:reset=after@0.1", "copy:reset=after@0.1"},
		{"status=503", "all:status=503,SlowDown,Please reduce your request rate.@1"},
		{"post?uploads:status=500", "POST?uploads:status=500,InternalError,We encountered an internal error. Please try again.@1"},
		{"*?partNumber=3&uploadId:status(404,NoSuchUpload)", "all?partNumber=3&uploadId:status=404,NoSuchUpload,Injected by partcopy proxy.@1"},
		{"copy?partNumber=1:error200", "copy?partNumber=1:error200=InternalError,We encountered an internal error. Please try again.@1"},
		{"  copy : empty200 @ 0 ", "copy:empty200@0"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			r, err := ParseRule(tt.spec)
			if err != nil {
				t.Fatalf("ParseRule: %v", err)
			}
			if got := r.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			if r.Spec != tt.spec {
				t.Errorf("Spec = %q", r.Spec)
			}
			again, err := ParseRule(r.String())
			if err != nil || again.String() != r.String() {
				t.Fatalf("round trip: %q, %v", again.String(), err)
			}
		})
	}
}

func TestParseRuleErrors(t *testing.T) {
	tests := []struct{ spec, wantErr string }{
		{"", "empty rule"},
		{"error300", `unknown action "error300"`},
		{"copy:", "missing action"},
		{"error200@1.5", "out of range"},
		{"error200@x", "bad probability"},
		{"error200@-0.1", "out of range"},
		{"error200@NaN", "bad probability"},
		{"empty200=1", "takes no arguments"},
		{"get:error200", "never matches a copy-part request"},
		{"latency", "needs a delay"},
		{"latency=-5ms", "bad latency"},
		{"latency=uniform(50ms,10ms)", "min > max"},
		{"latency=gamma(1s)", "unknown distribution"},
		{"latency=uniform(10ms)", "want uniform(min,max)"},
		{"stall=5s/1s", "0 < freeze < period"},
		{"stall=1s", "needs freeze/period"},
		{"status=200", "bad status"},
		{"status", "needs an HTTP status"},
		{"reset=sometimes", "bad when"},
		{"truncate=200%", "bad keep"},
		{"keepalive=0s,1s", `"every" must be > 0`},
		{"keepalive(every=1s,every=2s)", "given twice"},
		{"keepalive(colour=red)", `unknown argument "colour"`},
		{"keepalive(every=1s,2s)", "positional argument"},
		{"keepalive=1s,2s,3s", "too many arguments"},
		{"error200(code=Bad Code)", "bad code"},
		{"error200=X,<b>", "bad message"},
		{"error200(message=x@y)", "bad message"},
		{"error200(", "missing closing parenthesis"},
		{"error200 x", "unexpected"},
		{"latency=uniform((1s,2s)", "unbalanced"},
		{"put?:latency=1s", "empty query condition"},
		{"put?a b:latency=1s", "bad query condition"},
		{"error200\n", "control character"},
		{"latency=48h", "bad latency"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseRule(tt.spec)
			if err == nil {
				t.Fatalf("ParseRule(%q) succeeded, want error containing %q", tt.spec, tt.wantErr)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("error %q does not contain %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			if !strings.Contains(msg, "fault ") {
				t.Fatalf("error does not name the spec: %q", msg)
			}
		})
	}
}

func TestParseRulesNamesBadSpec(t *testing.T) {
	_, err := ParseRules([]string{"empty200", "bogus@1"})
	if err == nil || !strings.Contains(err.Error(), `"bogus@1"`) {
		t.Fatalf("err = %v", err)
	}
	rules, err := ParseRules([]string{"empty200", "latency=1ms"})
	if err != nil || len(rules) != 2 || rules[1].Action != ActionLatency {
		t.Fatalf("rules = %v, %v", rules, err)
	}
}

func TestStallWait(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	tests := []struct {
		at   time.Duration // since start
		want time.Duration
	}{
		{0, time.Second},
		{300 * ms, 700 * ms},
		{999 * ms, 1 * ms},
		{time.Second, 0},
		{4999 * ms, 0},
		{5 * time.Second, time.Second},
		{5300 * ms, 700 * ms},
		{-4700 * ms, 700 * ms}, // before the anchor the schedule extends backwards
		{-300 * ms, 0},
	}
	for _, tt := range tests {
		if got := stallWait(start, start.Add(tt.at), time.Second, 5*time.Second); got != tt.want {
			t.Errorf("at %v: wait %v, want %v", tt.at, got, tt.want)
		}
	}
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		"error200", "copy:error200(code=SlowDown,message=x)@0.25", "empty200@25%", "truncate=40",
		"keepalive=200ms,2s", "keepalive-error(every=1s)", "pre-decl-whitespace", "latency=uniform(10ms,50ms)",
		"latency=normal(1s,1s)@0.5", "stall=1s/5s", "reset=after", "status=503,SlowDown", "put?partNumber=1&uploadId:reset",
		"error200(message=a:b@c)", "((", "@", ":", "x:y:z", "latency=exp(((1s)))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		r, err := ParseRule(spec)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error for %q: %q", spec, err)
			}
			return
		}
		if r.Probability < 0 || r.Probability > 1 {
			t.Fatalf("%q: probability %v", spec, r.Probability)
		}
		canon := r.String()
		again, err := ParseRule(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, spec, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q -> %q", canon, again.String())
		}
	})
}
