package suites

import (
	"strings"
	"testing"

	"github.com/partcopy/partcopy/internal/s3call"
)

// TestRunIDInNames: the run id a Config carries is in every name the run
// creates (what partcopy cleanup matches), and only the form cleanup
// matches is accepted.
func TestRunIDInNames(t *testing.T) {
	cfg := NewConfig("http://127.0.0.1:1", s3call.Credentials{AccessKey: "ak", SecretKey: "sk"})
	cfg.RunID = NewRunID()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("NewRunID %q refused: %v", cfg.RunID, err)
	}
	sc := newCtx(cfg)
	if n := sc.Name("b"); !strings.HasPrefix(n, "pc-b-"+cfg.RunID) {
		t.Errorf("name %q does not carry run id %q", n, cfg.RunID)
	}
	for _, bad := range []string{"ABCDEF", "abc", "abcdefg", "zzzzzz", "ab-cde"} {
		cfg.RunID = bad
		if err := cfg.Validate(); err == nil {
			t.Errorf("run id %q accepted", bad)
		}
	}
	cfg.RunID = ""
	if sc := newCtx(cfg); sc.runID == "" || !validRunID.MatchString(sc.runID) {
		t.Errorf("no run id given: got %q, want a random one", sc.runID)
	}
}
