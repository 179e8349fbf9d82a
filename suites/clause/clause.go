package clause

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Profile selects which clauses a run certifies.
type Profile string

// Profiles. A vendor may be certified against the page alone (OBS) or the
// page plus widely documented S3 behaviour (S3).
const (
	// OBS checks the page's clauses (D01-D25) with the statuses and the
	// error codes the page names; where it names no code the observed one
	// is recorded.
	OBS Profile = "obs"
	// S3 adds the S clauses (S01-S08) and checks AWS's error codes where
	// the page names only a status.
	S3 Profile = "s3"
)

// Profiles lists every profile, the default (S3) first.
var Profiles = []Profile{S3, OBS}

// ParseProfile returns the profile named s; "" is the default, S3.
func ParseProfile(s string) (Profile, error) {
	switch Profile(s) {
	case "", S3:
		return S3, nil
	case OBS:
		return OBS, nil
	}
	return "", fmt.Errorf("unknown profile %q: use %q or %q", s, OBS, S3)
}

// Capability is something an endpoint (or the run's configuration) must
// offer for some specs of a clause to run. A spec declares each capability
// it needs with a Label (CapabilityLabel); when the capability is missing
// the spec is unsupported, with the reason.
type Capability string

// Capabilities.
const (
	// AltPrincipal is a second principal with its own credentials (D18,
	// D19, D21).
	AltPrincipal Capability = "alt-principal"
	// TempCredentials are temporary credentials with a session token (D12).
	TempCredentials Capability = "temp-credentials"
	// KMS is SSE-KMS (half of D14).
	KMS Capability = "kms"
	// SSEC is SSE-C, customer-provided keys (D09, D10, D11, half of D14);
	// many servers take SSE-C keys over TLS only.
	SSEC Capability = "sse-c"
	// ColdTier is a storage class that makes objects cold, and
	// RestoreObject (D05).
	ColdTier Capability = "cold-tier"
	// Versioning is bucket versioning (S03).
	Versioning Capability = "versioning"
	// LargeObjects is room and time for a 5 GiB + 1 byte source built
	// server side (D22).
	LargeObjects Capability = "large-objects"
	// SigV2 is AWS signature version 2 (part of D15).
	SigV2 Capability = "sigv2"
	// KeyNames is holding a key with special characters (S04) as an object
	// of its own.
	KeyNames Capability = "key-names"
	// ManyParts is room and time for one upload holding all 10,000 parts
	// (D23, D03, S05/S08 on a full upload).
	ManyParts Capability = "many-parts"
)

// CapabilityInfo describes a capability for people: what it is and how a
// run provides it (a flag, or what the endpoint must answer).
type CapabilityInfo struct {
	Capability Capability
	What       string
	// Provide says how to make it available (the flags), or how partcopy
	// detects it when no flag can.
	Provide string
}

// Capabilities describes every capability, in a fixed order.
var Capabilities = []CapabilityInfo{
	{AltPrincipal, "a second principal, with no rights on the main principal's buckets unless a spec grants them",
		"--alt-access-key/--alt-secret-key (and --alt-principal or --alt-grant-cmd when bucket policies cannot name it); the grant must be honoured for UploadPartCopy (checked by a control copy)"},
	{TempCredentials, "temporary credentials with a session token",
		"--temp-access-key/--temp-secret-key/--session-token"},
	{KMS, "SSE-KMS", "on by default; --no-kms declares it absent; a CreateMultipartUpload refused as not implemented or KMS not configured is taken as absent"},
	{SSEC, "SSE-C (customer-provided keys)", "detected: a setup request with SSE-C refused as not implemented, or for lack of TLS, makes the spec unsupported (use an https endpoint)"},
	{ColdTier, "a cold storage class and RestoreObject", "--cold-class (default GLACIER); detected: a PutObject refused with a 4xx naming the class or the argument, 501, or a class silently ignored, and RestoreObject answered 405/501, make the specs unsupported"},
	{Versioning, "bucket versioning", "detected: PutBucketVersioning answered 501/NotImplemented, or no version id on PUT"},
	{LargeObjects, "a 5 GiB + 1 byte source object (built server side from an 8 MiB seed)", "on by default; --skip-large turns it off; a --min-part-size above 8 MiB makes it impossible"},
	{SigV2, "AWS signature version 2", "detected: a correctly SigV2-signed ListBuckets refused (400, 403, 501)"},
	{ManyParts, "one upload filled with all 10,000 part numbers by part copies (10,000 requests; about 2 minutes on a real server)",
		"on by default; --skip-large turns it off"},
	{KeyNames, "storing a key with special characters (S04) as an object of its own", "detected: a PutObject of the key refused with a 4xx, or stored over another key's object (`a//b` onto `a/b`, `/x` onto `x`), makes that key unsupported"},
}

// CapabilityLabelPrefix starts the Ginkgo label by which a spec declares a
// capability it needs: Label("needs:kms"). Ginkgo reads "needs" as a label
// set, so `--labels '!needs: {kms}'` leaves out every spec that needs KMS.
const CapabilityLabelPrefix = "needs:"

// CapabilityLabel is the label that declares c.
func CapabilityLabel(c Capability) string { return CapabilityLabelPrefix + string(c) }

// CapabilityFromLabel returns the capability a "needs:" label declares.
func CapabilityFromLabel(label string) (Capability, bool) {
	rest, ok := strings.CutPrefix(label, CapabilityLabelPrefix)
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	for _, ci := range Capabilities {
		if string(ci.Capability) == rest {
			return ci.Capability, true
		}
	}
	return Capability(rest), false
}

// DescribeCapability returns c's description; ok is false for an unknown one.
func DescribeCapability(c Capability) (CapabilityInfo, bool) {
	for _, ci := range Capabilities {
		if ci.Capability == c {
			return ci, true
		}
	}
	return CapabilityInfo{}, false
}

// Origin says where a clause comes from.
type Origin string

// Origins.
const (
	// Document clauses come from the vendor's page "Upload Part - Copy".
	Document Origin = "document"
	// CommonS3 clauses are widely documented S3 behaviour of the same call
	// that the page leaves implicit.
	CommonS3 Origin = "s3"
)

// Clause is one numbered clause.
type Clause struct {
	// ID is "D01".."D25" (the page) or "S01".."S08" (common S3).
	ID string
	// Title is one line.
	Title string
	// Text says what the clause requires, in partcopy's own words.
	Text string
	// Origin is Document or CommonS3.
	Origin Origin
	// Statuses are the HTTP statuses the clause expects (nil: no error
	// status, e.g. a success clause).
	Statuses []int
	// Any4xx means the page leaves the exact status open: "error (4xx)".
	Any4xx bool
	// Codes are the error codes the page (or, for an S clause, S3) names;
	// they are checked under every profile. Empty: the status is checked
	// and the observed code recorded.
	Codes []string
	// S3Codes are the further codes AWS uses, checked under profile s3
	// where the page names only a status.
	S3Codes []string
	// Capabilities are what some of the clause's specs need.
	Capabilities []Capability
	// Limits names the limits the clause is about.
	Limits []string
}

// Profiles returns the profiles that certify c: every profile for a
// document clause, S3 only for a common-S3 one.
func (c Clause) Profiles() []Profile {
	if c.Origin == Document {
		return []Profile{OBS, S3}
	}
	return []Profile{S3}
}

// InProfile reports whether profile p certifies c.
func (c Clause) InProfile(p Profile) bool {
	for _, q := range c.Profiles() {
		if q == p {
			return true
		}
	}
	return false
}

// Limits the clauses speak of. One place: the specs, the load module and
// the reports take them from here.
const (
	// MaxPartSize is the largest part: 5 GiB = 5368709120 bytes (D22).
	MaxPartSize int64 = 5 << 30
	// MinPartSize is the smallest non-last part at Complete: 5 MiB (S05).
	MinPartSize int64 = 5 << 20
	// MinPartNumber and MaxPartNumber bound part numbers (D23).
	MinPartNumber = 1
	MaxPartNumber = 10000
	// MaxKeyLength is the longest object key in bytes (S04).
	MaxKeyLength = 1024
)

// Names the suites and the reports share. The suites attach report
// entries with these names and end specs with messages that start with
// these prefixes; package reports/ginkgoreport reads them.
const (
	// EntryExchange holds the redacted HTTP exchanges of a spec as a JSON
	// array.
	EntryExchange = "partcopy.exchange"
	// EntryObserved records the status and code an endpoint answered where
	// the document names no code.
	EntryObserved = "partcopy.observed"
	// EntryEndpointDown marks the spec during which the endpoint stopped
	// answering; its value is a one-line description with the last
	// exchange.
	EntryEndpointDown = "partcopy.endpoint-down"
	// EntryConfigError marks a spec stopped by a configuration or
	// transport error (wrong region, TLS mismatch, rejected token, DNS);
	// its value is the one line naming the cause and the flag to fix.
	EntryConfigError = "partcopy.config-error"
	// EntryClause names the clause whose spec this is (informational).
	EntryClause = "partcopy.clause"

	// UnsupportedPrefix starts the Skip message of a spec whose endpoint or
	// configuration lacks a capability it needs.
	UnsupportedPrefix = "unsupported: "
	// BlockedPrefix starts the Skip message of a spec whose setup could not
	// go on because of another clause's deviation: "blocked by S08: why".
	BlockedPrefix = "blocked by "
	// NotRunPrefix starts the Skip message of a spec that could not run
	// because the endpoint was down.
	NotRunPrefix = "not-run: "
	// EndpointDownReason is the reason of a not-run spec.
	EndpointDownReason = "endpoint down"
	// CrashMessage starts the failure of the spec during which the
	// endpoint stopped answering.
	CrashMessage = "the endpoint crashed or stopped answering during this spec"
)

// Blocked returns the Skip message of a spec blocked by clause owner.
func Blocked(owner, why string) string { return BlockedPrefix + owner + ": " + why }

// ParseBlocked reads a Skip message made by Blocked.
func ParseBlocked(msg string) (owner, why string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(msg), BlockedPrefix)
	if !ok {
		return "", "", false
	}
	owner, why, ok = strings.Cut(rest, ":")
	if !ok || !IsID(owner) {
		return "", "", false
	}
	return owner, strings.TrimSpace(why), true
}

var idPattern = regexp.MustCompile(`^[DS]\d\d$`)

// IsID reports whether s has the shape of a clause ID (D01, S08): the
// labels a spec's clause is read from.
func IsID(s string) bool { return idPattern.MatchString(s) }

// Lookup returns the clause with id.
func Lookup(id string) (Clause, bool) {
	for _, c := range All {
		if c.ID == id {
			return c, true
		}
	}
	return Clause{}, false
}

// ForProfile returns the clauses p certifies, in catalogue order.
func ForProfile(p Profile) []Clause {
	var out []Clause
	for _, c := range All {
		if c.InProfile(p) {
			out = append(out, c)
		}
	}
	return out
}

// Sort orders clause IDs as the catalogue does: D before S, then by number.
func Sort(ids []string) { sort.Strings(ids) }

// FromLabels splits a spec's labels into clause IDs, declared capabilities
// and other labels. A spec must carry exactly one clause ID (see One).
func FromLabels(labels []string) (ids []string, caps []Capability, other []string) {
	seen := map[string]bool{}
	for _, l := range labels {
		switch {
		case IsID(l):
			if !seen[l] {
				seen[l] = true
				ids = append(ids, l)
			}
		case strings.HasPrefix(l, CapabilityLabelPrefix):
			c, _ := CapabilityFromLabel(l)
			if !seen[string(c)] {
				seen[string(c)] = true
				caps = append(caps, c)
			}
		default:
			other = append(other, l)
		}
	}
	Sort(ids)
	return ids, caps, other
}

// One returns the one clause ID among labels, or an error saying why the
// labels do not name exactly one (a spec's verdict belongs to one clause).
func One(labels []string) (string, error) {
	ids, caps, _ := FromLabels(labels)
	for _, c := range caps {
		if _, ok := DescribeCapability(c); !ok {
			return "", fmt.Errorf("unknown capability label %q", CapabilityLabel(c))
		}
	}
	switch len(ids) {
	case 1:
		if _, ok := Lookup(ids[0]); !ok {
			return "", fmt.Errorf("clause label %s is not in the catalogue", ids[0])
		}
		return ids[0], nil
	case 0:
		return "", fmt.Errorf("no clause label (labels %v)", labels)
	}
	return "", fmt.Errorf("%d clause labels %v: a spec checks exactly one clause", len(ids), ids)
}
