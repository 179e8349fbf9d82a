package suites

import (
	"context"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

// Conditional copy headers (S02).
const (
	hdrCopyIfMatch           = "X-Amz-Copy-Source-If-Match"
	hdrCopyIfNoneMatch       = "X-Amz-Copy-Source-If-None-Match"
	hdrCopyIfModifiedSince   = "X-Amz-Copy-Source-If-Modified-Since"
	hdrCopyIfUnmodifiedSince = "X-Amz-Copy-Source-If-Unmodified-Since"
)

// condOtherETag is a well-formed ETag no test object has.
const condOtherETag = `"0123456789abcdef0123456789abcdef"`

// condSource is what the condition headers are computed from: the source's
// ETag and LastModified as the endpoint reports them (HEAD), so that the
// client's clock plays no part.
type condSource struct {
	ETag string
	LM   time.Time
}

// condHeaders builds the headers of one case; it may wait (ctx) for the
// endpoint's clock to pass a date.
type condHeaders func(ctx context.Context, s condSource) http.Header

func condHdrs(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func condDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

var _ = describe("Conditional copy", func(sc *Ctx) {
	var (
		bucket, key, id string
		src             Object
		cs              condSource
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 91, 32<<10, nil)
		ex, err := sc.Main.HeadObject(ctx, bucket, src.Key, "", nil)
		Expect(s3call.Check("HeadObject", ex, err, 200)).To(Succeed())
		cs.ETag = ex.Header.Get("ETag")
		Expect(cs.ETag).NotTo(BeEmpty(), "setup: the source's ETag")
		cs.LM, err = http.ParseTime(ex.Header.Get("Last-Modified"))
		Expect(err).NotTo(HaveOccurred(), "setup: the source's Last-Modified %q", ex.Header.Get("Last-Modified"))
		key = sc.Name("dst")
		id = sc.MustUpload(ctx, bucket, key, nil)
	}, NodeTimeout(time.Minute))

	// S02: a failed condition is 412 PreconditionFailed and stores nothing.
	// A server that ignores the condition headers copies and fails here.
	DescribeTable("a failed condition is rejected with 412 PreconditionFailed and stores no part [S02]",
		func(ctx SpecContext, h condHeaders) {
			ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, src, "", h(ctx, cs)))
			sc.ExpectRejected(ex, o, http.StatusPreconditionFailed, "PreconditionFailed")
			Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a rejected copy stores no part")
		},
		Entry("if-match with another ETag", Label("S02"), condHeaders(func(_ context.Context, _ condSource) http.Header {
			return condHdrs(hdrCopyIfMatch, condOtherETag)
		}), SpecTimeout(time.Minute)),
		Entry("if-none-match with the source's ETag", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfNoneMatch, s.ETag)
		}), SpecTimeout(time.Minute)),
		Entry("if-modified-since a date after LastModified (not in the future)", Label("S02"), condHeaders(func(ctx context.Context, s condSource) http.Header {
			// The date must not be in the future (HTTP ignores such dates),
			// so wait until the endpoint's clock is past it.
			Expect(pauseCtx(ctx, time.Until(s.LM.Add(2500*time.Millisecond)))).To(Succeed())
			return condHdrs(hdrCopyIfModifiedSince, condDate(s.LM.Add(time.Second)))
		}), SpecTimeout(time.Minute)),
		// No entry for a future if-modified-since: RFC 9110 13.1.3 lets a
		// server ignore a date later than its clock, and AWS copies then.
		Entry("if-unmodified-since a date before LastModified", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfUnmodifiedSince, condDate(s.LM.Add(-time.Hour)))
		}), SpecTimeout(time.Minute)),
		// AWS's documented precedence: if-none-match false and
		// if-modified-since true together are 412.
		Entry("if-none-match false (matches) with if-modified-since true", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfNoneMatch, s.ETag, hdrCopyIfModifiedSince, condDate(s.LM.Add(-time.Hour)))
		}), SpecTimeout(time.Minute)),
		Entry("if-match false with if-unmodified-since true", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfMatch, condOtherETag, hdrCopyIfUnmodifiedSince, condDate(s.LM.Add(time.Hour)))
		}), SpecTimeout(time.Minute)),
	)

	// S02: a condition that holds lets the copy through, and the part holds
	// the source. A server that rejects any conditional copy fails here.
	DescribeTable("a condition that holds lets the copy succeed [S02]",
		func(ctx SpecContext, h condHeaders) {
			_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", h(ctx, cs)))
			Expect(SameETag(o.ETag, MD5Quoted(src.Data))).To(BeTrue(), "the part must hold the source's bytes")
			listed := PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)
			Expect(listed).To(HaveLen(1))
			Expect(SameETag(listed[0].ETag, o.ETag)).To(BeTrue())
		},
		Entry("if-match with the source's ETag", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfMatch, s.ETag)
		}), SpecTimeout(time.Minute)),
		Entry("if-none-match with another ETag", Label("S02"), condHeaders(func(_ context.Context, _ condSource) http.Header {
			return condHdrs(hdrCopyIfNoneMatch, condOtherETag)
		}), SpecTimeout(time.Minute)),
		Entry("if-modified-since a date before LastModified", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfModifiedSince, condDate(s.LM.Add(-time.Hour)))
		}), SpecTimeout(time.Minute)),
		Entry("if-unmodified-since a date after LastModified", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfUnmodifiedSince, condDate(s.LM.Add(time.Hour)))
		}), SpecTimeout(time.Minute)),
		Entry("if-unmodified-since exactly LastModified", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfUnmodifiedSince, condDate(s.LM))
		}), SpecTimeout(time.Minute)),
		// AWS's documented precedence: if-match true overrides a false
		// if-unmodified-since - S3 answers 200 and copies.
		Entry("if-match true with if-unmodified-since false", Label("S02"), condHeaders(func(_ context.Context, s condSource) http.Header {
			return condHdrs(hdrCopyIfMatch, s.ETag, hdrCopyIfUnmodifiedSince, condDate(s.LM.Add(-time.Hour)))
		}), SpecTimeout(time.Minute)),
	)
})
