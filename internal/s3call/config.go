package s3call

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/partcopy/partcopy/internal/redact"
)

// Signature versions.
const (
	SigV4 = "v4"
	SigV2 = "v2"
)

// Credentials are one principal's keys. SessionToken is set for temporary
// credentials and is sent as x-amz-security-token (D12).
type Credentials struct {
	AccessKey    string
	SecretKey    string
	SessionToken string
}

// IsZero reports whether no access key is set.
func (c Credentials) IsZero() bool { return c.AccessKey == "" }

// Secrets returns the values that must never appear in output.
func (c Credentials) Secrets() []string {
	var s []string
	if c.SecretKey != "" {
		s = append(s, c.SecretKey)
	}
	if c.SessionToken != "" {
		s = append(s, c.SessionToken)
	}
	return s
}

// Config describes how to reach an endpoint.
type Config struct {
	// Endpoint is the base URL, e.g. "https://127.0.0.1:9000". Required.
	Endpoint string
	// Region is the SigV4 signing region; "" means "us-east-1".
	Region string
	// Credentials sign every request; zero means anonymous requests.
	Credentials Credentials
	// Signature is SigV4 or SigV2; "" means SigV4.
	Signature string
	// VirtualHost addresses buckets as bucket.host instead of host/bucket;
	// false means path-style.
	VirtualHost bool
	// Insecure skips TLS certificate verification.
	Insecure bool
	// CACertFile is a PEM file of extra roots; "" means system roots only.
	CACertFile string
	// Timeout bounds one whole exchange, body included; 0 means 15 minutes
	// (a 5 GiB server-side copy can take minutes on a real server).
	Timeout time.Duration
	// MaxBody caps how much of a non-streamed response body is kept; 0 means
	// 1 MiB.
	MaxBody int64
	// MaxConns bounds connections per host; 0 means 512.
	MaxConns int
	// HTTPClient overrides the client built from the fields above.
	HTTPClient *http.Client
}

func (c Config) region() string {
	if c.Region == "" {
		return "us-east-1"
	}
	return c.Region
}

func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return 15 * time.Minute
	}
	return c.Timeout
}

func (c Config) maxBody() int64 {
	if c.MaxBody <= 0 {
		return 1 << 20
	}
	return c.MaxBody
}

// ConfigError is a problem with the user's configuration (bad URL, missing
// credentials, unreadable CA file). Callers map it to a usage exit code.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(format string, a ...any) error {
	return &ConfigError{Err: fmt.Errorf(format, a...)}
}

// ParseEndpoint validates an endpoint URL: scheme http or https, a host, no
// path beyond "/", no credentials in it. Its errors never repeat
// credentials found in the URL.
func ParseEndpoint(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, configErr("no endpoint: pass --endpoint URL or set AWS_ENDPOINT_URL_S3")
	}
	shown := redact.URL(raw)
	// Credentials first, before any parser sees the URL: a secret with an
	// unencoded '/' makes net/url read part of it as a port and quote it.
	if strings.Contains(raw, "@") {
		return nil, configErr("bad endpoint URL %q: credentials in the URL are not allowed; use --access-key/--secret-key", shown)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, credentials included: keep only
		// the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, configErr("bad endpoint URL %q: %v", shown, err)
	}
	if u.User != nil {
		return nil, configErr("bad endpoint URL %q: credentials in the URL are not allowed; use --access-key/--secret-key", shown)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, configErr("bad endpoint URL %q: scheme must be http or https", shown)
	}
	if u.Host == "" {
		return nil, configErr("bad endpoint URL %q: no host", shown)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, configErr("bad endpoint URL %q: it must not have a path", shown)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, configErr("bad endpoint URL %q: it must not have a query or fragment", shown)
	}
	u.Path = ""
	return u, nil
}

// Resolved is what Resolve found: endpoint, region and credentials.
type Resolved struct {
	Endpoint    string
	Region      string
	Credentials Credentials
	// CredentialSource is aws-sdk-go-v2's name for where Credentials came
	// from when the flags gave none ("EnvConfigCredentials",
	// "SharedConfigCredentials: FILE", "ProcessProvider", ...); empty when
	// the flags gave them.
	CredentialSource string
}

// Resolve fills what flags left empty the way every AWS tool does: the
// flags first, then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN / AWS_REGION / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
// then the shared config and credentials files and AWS_PROFILE. The
// resolution is aws-sdk-go-v2/config's; EC2 instance metadata is never
// asked (it is not on loopback).
func Resolve(ctx context.Context, flags Resolved, profile string) (Resolved, error) {
	out := flags
	opts := []func(*config.LoadOptions) error{
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if flags.Region != "" {
		opts = append(opts, config.WithRegion(flags.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return out, configErr("loading AWS configuration: %v", err)
	}
	if out.Region == "" {
		out.Region = cfg.Region
	}
	if out.Endpoint == "" {
		out.Endpoint = serviceEndpoint(ctx, cfg)
	}
	if out.Credentials.AccessKey == "" && out.Credentials.SecretKey == "" {
		// With nothing configured, the SDK's chain ends in the EC2 role
		// provider, which is disabled above: that is "no credentials". Any
		// other provider was configured by the user (a profile's
		// credential_process, SSO, web identity, ...), and its failure (an
		// expired SSO session, a failing process) is theirs to fix.
		if cfg.Credentials != nil && !aws.IsCredentialsProvider(cfg.Credentials, (*ec2rolecreds.Provider)(nil)) {
			c, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				return out, &ConfigError{Err: fmt.Errorf("resolving AWS credentials (profile %q): %w", profileName(profile), err)}
			}
			out.Credentials = Credentials{AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey, SessionToken: c.SessionToken}
			out.CredentialSource = c.Source
		}
	}
	if out.Credentials.AccessKey != "" && out.Credentials.SecretKey == "" {
		return out, configErr("access key given without a secret key: pass --secret-key or set AWS_SECRET_ACCESS_KEY")
	}
	if out.Credentials.AccessKey == "" && out.Credentials.SecretKey != "" {
		return out, configErr("secret key given without an access key: pass --access-key or set AWS_ACCESS_KEY_ID")
	}
	return out, nil
}

// profileName is the shared-config profile Resolve used: the --profile
// flag, else AWS_PROFILE, else "default".
func profileName(flag string) string {
	if flag != "" {
		return flag
	}
	if p := os.Getenv("AWS_PROFILE"); p != "" {
		return p
	}
	return "default"
}

// serviceEndpoint asks the SDK's own configuration sources for the S3
// endpoint (AWS_ENDPOINT_URL_S3, a profile's services section), then the
// general one (AWS_ENDPOINT_URL, endpoint_url).
func serviceEndpoint(ctx context.Context, cfg aws.Config) string {
	type serviceEndpointer interface {
		GetServiceBaseEndpoint(context.Context, string) (string, bool, error)
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(serviceEndpointer); ok {
			if v, found, err := p.GetServiceBaseEndpoint(ctx, "S3"); err == nil && found {
				return v
			}
		}
	}
	if cfg.BaseEndpoint != nil {
		return *cfg.BaseEndpoint
	}
	return ""
}

// TLSConfig is the TLS configuration of the client's connections
// (--insecure, --ca-cert); internal/fastcopy dials with it too.
func (c Config) TLSConfig() (*tls.Config, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.Insecure} //nolint:gosec // --insecure is the user's explicit choice
	if c.CACertFile != "" {
		pem, err := os.ReadFile(c.CACertFile)
		if err != nil {
			return nil, configErr("reading --ca-cert: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, configErr("--ca-cert %s: no PEM certificate found in it", c.CACertFile)
		}
		tlsCfg.RootCAs = pool
	}
	return tlsCfg, nil
}

// SigningRegion is the SigV4 region (Region, or its default).
func (c Config) SigningRegion() string { return c.region() }

// ExchangeTimeout bounds one exchange (Timeout, or its default).
func (c Config) ExchangeTimeout() time.Duration { return c.timeout() }

// BodyCap is how much of a response body is kept (MaxBody, or its default).
func (c Config) BodyCap() int64 { return c.maxBody() }

// DialTimeout bounds connecting (and the TLS handshake) to the endpoint.
const DialTimeout = 10 * time.Second

// httpClient builds the client: no compression (the suite must see bytes as
// sent), no redirects followed, pooled connections, TLS as configured.
func (c Config) httpClient() (*http.Client, error) {
	if c.HTTPClient != nil {
		return c.HTTPClient, nil
	}
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	maxConns := c.MaxConns
	if maxConns <= 0 {
		maxConns = 512
	}
	tr := &http.Transport{
		Proxy:                 nil, // tests talk to loopback only; an env proxy must not capture them
		DialContext:           (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   DialTimeout,
		DisableCompression:    true,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		MaxConnsPerHost:       maxConns,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     false,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// IsConnectError reports whether err means the endpoint could not be
// reached at all (refused, DNS, TLS handshake, timeout while dialing).
func IsConnectError(err error) bool {
	var te *TransportError
	if !errors.As(err, &te) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		s := ue.Err.Error()
		return strings.Contains(s, "tls:") || strings.Contains(s, "x509:") || strings.Contains(s, "certificate")
	}
	return false
}
