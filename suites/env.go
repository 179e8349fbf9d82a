package suites

import (
	"fmt"
	"os"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/internal/size"
)

// ConfigFromEnv builds a Config from PARTCOPY_* variables (the env file
// deploy/servers.sh writes), for the ginkgo CLI and the real-server tests.
// ok is false when PARTCOPY_ENDPOINT is not set; err names a variable
// whose value is malformed.
func ConfigFromEnv() (cfg *Config, ok bool, err error) {
	ep := os.Getenv("PARTCOPY_ENDPOINT")
	if ep == "" {
		return nil, false, nil
	}
	cfg = NewConfig(ep, s3call.Credentials{
		AccessKey: os.Getenv("PARTCOPY_ACCESS_KEY"),
		SecretKey: os.Getenv("PARTCOPY_SECRET_KEY"),
	})
	cfg.Client.Region = os.Getenv("PARTCOPY_REGION")
	cfg.Client.CACertFile = os.Getenv("PARTCOPY_CA_CERT")
	cfg.Client.Insecure = os.Getenv("PARTCOPY_INSECURE") == "true"
	if v := os.Getenv("PARTCOPY_SIGNATURE"); v != "" {
		cfg.Client.Signature = v
	}
	cfg.Alt = s3call.Credentials{AccessKey: os.Getenv("PARTCOPY_ALT_ACCESS_KEY"), SecretKey: os.Getenv("PARTCOPY_ALT_SECRET_KEY")}
	cfg.AltPrincipal = os.Getenv("PARTCOPY_ALT_PRINCIPAL")
	cfg.AltGrantCommand = os.Getenv("PARTCOPY_ALT_GRANT_CMD")
	cfg.Temp = s3call.Credentials{
		AccessKey:    os.Getenv("PARTCOPY_TEMP_ACCESS_KEY"),
		SecretKey:    os.Getenv("PARTCOPY_TEMP_SECRET_KEY"),
		SessionToken: os.Getenv("PARTCOPY_SESSION_TOKEN"),
	}
	cfg.KMSKeyID = os.Getenv("PARTCOPY_KMS_KEY_ID")
	cfg.NoKMS = os.Getenv("PARTCOPY_NO_KMS") == "true"
	if v := os.Getenv("PARTCOPY_COLD_CLASS"); v != "" {
		cfg.ColdStorageClass = v
	}
	if v := os.Getenv("PARTCOPY_PROFILE"); v != "" {
		cfg.Profile = v
	}
	cfg.SkipLarge = os.Getenv("PARTCOPY_SKIP_LARGE") == "true"
	if v := os.Getenv("PARTCOPY_MIN_PART_SIZE"); v != "" {
		// The size syntax of --min-part-size and the YAML key (internal/size).
		if cfg.MinPartSize, err = size.Parse(v); err != nil {
			return nil, true, fmt.Errorf("PARTCOPY_MIN_PART_SIZE: %w", err)
		}
	}
	return cfg, true, nil
}
