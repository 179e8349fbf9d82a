package main

import (
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/suites/clause"
)

// TestConformList: --list prints every spec with its one clause, profiles
// and capabilities, says which specs this configuration makes unsupported,
// and sends no request (the endpoint, a listener of the test, sees no
// connection).
func TestConformList(t *testing.T) {
	cl := newCountingListener(t)
	ep := cl.URL()
	code, stdout, stderr := runChild(t, time.Minute, nil, "conform", "--list", "--endpoint", ep, "--access-key", "a", "--secret-key", "b", "--no-kms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := cl.conns.Load(); n != 0 {
		t.Errorf("--list connected to the endpoint %d times", n)
	}
	rows := 0
	seen := map[string]bool{}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || !clause.IsID(f[0]) {
			continue
		}
		rows++
		seen[f[0]] = true
		switch {
		case f[0] == "D18" && !strings.Contains(line, "unsupported: no alt principal"):
			t.Errorf("D18 without --alt-access-key must be unsupported: %q", line)
		case strings.Contains(line, "needs:kms") || (f[2] == "kms" && !strings.Contains(line, "--no-kms")):
			t.Errorf("a KMS spec with --no-kms must be unsupported: %q", line)
		}
	}
	for _, c := range clause.All {
		if !seen[c.ID] {
			t.Errorf("no spec listed for %s", c.ID)
		}
	}
	if rows < 100 {
		t.Errorf("%d specs listed:\n%s", rows, stdout)
	}
	if !strings.Contains(stdout, "no request was sent") || !strings.Contains(stdout, "would be unsupported: D12, D18, D19, D21") {
		t.Errorf("summary missing:\n%s", stdout[max(0, len(stdout)-500):])
	}
}
