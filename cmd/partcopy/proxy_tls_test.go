package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The proxy's upstream reads --ca-cert as the client does (one helper,
// s3call.Config.TLSConfig), and a bad file is a usage error (exit 2).
func TestUpstreamTLSCAFile(t *testing.T) {
	conf, err := upstreamTLS(true, "")
	if err != nil || !conf.InsecureSkipVerify || conf.RootCAs != nil {
		t.Fatalf("--insecure alone: %+v, %v", conf, err)
	}
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{notPEM, filepath.Join(t.TempDir(), "missing.pem")} {
		_, err := upstreamTLS(false, file)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), "--ca-cert") {
			t.Errorf("--ca-cert %s: %v, want a usage error naming --ca-cert", file, err)
		}
	}
}
