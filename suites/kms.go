package suites

import (
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// kmsUnconfigured matches the messages of endpoints that have no KMS set
// up (MinIO: "Server side encryption specified but KMS is not configured").
var kmsUnconfigured = regexp.MustCompile(`(?i)kms.*(not (configured|enabled|supported|implemented|available))|(no|missing) kms`)

// kmsRefused reports a CreateMultipartUpload reply that clearly says the
// endpoint has no SSE-KMS: 501, NotImplemented, a KMS-not-configured code
// or message.
func kmsRefused(ex *s3call.Exchange) bool {
	if ex == nil {
		return false
	}
	if refusedUnimplemented(ex) {
		return true
	}
	e, _ := s3call.ParseError(ex.Body)
	code := strings.ToLower(e.Code)
	if strings.Contains(code, "kms") && (strings.Contains(code, "notconfigured") || strings.Contains(code, "disabled") || strings.Contains(code, "notsupported")) {
		return true
	}
	return kmsUnconfigured.MatchString(e.Message)
}

// sameKMSKey compares a configured key id with the one an endpoint
// echoes: equal, or one is the other's ARN (".../key/<id>", ":alias/x").
func sameKMSKey(configured, got string) bool {
	if configured == got {
		return true
	}
	for _, sep := range []string{"/", ":"} {
		if strings.HasSuffix(got, sep+configured) || strings.HasSuffix(configured, sep+got) {
			return true
		}
	}
	return false
}

var _ = describe("SSE-KMS", func(sc *Ctx) {
	var (
		bucket string
		src    Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 41, 64<<10, nil)
	})

	It("a copy into an SSE-KMS upload echoes aws:kms and the key id [D14]", Label("D14", clause.CapabilityLabel(clause.KMS)), func(ctx SpecContext) {
		key := sc.Name("dst")
		id, ex, err := sc.Main.CreateMultipartUpload(ctx, bucket, key, s3call.KMSHeader(sc.Cfg.KMSKeyID))
		if err != nil && kmsRefused(ex) {
			e, _ := s3call.ParseError(ex.Body)
			Unsupported(clause.KMS, "endpoint has no SSE-KMS: CreateMultipartUpload with aws:kms answered %d %s %q", ex.Status, e.Code, e.Message)
		}
		Expect(err).NotTo(HaveOccurred(), "CreateMultipartUpload with SSE-KMS")
		DeferCleanup(func() {
			cctx, cancel := cleanupCtx()
			defer cancel()
			_, _ = sc.Main.AbortMultipartUpload(cctx, bucket, key, id)
		})
		cex, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
		Expect(cex.Header.Get(s3call.HdrSSE)).To(Equal("aws:kms"), "D14: x-amz-server-side-encryption on the copy's response")
		got := cex.Header.Get(s3call.HdrSSEKMSKeyID)
		// Not a Note: a server's key id may change every start, and notes
		// are evidence compared across runs.
		GinkgoWriter.Printf("kms key id: %s\n", got)
		Expect(got).NotTo(BeEmpty(), "D14: x-amz-server-side-encryption-aws-kms-key-id on the copy's response")
		if sc.Cfg.KMSKeyID != "" {
			Expect(sameKMSKey(sc.Cfg.KMSKeyID, got)).To(BeTrue(), "D14: key id %q must be the configured %q", got, sc.Cfg.KMSKeyID)
		}
		parts := PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)
		Expect(parts).To(HaveLen(1))
		Expect(SameETag(parts[0].ETag, o.ETag)).To(BeTrue())
	}, SpecTimeout(time.Minute))

	It("a copy into an upload without SSE does not claim SSE-KMS or SSE-C [D14]", Label("D14"), func(ctx SpecContext) {
		// The echo must describe the upload: a server that always sends the
		// SSE headers would pass the spec above.
		key := sc.Name("dst")
		id, iex, err := sc.Main.CreateMultipartUpload(ctx, bucket, key, nil)
		Expect(err).NotTo(HaveOccurred(), "CreateMultipartUpload")
		DeferCleanup(func() {
			cctx, cancel := cleanupCtx()
			defer cancel()
			_, _ = sc.Main.AbortMultipartUpload(cctx, bucket, key, id)
		})
		ex, _ := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
		if upload := iex.Header.Get(s3call.HdrSSE); strings.HasPrefix(upload, "aws:kms") {
			// The endpoint encrypts every upload with SSE-KMS by default:
			// then the echo must say so, as for an upload that asked.
			sc.Note("the endpoint encrypts uploads with SSE-KMS by default")
			Expect(ex.Header.Get(s3call.HdrSSE)).To(Equal(upload), "the echo must describe the upload (CreateMultipartUpload said %s)", upload)
		} else {
			Expect(ex.Header.Get(s3call.HdrSSE)).NotTo(HavePrefix("aws:kms"), "no SSE-KMS was asked for")
			Expect(ex.Header.Values(s3call.HdrSSEKMSKeyID)).To(BeEmpty(), "no SSE-KMS was asked for")
		}
		Expect(ex.Header.Values(s3call.HdrSSECAlgorithm)).To(BeEmpty(), "no SSE-C was asked for")
		Expect(ex.Header.Values(s3call.HdrSSECKeyMD5)).To(BeEmpty(), "no SSE-C was asked for")
	}, SpecTimeout(time.Minute))
})
