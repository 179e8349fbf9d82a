package suites_test

import (
	"context"
	"testing"
	"time"

	// The ginkgo CLI recognises a suite by this import, and only then passes
	// its --label-filter and -p flags to the test binary.
	_ "github.com/onsi/ginkgo/v2"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites"
)

// TestConformance runs every spec against the embedded reference endpoint,
// or against the endpoint PARTCOPY_ENDPOINT names (see ConfigFromEnv).
// Under `ginkgo -p` every process starts its own embedded endpoint.
func TestConformance(t *testing.T) {
	cfg, ok := suites.ConfigFromEnv()
	if !ok {
		cfg = embedded(t)
	}
	suites.Test(t, cfg)
}

// embedded starts the reference endpoint on loopback with a short restore
// delay, so that "restore in progress" (D05) is observable.
func embedded(t *testing.T) *suites.Config {
	t.Helper()
	run, err := refserver.Start(context.Background(), refserver.Options{RestoreDelay: 2 * time.Second}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatalf("starting the embedded endpoint: %v", err)
	}
	t.Cleanup(func() { _ = run.Close() })
	o := run.Server.Options()
	cfg := suites.NewConfig(run.URL, s3call.Credentials{AccessKey: o.Main.AccessKey, SecretKey: o.Main.SecretKey})
	cfg.Client.Region = o.Region
	cfg.Alt = s3call.Credentials{AccessKey: o.Alt.AccessKey, SecretKey: o.Alt.SecretKey}
	cfg.Temp = s3call.Credentials{AccessKey: o.Temp.AccessKey, SecretKey: o.Temp.SecretKey, SessionToken: o.Temp.SessionToken}
	cfg.MinPartSize = o.MinPartSize
	return cfg
}
