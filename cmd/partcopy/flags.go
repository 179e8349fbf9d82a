package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/partcopy/partcopy/internal/redact"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/reports"
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
	// source names where resolve found each main credential, for errors.
	source credentialSource
}

// credentialSource names where each part of the main credentials came from
// (a flag, an environment variable, a profile), so that an endpoint's
// refusal names the thing to fix.
type credentialSource struct{ key, secret, token string }

// describe fills the source of res's credentials: the flags that were set,
// else what aws-sdk-go-v2 said it read.
func (f *endpointFlags) describe(res s3call.Resolved) credentialSource {
	if f.accessKey != "" {
		src := credentialSource{key: "--access-key", secret: "--secret-key"}
		if f.token != "" {
			src.token = "--main-session-token"
		}
		return src
	}
	profile := f.usedAWSProfile(false)
	if profile == "" {
		profile = "default"
	}
	switch s := res.CredentialSource; {
	case s == "":
		return credentialSource{}
	case strings.HasPrefix(s, "EnvConfigCredentials"):
		return credentialSource{key: "AWS_ACCESS_KEY_ID", secret: "AWS_SECRET_ACCESS_KEY", token: "AWS_SESSION_TOKEN"}
	case strings.HasPrefix(s, "SharedConfigCredentials"):
		file := strings.TrimSpace(strings.TrimPrefix(s, "SharedConfigCredentials:"))
		p := fmt.Sprintf("profile %q in %s (--aws-profile/AWS_PROFILE)", profile, file)
		return credentialSource{key: p, secret: p, token: p}
	default:
		p := fmt.Sprintf("profile %q's credential source %s (--aws-profile/AWS_PROFILE)", profile, s)
		return credentialSource{key: p, secret: p, token: p}
	}
}

// check is the end of a credential error: which of key, secret and token
// to check, named by where each came from.
func (s credentialSource) check(code string, hasToken bool) string {
	if s.key == "" {
		return "check the credentials"
	}
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	switch code {
	case "InvalidToken", "ExpiredToken", "InvalidTokenId", "TokenRefreshRequired":
		add(s.token)
	case "SignatureDoesNotMatch":
		add(s.secret)
	default:
		add(s.key)
	}
	if hasToken && code != "SignatureDoesNotMatch" {
		// Some servers answer a bad token as a bad key (MinIO's
		// InvalidAccessKeyId/InvalidTokenId): name the token too.
		add(s.token)
	}
	if len(names) == 0 {
		add(s.key)
	}
	return "check " + strings.Join(names, " and ")
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
	f.source = f.describe(res)
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

// checkFiniteFlags refuses NaN and ±Inf in every number flag (rates,
// thresholds, ratios): NaN compares false with every bound, so it would
// silently disable the check it was meant for.
func checkFiniteFlags(fs *pflag.FlagSet) error {
	var bad error
	fs.Visit(func(f *pflag.Flag) {
		if bad != nil || f.Value.Type() != "float64" && f.Value.Type() != "float32" {
			return
		}
		v, err := strconv.ParseFloat(f.Value.String(), 64)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			bad = usageError("--%s %s: give a finite number", f.Name, f.Value.String())
		}
	})
	return bad
}

// isSecretFlag reports whether a flag's value is a secret.
func isSecretFlag(name string) bool {
	return strings.Contains(name, "secret") || strings.Contains(name, "token") || strings.Contains(name, "sse-c-key")
}

// deprecatedAlias registers old as a deprecated name of the flag now called
// name, kept for one release: it sets the same value, is hidden from help,
// and using it prints which name to use instead.
func deprecatedAlias(fs *pflag.FlagSet, old, name string) {
	fl := fs.Lookup(name)
	fs.Var(fl.Value, old, "deprecated: use --"+name)
	_ = fs.MarkDeprecated(old, "use --"+name+" (one name, one meaning in every command)")
}

// clauseProfileError is the error for a --profile that is not a clause
// profile; an AWS profile name there is a common habit, so it points to
// --aws-profile.
func clauseProfileError(p string) error {
	return usageError("--profile %q: use obs or s3 (the clause profile); for an AWS shared-config profile use --aws-profile %s", p, p)
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

// probeTimeout bounds the pre-check: an endpoint that accepts and never
// answers is one line and exit 2 after this long.
const probeTimeout = 20 * time.Second

// probeMaxBody caps the ListBuckets answer the pre-check reads (a real
// account's list of a few thousand buckets fits).
const probeMaxBody = 8 << 20

// probeMaxDepth bounds the nesting of the answer's XML: ListBuckets is
// three levels deep; a body nested thousands deep is not S3.
const probeMaxDepth = 32

// probe proves that the endpoint is S3 and accepts the credentials, so
// that a typo in a URL or a key, a wrong region or scheme, or something
// that is not S3 at all is one clear line and exit 2, not a hundred failed
// specs. A signed ListBuckets must answer, within probeTimeout and
// probeMaxBody, well-formed XML whose root is ListAllMyBucketsResult (200)
// or Error (any error but a credential or region one is S3 speaking:
// a user may lack s3:ListAllMyBuckets).
//
// src names where the credentials came from (zero: the embedded
// endpoint's own), so that a refusal names the flag, variable or profile
// to fix.
func probe(ctx context.Context, cfg s3call.Config, src credentialSource) error {
	cfg.MaxBody = probeMaxBody
	c, err := s3call.New(cfg)
	if err != nil {
		return asUsage(err)
	}
	// A shorter request timeout (load --timeout) bounds the pre-check too.
	limit := probeTimeout
	if cfg.Timeout > 0 && cfg.Timeout < limit {
		limit = cfg.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	ep := redact.URL(cfg.Endpoint)
	ex, err := c.ListBuckets(ctx)
	if err != nil {
		return usageError("%s", probeTransportError(ctx, ep, err, limit))
	}
	if ex.BodyErr != nil {
		if ctx.Err() != nil {
			return usageError("%s answered %d but its body did not end within %v: not an S3 endpoint (check --endpoint)", ep, ex.Status, limit)
		}
		return usageError("%s answered %d with a truncated body (%d bytes, then %s): not an S3 endpoint, or a broken proxy in between",
			ep, ex.Status, len(ex.Body), rootCause(ex.BodyErr))
	}
	if ex.BodyCapped {
		return usageError("%s answered %d with a body of more than %d bytes to ListBuckets: not an S3 endpoint (check --endpoint)", ep, ex.Status, probeMaxBody)
	}
	if ex.Status >= 300 && ex.Status < 400 {
		where := redact.URL(ex.Header.Get("Location"))
		if where == "" {
			where = "nowhere"
		}
		return usageError("%s answered %d redirecting to %s: point --endpoint at the S3 endpoint itself (and check --region)", ep, ex.Status, oneLine(where))
	}
	if ex.Status == http.StatusBadRequest && strings.Contains(string(ex.Body), "HTTP request to an HTTPS server") {
		return usageError("%s speaks HTTPS: use https:// in --endpoint", ep)
	}
	root, err := s3XMLRoot(ex.Body)
	if err != nil {
		return usageError("%s answered %d %s to ListBuckets, not S3 XML (%v): check --endpoint", ep, ex.Status, describeBody(ex), err)
	}
	want := "ListAllMyBucketsResult"
	if ex.Status >= 300 {
		want = "Error"
	}
	if root != want {
		return usageError("%s answered %d with <%s> to ListBuckets where S3 answers <%s>: not an S3 endpoint (check --endpoint)", ep, ex.Status, oneLine(redact.String(root)), want)
	}
	if ex.Status < 300 {
		return nil
	}
	e, _ := s3call.ParseError(ex.Body)
	code := oneLine(redact.String(e.Code))
	switch {
	case code == "AuthorizationHeaderMalformed" || code == "InvalidRegion" || code == "IllegalLocationConstraintException":
		if reg := expectedRegion.FindStringSubmatch(e.Message + " " + string(ex.Body)); reg != nil {
			r := reg[1] + reg[2]
			return usageError("%s expects region %s: pass --region %s", ep, r, r)
		}
		return usageError("%s rejected the signing region %q (%d %s): pass the endpoint's --region", ep, cfg.Region, ex.Status, code)
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "InvalidToken" || code == "ExpiredToken" || code == "InvalidSecurity" || code == "TokenRefreshRequired" || code == "InvalidTokenId":
		return usageError("%s rejected the credentials (%d %s): %s", ep, ex.Status, code, src.check(code, cfg.Credentials.SessionToken != ""))
	case code == "":
		return usageError("%s answered %d with an <Error> without a Code to ListBuckets: not an S3 endpoint (check --endpoint)", ep, ex.Status)
	case ex.Status >= 500:
		return usageError("%s answers %d %s to ListBuckets: is it an S3 endpoint, and is it healthy?", ep, ex.Status, code)
	}
	return nil
}

// expectedRegion finds the region an endpoint says it expects, as in S3's
// "the region 'us-west-2' is wrong; expecting 'us-east-1'".
var expectedRegion = regexp.MustCompile(`expecting '([a-z0-9-]{2,40})'|<Region>([a-z0-9-]{2,40})</Region>`)

// probeTransportError says in one line why no answer came: nothing
// listening, plain HTTP spoken to HTTPS (or the reverse), TLS trust,
// silence.
func probeTransportError(ctx context.Context, ep string, err error, limit time.Duration) string {
	msg := rootCause(err)
	switch {
	case ctx.Err() == context.DeadlineExceeded || strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, "timeout"):
		return fmt.Sprintf("%s did not answer ListBuckets within %v: is it an S3 endpoint, and is it up?", ep, limit)
	case strings.Contains(msg, "first record does not look like a TLS handshake") || strings.Contains(msg, "server gave HTTP response"):
		return fmt.Sprintf("%s speaks plain HTTP, not HTTPS: use http:// in --endpoint", ep)
	case strings.Contains(msg, "malformed HTTP response") && strings.HasPrefix(ep, "http://"):
		return fmt.Sprintf("%s does not speak HTTP (is it HTTPS? then use https://): %s", ep, oneLine(redact.String(msg)))
	}
	return fmt.Sprintf("cannot reach %s: %s (check --endpoint, and --ca-cert/--insecure for TLS)", ep, oneLine(redact.String(msg)))
}

// describeBody names what came back: its content type and size.
func describeBody(ex *s3call.Exchange) string {
	ct := ex.Header.Get("Content-Type")
	if ct == "" {
		ct = "no content type"
	}
	return fmt.Sprintf("(%s, %d bytes)", oneLine(redact.String(ct)), len(ex.Body))
}

// s3XMLRoot returns the name of the root element of body, which must be
// one well-formed XML document nested at most probeMaxDepth deep.
func s3XMLRoot(body []byte) (string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", errors.New("empty body")
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	depth, root := 0, ""
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if root != "" {
					return "", errors.New("more than one root element")
				}
				root = t.Name.Local
			}
			depth++
			if depth > probeMaxDepth {
				return "", fmt.Errorf("XML nested more than %d deep", probeMaxDepth)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return "", errors.New("text outside the root element")
			}
		}
	}
	if root == "" {
		return "", errors.New("no XML element")
	}
	if depth != 0 {
		return "", errors.New("unclosed XML element")
	}
	return root, nil
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

// maxConfigFile bounds an options file: a page of flags is a few KiB.
const maxConfigFile = 1 << 20

// applyConfigFile reads a YAML options file whose keys are flag names and
// sets every flag the command line did not set explicitly: explicit flags
// override the file. The file is read bounded (/dev/zero is one line and
// exit 2), and no error repeats a value from it: a secret under a wrong
// key, or in a value of the wrong type, is never printed.
func applyConfigFile(cmd *cobra.Command, path string) error {
	if path == "" {
		return nil
	}
	data, err := reports.ReadBounded(path, maxConfigFile)
	if err != nil {
		return usageError("--config: %s", configReadError(err, path))
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return usageError("--config %s: not a YAML map of flag names to values%s", path, yamlLine(err))
	}
	fs := cmd.Flags()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := m[k]
		fl := fs.Lookup(k)
		if fl == nil {
			return usageError("--config %s: unknown option %s (keys are flag names without --; see '%s --help')", path, showKey(k), cmd.CommandPath())
		}
		if k == "config" {
			return usageError("--config %s: an options file cannot name another one", path)
		}
		if fl.Changed {
			continue
		}
		var vals []string
		switch t := v.(type) {
		case []any:
			for _, e := range t {
				if _, nested := e.(map[string]any); nested {
					return usageError("--config %s: option %s: a list of maps is not a flag value", path, k)
				}
				vals = append(vals, fmt.Sprint(e))
			}
		case map[string]any:
			return usageError("--config %s: option %s: a map is not a flag value", path, k)
		case nil:
			return usageError("--config %s: option %s has no value", path, k)
		default:
			vals = []string{fmt.Sprint(t)}
		}
		if isSecretFlag(k) {
			redact.Add(vals...)
		}
		for _, s := range vals {
			if err := fs.Set(k, s); err != nil {
				return usageError("--config %s: option %s: not a valid %s value (see '%s --help')", path, k, fl.Value.Type(), cmd.CommandPath())
			}
		}
	}
	registerSecretFlags(fs)
	return checkFiniteFlags(fs)
}

// configReadError is why an options file could not be read, without Go's
// internals.
func configReadError(err error, path string) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("%s does not exist", path)
	case errors.Is(err, os.ErrPermission):
		return fmt.Sprintf("%s is not readable", path)
	}
	return oneLine(err.Error())
}

// yamlLine keeps the line number of a YAML error and drops the rest: the
// parser quotes the text it choked on, which may be a secret.
func yamlLine(err error) string {
	if m := yamlLineRe.FindString(err.Error()); m != "" {
		return " (error at " + m + ")"
	}
	return ""
}

var yamlLineRe = regexp.MustCompile(`line \d+`)

// showKey names an unknown key when it looks like a flag name; anything
// else (a value pasted in key position) is not repeated.
func showKey(k string) string {
	if flagName.MatchString(k) {
		return fmt.Sprintf("%q", k)
	}
	return "(a key that is not a flag name)"
}

var flagName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)
