package suites

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// Profiles select which clauses are checked.
const (
	// ProfileOBS checks the document's clauses (D01-D25) with the
	// document's statuses and the error codes it names.
	ProfileOBS = string(clause.OBS)
	// ProfileS3 adds the widely documented S3 behaviour (S01-S08) and
	// AWS's error codes where known.
	ProfileS3 = string(clause.S3)
)

// Config says which endpoint to check and what it can do. The zero value
// of every optional field means "not available": specs that need it
// report unsupported with the reason.
type Config struct {
	// Client is the main principal's client (owner of every test bucket).
	// Required.
	Client s3call.Config
	// Alt is a second principal with no rights on Main's buckets unless a
	// spec grants them (D18, D19, D21). Zero: those specs are unsupported.
	Alt s3call.Credentials
	// AltPrincipal is how bucket policies name Alt, e.g. its access key id
	// or "arn:aws:iam::123456789012:user/alt". "" means Alt's access key id.
	AltPrincipal string
	// AltGrantCommand, when set, is how Alt is granted rights instead of
	// bucket policies (for endpoints whose policies cannot name a user, such
	// as MinIO's): it is run as `sh -c "$AltGrantCommand BUCKET MODE"` with
	// MODE one of none, read, write, readwrite. "" means bucket policies.
	AltGrantCommand string
	// Temp are temporary credentials (with SessionToken) for D12. Zero:
	// D12 is unsupported.
	Temp s3call.Credentials
	// KMSKeyID names an SSE-KMS key; "" means the endpoint's default key.
	KMSKeyID string
	// NoKMS declares the endpoint has no SSE-KMS (D14's KMS half is
	// unsupported).
	NoKMS bool
	// ColdStorageClass is the storage class that makes an object cold
	// (D05); "" means "GLACIER".
	ColdStorageClass string
	// RestoreTimeout bounds the wait for a restore to finish; 0 means 2
	// minutes.
	RestoreTimeout time.Duration
	// Profile is ProfileOBS or ProfileS3; "" means ProfileS3.
	Profile string
	// SkipLarge turns off the 5 GiB specs (D22) for endpoints where they
	// are too costly; they then report unsupported ("skipped by
	// --skip-large").
	SkipLarge bool
	// MinPartSize is the endpoint's minimum size of a non-last part; 0
	// means 5 MiB (S05).
	MinPartSize int64
	// RecordAll attaches every spec's exchanges to the report, not only a
	// failed spec's (for self-tests and debugging; reports grow large).
	RecordAll bool
	// BucketPrefix starts every bucket name; "" means "pc".
	BucketPrefix string
	// RecoverWait is how long the run waits for an endpoint that stopped
	// answering during a spec to answer again; 0 means 60 seconds.
	RecoverWait time.Duration
	// ZeroCopy says the endpoint copies by reference and moves no bytes
	// (the embedded one): the 10,000-part specs then complete 10,000 parts
	// of the minimum part size whatever that size is.
	ZeroCopy bool
	// RunID is the run's id, in every bucket name the run creates (so
	// `partcopy cleanup` finds what an interrupted run left) and in its
	// report: 6 lower-case hex digits (NewRunID); "" means a random one.
	RunID string
}

// NewRunID returns a random run id in the form Config.RunID takes.
func NewRunID() string { return randHex(3) }

// validRunID: 6 lower-case hex digits, the form partcopy cleanup matches.
var validRunID = regexp.MustCompile(`^[0-9a-f]{6}$`)

// NewConfig returns a Config with the defaults filled in for endpoint and
// the main principal's credentials.
func NewConfig(endpoint string, main s3call.Credentials) *Config {
	return &Config{
		Client:           s3call.Config{Endpoint: endpoint, Credentials: main},
		ColdStorageClass: "GLACIER",
		Profile:          ProfileS3,
		MinPartSize:      5 << 20,
		BucketPrefix:     "pc",
	}
}

// Validate reports a configuration the specs cannot run with.
func (c *Config) Validate() error {
	if c == nil {
		return errors.New("suites: nil Config")
	}
	if _, err := s3call.ParseEndpoint(c.Client.Endpoint); err != nil {
		return err
	}
	if c.RunID != "" && !validRunID.MatchString(c.RunID) {
		return fmt.Errorf("run id %q: use 6 lower-case hex digits (suites.NewRunID)", c.RunID)
	}
	if c.Client.Credentials.IsZero() {
		return s3call.ErrNoCredentials
	}
	switch c.Profile {
	case "", ProfileOBS, ProfileS3:
	default:
		return fmt.Errorf("unknown profile %q: use %q or %q", c.Profile, ProfileOBS, ProfileS3)
	}
	if c.Temp.AccessKey != "" && c.Temp.SessionToken == "" {
		return errors.New("temporary credentials need a session token (--session-token)")
	}
	return nil
}

func (c *Config) profile() string {
	if c.Profile == "" {
		return ProfileS3
	}
	return c.Profile
}

func (c *Config) coldClass() string {
	if c.ColdStorageClass == "" {
		return "GLACIER"
	}
	return c.ColdStorageClass
}

func (c *Config) minPart() int64 {
	if c.MinPartSize <= 0 {
		return 5 << 20
	}
	return c.MinPartSize
}

func (c *Config) restoreTimeout() time.Duration {
	if c.RestoreTimeout <= 0 {
		return 2 * time.Minute
	}
	return c.RestoreTimeout
}

func (c *Config) recoverWait() time.Duration {
	if c.RecoverWait <= 0 {
		return 60 * time.Second
	}
	return c.RecoverWait
}

func (c *Config) altPrincipal() string {
	if c.AltPrincipal != "" {
		return c.AltPrincipal
	}
	return c.Alt.AccessKey
}

// Secrets lists every secret the config holds, for redaction.
func (c *Config) Secrets() []string {
	var s []string
	s = append(s, c.Client.Credentials.Secrets()...)
	s = append(s, c.Alt.Secrets()...)
	s = append(s, c.Temp.Secrets()...)
	return s
}

// LabelFilter is the Ginkgo label filter of the profile: obs runs only the
// specs that name a D clause.
func (c *Config) LabelFilter() string {
	if c.profile() == ProfileOBS {
		return `/^D\d\d$/`
	}
	return ""
}
