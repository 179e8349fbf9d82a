package suites

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// Report entry names and the Skip prefix the reports read: declared once,
// in the clause catalogue.
const (
	// EntryExchange holds the redacted HTTP exchanges of a failed spec as
	// a JSON array.
	EntryExchange = clause.EntryExchange
	// EntryObserved records the status and code an endpoint answered where
	// the document names no code.
	EntryObserved = clause.EntryObserved
	// UnsupportedPrefix starts the Skip message of an unsupported spec.
	UnsupportedPrefix = clause.UnsupportedPrefix
)

// maxRecords bounds the exchanges kept for one failed spec (the last ones).
const maxRecords = 40

// Ctx is what every spec receives: the configuration, one client per
// principal, and helpers that create resources with cleanup registered
// right after each create.
type Ctx struct {
	Cfg *Config
	// Main owns every test bucket. Alt and Temp are nil when not
	// configured (NeedAlt / NeedTemp report unsupported).
	Main, Alt, Temp *s3call.Client
	// Anon sends unsigned requests.
	Anon *s3call.Client

	initErr error
	mu      sync.Mutex
	records []observed
	secrets []string
	seq     atomic.Int64
	runID   string
	clause  string // the running spec's clause

	// probe is Main without the observer: health checks and the cleanup
	// of leftover buckets are not the spec's exchanges.
	probe         *s3call.Client
	downSince     time.Time // zero: the endpoint answers
	incidents     []Incident
	leftover      map[string]bool
	configErr     string
	configPending bool
}

func newCtx(cfg *Config) *Ctx {
	sc := &Ctx{Cfg: cfg, runID: cfg.RunID, leftover: map[string]bool{}}
	if sc.runID == "" {
		sc.runID = NewRunID()
	}
	if err := cfg.Validate(); err != nil {
		sc.initErr = err
		return sc
	}
	main, err := s3call.New(cfg.Client)
	if err != nil {
		sc.initErr = err
		return sc
	}
	sc.probe = main
	main = main.WithObserver(sc.observe)
	sc.Main = main
	sc.Anon = main.WithCredentials(s3call.Credentials{})
	if !cfg.Alt.IsZero() {
		sc.Alt = main.WithCredentials(cfg.Alt)
	}
	if !cfg.Temp.IsZero() {
		sc.Temp = main.WithCredentials(cfg.Temp)
	}
	sc.secrets = cfg.Secrets()
	return sc
}

// observed is one exchange of the running spec, redacted only if the
// spec's records are attached (redacting every exchange of a 10,000-copy
// spec as it happens would cost more than the copies).
type observed struct {
	ex  *s3call.Exchange
	err error
}

func (sc *Ctx) observe(ex *s3call.Exchange, err error) {
	sc.noteConfigError(ex, err)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.records = append(sc.records, observed{ex: ex, err: err})
	if len(sc.records) > maxRecords {
		sc.records = sc.records[len(sc.records)-maxRecords:]
	}
}

func (sc *Ctx) beginSpec() {
	sc.mu.Lock()
	sc.records = nil
	sc.mu.Unlock()
}

// endSpec attaches the spec's exchanges to the report when it failed,
// redacted with every secret known by then.
func (sc *Ctx) endSpec(failed bool) {
	if !failed && !sc.Cfg.RecordAll {
		return
	}
	sc.mu.Lock()
	obs := append([]observed(nil), sc.records...)
	secrets := append([]string(nil), sc.secrets...)
	sc.mu.Unlock()
	recs := make([]s3call.Record, 0, len(obs))
	for _, o := range obs {
		if o.ex != nil {
			recs = append(recs, o.ex.Record(secrets...))
		} else {
			recs = append(recs, s3call.TransportRecord(o.err, secrets...))
		}
	}
	AddReportEntry(EntryExchange, s3call.RecordsJSON(recs), ReportEntryVisibilityNever)
}

// AddSecret registers a value (an SSE-C key) that must be redacted from
// every record.
func (sc *Ctx) AddSecret(s string) {
	sc.mu.Lock()
	sc.secrets = append(sc.secrets, s)
	sc.mu.Unlock()
}

// Unsupported ends the spec as "unsupported": the endpoint (or the
// configuration) lacks capability c, which the spec must have declared
// with Label(clause.CapabilityLabel(c)). It is neither a pass nor a
// failure, and the reason shows in every report. It is the one place that
// turns a missing capability into "unsupported (reason)": the capability
// checks of Register and every detection in the specs end here.
func Unsupported(c clause.Capability, format string, a ...any) {
	GinkgoHelper()
	_, declared, _ := clause.FromLabels(CurrentSpecReport().Labels())
	if !slices.Contains(declared, c) {
		Fail(fmt.Sprintf("suite bug: the spec found capability %q missing but does not declare it (Label(%q))", c, clause.CapabilityLabel(c)))
	}
	Skip(clause.UnsupportedPrefix + fmt.Sprintf("[%s] ", c) + fmt.Sprintf(format, a...))
}

// missingCapability says why cfg lacks c, or "" when it has it or only
// the endpoint can tell (then the spec detects it and calls Unsupported).
func (sc *Ctx) missingCapability(c clause.Capability) string {
	switch c {
	case clause.AltPrincipal:
		if sc.Cfg.Alt.IsZero() {
			return "no alt principal configured (--alt-access-key/--alt-secret-key)"
		}
	case clause.TempCredentials:
		if sc.Cfg.Temp.IsZero() {
			return "no temporary credentials configured (--temp-access-key/--temp-secret-key/--session-token)"
		}
	case clause.KMS:
		if sc.Cfg.NoKMS {
			return "the configuration declares no SSE-KMS on this endpoint (--no-kms)"
		}
	case clause.ManyParts:
		if sc.Cfg.SkipLarge {
			return "skipped by --skip-large"
		}
	case clause.LargeObjects:
		if sc.Cfg.SkipLarge {
			return "skipped by --skip-large"
		}
		if sc.Cfg.minPart() > largeSeedSize {
			return fmt.Sprintf("minimum part size %d is above the %d-byte seed the 5 GiB source is built from", sc.Cfg.minPart(), largeSeedSize)
		}
	}
	return ""
}

// MissingCapability says why cfg lacks capability c ("" when the
// configuration provides it or only the endpoint can tell), for listings
// that send no request (partcopy conform --list).
func (c *Config) MissingCapability(cp clause.Capability) string {
	return (&Ctx{Cfg: c}).missingCapability(cp)
}

// checkSpec is the first thing every spec does: its labels must name
// exactly one clause of the catalogue and only known capabilities, and
// each capability the configuration lacks makes it unsupported.
func (sc *Ctx) checkSpec() {
	GinkgoHelper()
	labels := CurrentSpecReport().Labels()
	id, err := clause.One(labels)
	if err != nil {
		Fail("suite bug: " + err.Error())
	}
	sc.mu.Lock()
	sc.clause = id
	sc.mu.Unlock()
	_, caps, _ := clause.FromLabels(labels)
	for _, c := range caps {
		if why := sc.missingCapability(c); why != "" {
			Unsupported(c, "%s", why)
		}
	}
}

// Clause is the clause of the running spec (its one clause label).
func (sc *Ctx) Clause() string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.clause
}

// Note records an observation in the report (shown in the console only
// for failed specs or with --verbose).
func (sc *Ctx) Note(text string) {
	AddReportEntry(EntryObserved, text, ReportEntryVisibilityFailureOrVerbose)
}

// Observed records the status and code the endpoint answered, for clauses
// whose document names a status but no code.
func (sc *Ctx) Observed(ex *s3call.Exchange) {
	if ex == nil {
		return
	}
	sc.Note(fmt.Sprintf("status=%d code=%s", ex.Status, s3call.ErrorCode(ex)))
}

// Name returns a unique lower-case name with prefix kind, safe for buckets
// and keys across parallel processes and runs.
func (sc *Ctx) Name(kind string) string {
	return fmt.Sprintf("%s-%s-%s%d-%d", sc.Cfg.BucketPrefixOrDefault(), kind, sc.runID, GinkgoParallelProcess(), sc.seq.Add(1))
}

// BucketPrefixOrDefault is the bucket name prefix.
func (c *Config) BucketPrefixOrDefault() string {
	if c.BucketPrefix == "" {
		return "pc"
	}
	return c.BucketPrefix
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cleanupCtx is the context cleanups run with: the spec's may be done.
func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Minute)
}

// MustBucket creates a bucket owned by Main and registers its removal
// (uploads aborted, every version deleted) right away.
func (sc *Ctx) MustBucket(ctx context.Context, h http.Header) string {
	GinkgoHelper()
	b := sc.Name("b")
	// The removal is registered before the create: an interrupt can cut
	// the create off after the endpoint made the bucket (a missing bucket
	// is no error to EmptyAndDeleteBucket).
	var refused atomic.Bool
	DeferCleanup(func() {
		if refused.Load() {
			return // a definite refusal: never empty a bucket that is not ours
		}
		if sc.isDown() {
			sc.leftBehind(b) // removed when the endpoint is back, or listed
			return
		}
		cctx, cancel := cleanupCtx()
		defer cancel()
		if err := sc.Main.EmptyAndDeleteBucket(cctx, b); err != nil {
			GinkgoWriter.Printf("cleanup of bucket %s: %v\n", b, err)
			var te *s3call.TransportError
			if errors.As(err, &te) {
				sc.leftBehind(b)
			}
		}
	})
	// Setup retries what S3 asks to retry (503 SlowDown, 500 InternalError).
	ex, err := s3call.Retry(ctx, func() (*s3call.Exchange, error) { return sc.Main.CreateBucket(ctx, b, h) })
	refused.Store(ex != nil && ex.Status != 200)
	Expect(s3call.Check("CreateBucket "+b, ex, err, 200)).To(Succeed())
	return b
}

// MustVersionedBucket creates a bucket with versioning enabled, or reports
// unsupported when the endpoint refuses versioning.
func (sc *Ctx) MustVersionedBucket(ctx context.Context) string {
	GinkgoHelper()
	b := sc.MustBucket(ctx, nil)
	ex, err := sc.Main.PutBucketVersioning(ctx, b, true)
	Expect(err).NotTo(HaveOccurred())
	if ex.Status == 501 || s3call.ErrorCode(ex) == "NotImplemented" {
		Unsupported(clause.Versioning, "endpoint does not implement bucket versioning (%d %s)", ex.Status, s3call.ErrorCode(ex))
	}
	Expect(s3call.Check("PutBucketVersioning", ex, nil, 200)).To(Succeed())
	return b
}

// Object is what a spec knows about an object it put.
type Object struct {
	Bucket, Key, ETag, VersionID string
	Data                         []byte
}

// MustPut puts data at bucket/key with headers h and checks the reply.
func (sc *Ctx) MustPut(ctx context.Context, bucket, key string, data []byte, h http.Header) Object {
	GinkgoHelper()
	ex, err := sc.Main.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), h)
	Expect(s3call.Check("PutObject "+key, ex, err, 200)).To(Succeed())
	etag := ex.Header.Get("ETag")
	return Object{Bucket: bucket, Key: key, ETag: etag, VersionID: ex.Header.Get(s3call.HdrVersionID), Data: data}
}

// MustPutGen puts size generated bytes from seed at bucket/key.
func (sc *Ctx) MustPutGen(ctx context.Context, bucket, key string, seed uint64, size int, h http.Header) Object {
	GinkgoHelper()
	return sc.MustPut(ctx, bucket, key, s3call.GenBytes(seed, size), h)
}

// MustUpload starts a multipart upload as Main and registers its abort.
func (sc *Ctx) MustUpload(ctx context.Context, bucket, key string, h http.Header) string {
	GinkgoHelper()
	return sc.MustUploadAs(ctx, sc.Main, bucket, key, h)
}

// MustUploadAs starts a multipart upload as client c and registers its
// abort.
func (sc *Ctx) MustUploadAs(ctx context.Context, c *s3call.Client, bucket, key string, h http.Header) string {
	GinkgoHelper()
	id, ex, err := c.CreateMultipartUpload(ctx, bucket, key, h)
	_ = ex
	Expect(err).NotTo(HaveOccurred(), "CreateMultipartUpload")
	DeferCleanup(func() {
		cctx, cancel := cleanupCtx()
		defer cancel()
		_, _ = c.AbortMultipartUpload(cctx, bucket, key, id)
	})
	return id
}

// Copy is the usual part copy: part n of upload (bucket, key, id) from
// src, with optional range and headers.
func Copy(bucket, key, id string, n int, src Object, rng string, h http.Header) s3call.CopyPart {
	return s3call.CopyPart{
		Bucket: bucket, Key: key, UploadID: id, PartNumber: fmt.Sprint(n),
		Source: s3call.CopySource(src.Bucket, src.Key, src.VersionID), Range: rng, Header: h,
	}
}

// MustCopy sends a copy that must succeed by the one D02 rule: 200 AND a
// CopyPartResult carrying an ETag. A 200 without an ETag fails here.
func (sc *Ctx) MustCopy(ctx context.Context, in s3call.CopyPart) (*s3call.Exchange, s3call.Outcome) {
	GinkgoHelper()
	return sc.MustCopyAs(ctx, sc.Main, in)
}

// MustCopyAs is MustCopy as client c.
func (sc *Ctx) MustCopyAs(ctx context.Context, c *s3call.Client, in s3call.CopyPart) (*s3call.Exchange, s3call.Outcome) {
	GinkgoHelper()
	ex, o := c.UploadPartCopy(ctx, in)
	Expect(o.OK).To(BeTrue(), "UploadPartCopy must succeed (D02: 200 with an ETag in the body): %s", o)
	return ex, o
}

// ExpectRejected checks a copy that must fail with status. codes are the
// error codes the document names (always checked) - pass none when it
// names none; the observed code is recorded either way.
func (sc *Ctx) ExpectRejected(ex *s3call.Exchange, o s3call.Outcome, status int, docCodes ...string) {
	GinkgoHelper()
	Expect(o.OK).To(BeFalse(), "the copy must fail, but it succeeded: %s", o)
	Expect(o.Kind).NotTo(Equal(s3call.KindTransport), "no response: %s", o)
	sc.Observed(ex)
	Expect(o.Status).To(Equal(status), "status: %s", o)
	if len(docCodes) > 0 {
		Expect(o.Code).To(BeElementOf(docCodes), "error code: %s", o)
	}
}

// ExpectRejectedS3 is ExpectRejected where the document names only the
// status: under the s3 profile AWS's codes are checked too.
func (sc *Ctx) ExpectRejectedS3(ex *s3call.Exchange, o s3call.Outcome, status int, awsCodes ...string) {
	GinkgoHelper()
	if sc.Cfg.profile() == ProfileS3 {
		sc.ExpectRejected(ex, o, status, awsCodes...)
		return
	}
	sc.ExpectRejected(ex, o, status)
}

// ExpectStatus4xx checks a failure whose exact 4xx status the document
// leaves open ("error (4xx)").
func (sc *Ctx) ExpectStatus4xx(ex *s3call.Exchange, o s3call.Outcome) {
	GinkgoHelper()
	Expect(o.OK).To(BeFalse(), "the copy must fail, but it succeeded: %s", o)
	Expect(o.Kind).NotTo(Equal(s3call.KindTransport), "no response: %s", o)
	sc.Observed(ex)
	Expect(o.Status).To(BeNumerically(">=", 400), "status: %s", o)
	Expect(o.Status).To(BeNumerically("<", 500), "status: %s", o)
}

// MustParts lists an upload's parts as Main (Main initiated the upload).
func (sc *Ctx) MustParts(ctx context.Context, bucket, key, id string) []s3call.Part {
	GinkgoHelper()
	return sc.MustPartsAs(ctx, sc.Main, bucket, key, id)
}

// MustPartsAs lists an upload's parts as c, the principal that initiated
// it: the one who can see them whatever the endpoint's rules for others.
func (sc *Ctx) MustPartsAs(ctx context.Context, c *s3call.Client, bucket, key, id string) []s3call.Part {
	GinkgoHelper()
	parts, _, err := c.ListParts(ctx, bucket, key, id)
	Expect(err).NotTo(HaveOccurred(), "ListParts as the upload's initiator")
	return parts
}

// ExpectNoPart checks that a refused copy stored no part n, listing as the
// upload's initiator first and then as the bucket owner. When neither may
// list the upload (a revoked grant; an endpoint that refuses the owner an
// upload another principal initiated), the check cannot be made: that is
// recorded, and the refusal observed before stands on its own.
func (sc *Ctx) ExpectNoPart(ctx context.Context, initiator *s3call.Client, bucket, key, id string, n int) {
	GinkgoHelper()
	var refusals []string
	for _, c := range []*s3call.Client{initiator, sc.Main} {
		if c == nil {
			continue
		}
		parts, ex, err := c.ListParts(ctx, bucket, key, id)
		if err == nil {
			Expect(PartsNumbered(parts, n)).To(BeEmpty(), "a refused copy stores nothing (part %d)", n)
			return
		}
		if ex == nil || ex.Status != 403 {
			Expect(err).NotTo(HaveOccurred(), "ListParts to check that nothing was stored")
		}
		refusals = append(refusals, fmt.Sprintf("%d %s", ex.Status, s3call.ErrorCode(ex)))
		if c == sc.Main {
			break
		}
	}
	sc.Note("nothing-stored check not possible: ListParts refused to the initiator and the owner (" + strings.Join(refusals, ", ") + ")")
}

// BlockedBy ends the spec as blocked by clause owner: its setup cannot go
// on because of a deviation that owner's own specs judge. When the running
// spec is owner's, the deviation is its own business and the spec fails.
func (sc *Ctx) BlockedBy(owner, format string, a ...any) {
	GinkgoHelper()
	why := fmt.Sprintf(format, a...)
	if sc.Clause() == owner {
		Fail(owner + ": " + why)
	}
	Skip(clause.Blocked(owner, why))
}

// PartsNumbered returns the listed parts whose number is n.
func PartsNumbered(parts []s3call.Part, n int) []s3call.Part {
	var out []s3call.Part
	for _, p := range parts {
		if p.PartNumber == n {
			out = append(out, p)
		}
	}
	return out
}

// completeOwners are the clauses whose specs judge CompleteMultipartUpload
// itself: for them a refused Complete is their own failure. S08 also owns
// Complete's answer (its ETag).
var completeOwners = map[string]bool{"S05": true, "S08": true, "D25": true}

// MustComplete completes an upload for a spec. For the clauses that judge
// Complete (S05, S08, D25) it must succeed by the D02 rule: 200 with an
// ETag in the body. For every other spec Complete is setup, checked by the
// most direct independent means: a 200 whose answer lacks the ETag (or
// the root S3 documents) goes on when HEAD shows the object; a Complete
// that leaves no object blocks the spec (by D25 when the copy's ETags were
// refused as parts, else by S08).
func (sc *Ctx) MustComplete(ctx context.Context, bucket, key, id string, parts []s3call.CompletedPart, h http.Header) s3call.Outcome {
	GinkgoHelper()
	ex, o := sc.Main.CompleteMultipartUpload(ctx, bucket, key, id, parts, h)
	own := sc.Clause()
	if o.OK || sc.Clause() == "S08" {
		Expect(o.OK).To(BeTrue(), "CompleteMultipartUpload must succeed (200 with an ETag in the body): %s", o)
		return o
	}
	if completeOwners[own] && o.Status != http.StatusOK {
		Fail(fmt.Sprintf("%s: CompleteMultipartUpload with the copies' ETags must succeed: %s", own, o))
	}
	hd, herr := sc.Main.HeadObject(ctx, bucket, key, "", ssecOnly(h))
	if herr == nil && hd.Status == http.StatusOK {
		sc.Note(fmt.Sprintf("CompleteMultipartUpload answered %s; the object exists (HEAD 200, ETag %s): going on (S08 judges Complete's answer)", o, hd.Header.Get("ETag")))
		o.ETag = hd.Header.Get("ETag")
		return o
	}
	headSaid := "no answer"
	if herr == nil {
		headSaid = fmt.Sprintf("%d %s", hd.Status, s3call.ErrorCode(hd))
	}
	owner := "S08"
	if code := s3call.ErrorCode(ex); code == "InvalidPart" || code == "InvalidPartOrder" {
		owner = "D25"
	}
	sc.BlockedBy(owner, "CompleteMultipartUpload answered %s and HEAD of the object answers %s: there is no object to check", o, headSaid)
	return o
}

// ssecOnly keeps the SSE-C headers of h (what a HEAD of an SSE-C object
// needs), nil when there are none.
func ssecOnly(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := http.Header{}
	for _, k := range []string{s3call.HdrSSECAlgorithm, s3call.HdrSSECKey, s3call.HdrSSECKeyMD5} {
		if v := h.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

// MustGet reads an object whole (h may carry SSE-C headers) and returns
// its size and hex MD5; small bodies are kept in Data.
func (sc *Ctx) MustGet(ctx context.Context, bucket, key string, h http.Header) *s3call.ObjectRead {
	GinkgoHelper()
	or, err := sc.Main.GetObject(ctx, bucket, key, "", h, 64<<20)
	Expect(err).NotTo(HaveOccurred(), "GetObject")
	Expect(or.Status).To(Equal(200), "GetObject %s: status %d %s", key, or.Status, s3call.ErrorCode(or.Exchange))
	Expect(or.BodyErr).NotTo(HaveOccurred(), "GetObject body")
	return or
}

// NewSSEC makes a fresh random 256-bit SSE-C key and registers it for
// redaction.
func (sc *Ctx) NewSSEC() s3call.SSEC {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	k := s3call.NewSSEC(key)
	sc.AddSecret(k.KeyB64)
	return k
}

// MD5Quoted is the ETag S3 gives a single-part object or a part: the
// quoted hex MD5 of its bytes.
func MD5Quoted(b []byte) string { return `"` + s3call.MD5Hex(b) + `"` }

// SameETag compares ETags ignoring quotes and case.
func SameETag(a, b string) bool {
	return strings.EqualFold(s3call.TrimETag(a), s3call.TrimETag(b))
}
