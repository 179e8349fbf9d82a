package suites

import (
	"strings"
	"testing"
)

// PARTCOPY_MIN_PART_SIZE (unset: the default) reads the size syntax of --min-part-size; a
// malformed value is an error naming the variable, never silently ignored.
func TestConfigFromEnvMinPartSize(t *testing.T) {
	t.Setenv("PARTCOPY_ENDPOINT", "http://127.0.0.1:9000")
	for in, want := range map[string]int64{"": 5 << 20, "5242880": 5 << 20, "5MiB": 5 << 20, "5mib": 5 << 20, "1.5MiB": 3 << 19} {
		t.Setenv("PARTCOPY_MIN_PART_SIZE", in)
		cfg, ok, err := ConfigFromEnv()
		if err != nil || !ok || cfg.MinPartSize != want {
			t.Errorf("PARTCOPY_MIN_PART_SIZE=%q: ok %v, %v; want %d", in, ok, err, want)
		}
	}
	t.Setenv("PARTCOPY_MIN_PART_SIZE", "5 megs")
	if _, _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "PARTCOPY_MIN_PART_SIZE") {
		t.Errorf("a malformed size: %v, want an error naming PARTCOPY_MIN_PART_SIZE", err)
	}
}
