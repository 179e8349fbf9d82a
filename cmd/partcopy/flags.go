package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/partcopy/partcopy/internal/redact"
	"github.com/partcopy/partcopy/internal/s3call"
)

// endpointFlags are the flags every command that talks to an endpoint
// shares: where, as whom, how to sign, how to trust TLS.
type endpointFlags struct {
	endpoint   string
	accessKey  string
	secretKey  string
	token      string
	region     string
	signature  string
	insecure   bool
	caCert     string
	virtual    bool
	awsProfile string
	// embedded forces the embedded reference endpoint: the environment,
	// profiles and config files are not read at all (partcopy run).
	embedded bool
}

func (f *endpointFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "", "S3 endpoint URL (default: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL; none: the embedded reference endpoint)")
	fs.StringVar(&f.accessKey, "access-key", "", "access key id (default: AWS_ACCESS_KEY_ID, then the shared credentials file)")
	fs.StringVar(&f.secretKey, "secret-key", "", "secret access key (default: AWS_SECRET_ACCESS_KEY, then the shared credentials file)")
	fs.StringVar(&f.token, "main-session-token", "", "session token of the main credentials, if they are temporary (default: AWS_SESSION_TOKEN)")
	fs.StringVar(&f.region, "region", "", "signing region (default: AWS_REGION, then the profile, then us-east-1)")
	fs.StringVar(&f.signature, "signature", s3call.SigV4, "request signing: v4 or v2")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fs.StringVar(&f.caCert, "ca-cert", "", "PEM file of extra CA certificates to trust")
	fs.BoolVar(&f.virtual, "virtual-host", false, "virtual-hosted addressing (bucket.host) instead of path-style")
	fs.StringVar(&f.awsProfile, "aws-profile", "", "shared config/credentials profile (default: AWS_PROFILE)")
	fs.BoolVar(&f.embedded, "embedded", false, "use the embedded reference endpoint; AWS_ENDPOINT_URL*, AWS_* keys, profiles and config files are ignored")
}

// resolve fills what the flags left empty from the environment and the
// shared config files. embedded is true when no endpoint was found: the
// caller starts the embedded reference endpoint.
func (f *endpointFlags) resolve(ctx context.Context) (res s3call.Resolved, embedded bool, err error) {
	switch f.signature {
	case s3call.SigV4, s3call.SigV2:
	default:
		return res, false, usageError("--signature %q: use v4 or v2", f.signature)
	}
	if f.embedded {
		if f.endpoint != "" {
			return res, false, usageError("--embedded and --endpoint exclude each other: give one")
		}
		// Nothing ambient is read: a shell's AWS_ENDPOINT_URL or a profile's
		// credential_process must not turn a local run into a remote one.
		return res, true, nil
	}
	if (f.accessKey == "") != (f.secretKey == "") {
		return res, false, usageError("--access-key and --secret-key go together")
	}
	res, err = s3call.Resolve(ctx, s3call.Resolved{
		Endpoint: f.endpoint, Region: f.region,
		Credentials: s3call.Credentials{AccessKey: f.accessKey, SecretKey: f.secretKey, SessionToken: f.token},
	}, f.awsProfile)
	redact.Add(res.Credentials.Secrets()...)
	if err != nil {
		return res, false, asUsage(err)
	}
	if res.Endpoint == "" {
		return res, true, nil
	}
	if _, err := s3call.ParseEndpoint(res.Endpoint); err != nil {
		return res, false, asUsage(err)
	}
	if res.Credentials.IsZero() {
		return res, false, usageError("no credentials for %s: pass --access-key and --secret-key, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", res.Endpoint)
	}
	return res, false, nil
}

// registerSecretFlags hands the values of every secret flag (secret keys,
// session tokens) to the redactor before anything can print them: from
// then on no output of the process shows them, in any encoding.
func registerSecretFlags(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if isSecretFlag(f.Name) {
			redact.Add(f.Value.String())
		}
	})
}

// isSecretFlag reports whether a flag's value is a secret.
func isSecretFlag(name string) bool {
	return strings.Contains(name, "secret") || strings.Contains(name, "token") || strings.Contains(name, "sse-c-key")
}

// usedAWSProfile is the shared-config profile resolution read, for the
// reports' provenance: --aws-profile, else AWS_PROFILE; none for the
// embedded endpoint.
func (f *endpointFlags) usedAWSProfile(embedded bool) string {
	if embedded {
		return ""
	}
	if f.awsProfile != "" {
		return f.awsProfile
	}
	return os.Getenv("AWS_PROFILE")
}

// clientConfig is the s3call configuration for the resolved endpoint.
func (f *endpointFlags) clientConfig(res s3call.Resolved) s3call.Config {
	return s3call.Config{
		Endpoint: res.Endpoint, Region: res.Region, Credentials: res.Credentials,
		Signature: f.signature, VirtualHost: f.virtual, Insecure: f.insecure, CACertFile: f.caCert,
	}
}

// probe checks that the endpoint answers and accepts the credentials, so
// that a typo in a URL or a key is one clear line and exit 2, not a
// hundred failed specs.
func probe(ctx context.Context, cfg s3call.Config) error {
	c, err := s3call.New(cfg)
	if err != nil {
		return asUsage(err)
	}
	ex, err := c.ListBuckets(ctx)
	if err != nil {
		return usageError("cannot reach %s: %v (check --endpoint, and --ca-cert/--insecure for TLS)", cfg.Endpoint, rootCause(err))
	}
	switch code := s3call.ErrorCode(ex); {
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" || code == "ExpiredToken":
		return usageError("%s rejected the credentials (%d %s): check --access-key/--secret-key", cfg.Endpoint, ex.Status, code)
	case ex.Status >= 500:
		return usageError("%s answers %d %s to ListBuckets: is it an S3 endpoint, and is it healthy?", cfg.Endpoint, ex.Status, code)
	}
	return nil
}

// rootCause is the innermost error message, without the URL noise.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// parseSize reads "5368709120", "8MiB", "1GiB", "100KB", "5MB".
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1},
	}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q: use bytes or a unit like 8MiB, 1GiB, 100KB", s)
	}
	if n > 0 && mult > 0 && n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

// applyConfigFile reads a YAML options file whose keys are flag names and
// sets every flag the command line did not set explicitly: explicit flags
// override the file.
func applyConfigFile(cmd *cobra.Command, path string) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return usageError("--config: %v", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return usageError("--config %s: not a YAML map of flag names to values: %v", path, err)
	}
	fs := cmd.Flags()
	for k, v := range m {
		fl := fs.Lookup(k)
		if fl == nil {
			return usageError("--config %s: unknown option %q (keys are flag names without --)", path, k)
		}
		if fl.Changed {
			continue
		}
		var vals []string
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				vals = append(vals, fmt.Sprint(e))
			}
		default:
			vals = []string{fmt.Sprint(t)}
		}
		for _, s := range vals {
			if err := fs.Set(k, s); err != nil {
				return usageError("--config %s: option %q: %v", path, k, err)
			}
		}
	}
	return nil
}
