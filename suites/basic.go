package suites

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

// etagRe is a part ETag: a quoted hex MD5 (quotes optional on the wire).
var etagRe = regexp.MustCompile(`^"?[0-9a-fA-F]{32}"?$`)

// parseLastModified accepts the ISO 8601 forms S3 endpoints send.
func parseLastModified(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02T15:04:05", time.RFC1123} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("LastModified %q is not an ISO 8601 time", s)
}

var _ = describe("Basic copy", func(sc *Ctx) {
	var (
		bucket string
		src    Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 1, 256<<10, nil)
	})

	It("uploads part N by copying an existing object and lists it [D01]", Label("D01"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
		parts := sc.MustParts(ctx, bucket, key, id)
		Expect(PartsNumbered(parts, 1)).To(HaveLen(1), "part 1 must be listed")
		Expect(PartsNumbered(parts, 1)[0].Size).To(Equal(int64(len(src.Data))))
		Expect(SameETag(PartsNumbered(parts, 1)[0].ETag, o.ETag)).To(BeTrue())
	}, SpecTimeout(time.Minute))

	It("answers a successful copy with CopyPartResult carrying LastModified and ETag [D13]", Label("D13"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		before := time.Now().Add(-15 * time.Minute)
		_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
		Expect(o.ETag).To(MatchRegexp(etagRe.String()), "ETag must be a quoted hex MD5")
		Expect(o.LastModified).NotTo(BeEmpty(), "CopyPartResult must carry LastModified")
		lm, err := parseLastModified(o.LastModified)
		Expect(err).NotTo(HaveOccurred())
		Expect(lm).To(BeTemporally(">", before), "LastModified must be the time of this copy")
		Expect(lm).To(BeTemporally("<", time.Now().Add(15*time.Minute)))
	}, SpecTimeout(time.Minute))

	It("returns the part's ETag: ListParts reports it, it is the MD5 of the bytes, Complete accepts it [D25]", Label("D25"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
		Expect(SameETag(o.ETag, MD5Quoted(src.Data))).To(BeTrue(), "ETag %s must be the MD5 of the copied bytes", o.ETag)
		parts := sc.MustParts(ctx, bucket, key, id)
		Expect(PartsNumbered(parts, 1)).To(HaveLen(1))
		Expect(SameETag(PartsNumbered(parts, 1)[0].ETag, o.ETag)).To(BeTrue(), "ListParts ETag must equal the copy's ETag")
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.MD5).To(Equal(s3call.MD5Hex(src.Data)))
	}, SpecTimeout(time.Minute))

	It("needs no request body: a copy sent with Content-Length 0 succeeds [D24]", Label("D24"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		in := Copy(bucket, key, id, 1, src, "", nil)
		r := in.Request()
		r.Header.Set("Content-Length", "0")
		ex, err := sc.Main.Do(ctx, r)
		o := s3call.CopyPartOutcome(ex, err)
		Expect(o.OK).To(BeTrue(), "copy with an empty body: %s", o)
		Expect(ex.RequestHeader.Get("Content-Length")).To(Or(BeEmpty(), Equal("0")))
	}, SpecTimeout(time.Minute))

	Context("x-amz-copy-source [D06]", func() {
		It("without the header, the request is not a part copy: no CopyPartResult, and the part is not the source", Label("D06"), func(ctx SpecContext) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil)
			in := Copy(bucket, key, id, 1, src, "", nil)
			in.Source = ""
			ex, err := sc.Main.Do(ctx, in.Request())
			Expect(err).NotTo(HaveOccurred())
			sc.Observed(ex)
			Expect(string(ex.Body)).NotTo(ContainSubstring("CopyPartResult"), "a request without x-amz-copy-source must not be answered as a copy")
			if ex.Status == http.StatusOK {
				// Then it was a plain UploadPart of an empty body.
				for _, p := range PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1) {
					Expect(p.Size).NotTo(Equal(int64(len(src.Data))), "the part must not hold the source's bytes")
				}
			}
		}, SpecTimeout(time.Minute))

		DescribeTable("a malformed value is rejected with 400",
			func(ctx SpecContext, source func(Object) string) {
				key := sc.Name("dst")
				id := sc.MustUpload(ctx, bucket, key, nil)
				in := Copy(bucket, key, id, 1, src, "", nil)
				in.Source = source(src)
				ex, o := sc.Main.UploadPartCopy(ctx, in)
				sc.ExpectRejectedS3(ex, o, 400, "InvalidArgument", "InvalidRequest")
			},
			Entry("bucket without key", Label("D06"), func(o Object) string { return "/" + o.Bucket }, SpecTimeout(time.Minute)),
			Entry("bucket and slash only", Label("D06"), func(o Object) string { return "/" + o.Bucket + "/" }, SpecTimeout(time.Minute)),
			Entry("a lone slash", Label("D06"), func(Object) string { return "/" }, SpecTimeout(time.Minute)),
			Entry("no separator at all", Label("D06"), func(Object) string { return "nosuchseparator" }, SpecTimeout(time.Minute)),
		)
	})

	Context("partNumber and uploadId are mandatory [D08]", func() {
		It("rejects a copy without uploadId with 400 or 404", Label("D08"), func(ctx SpecContext) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil)
			in := Copy(bucket, key, id, 1, src, "", nil)
			in.OmitUploadID = true
			ex, o := sc.Main.UploadPartCopy(ctx, in)
			Expect(o.OK).To(BeFalse(), "a part copy without uploadId must not succeed as one: %s", o)
			sc.Observed(ex)
			// D08: uploadId is mandatory. A server that answers 200 has done
			// something else (typically a CopyObject over the destination
			// key), which the client that meant a part copy never asked for.
			Expect(o.Status).To(BeElementOf(400, 404), "status: %s", o)
			Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "no part may be stored")
		}, SpecTimeout(time.Minute))

		It("rejects a copy without partNumber with 400 or 404 (s3: or AWS's 405)", Label("D08"), func(ctx SpecContext) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil)
			in := Copy(bucket, key, id, 1, src, "", nil)
			in.OmitPartNumber = true
			ex, o := sc.Main.UploadPartCopy(ctx, in)
			Expect(o.OK).To(BeFalse(), "a part copy without partNumber must not succeed: %s", o)
			sc.Observed(ex)
			allowed := []int{400, 404}
			if sc.Cfg.profile() == ProfileS3 {
				// AWS answers PUT ?uploadId without partNumber with 405
				// MethodNotAllowed.
				allowed = append(allowed, 405)
			}
			Expect(o.Status).To(BeElementOf(allowed), "status: %s", o)
			Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "no part may be stored")
		}, SpecTimeout(time.Minute))

		It("rejects a non-integer partNumber with 400", Label("D08"), func(ctx SpecContext) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil)
			in := Copy(bucket, key, id, 1, src, "", nil)
			in.PartNumber = "1.5"
			ex, o := sc.Main.UploadPartCopy(ctx, in)
			sc.ExpectRejectedS3(ex, o, 400, "InvalidArgument")
		}, SpecTimeout(time.Minute))
	})

	Context("source and destination placement [S07]", func() {
		It("copies from another bucket", Label("S07"), func(ctx SpecContext) {
			other := sc.MustBucket(ctx, nil)
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, other, key, nil)
			_, o := sc.MustCopy(ctx, Copy(other, key, id, 1, src, "", nil))
			sc.MustComplete(ctx, other, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
			Expect(sc.MustGet(ctx, other, key, nil).MD5).To(Equal(s3call.MD5Hex(src.Data)))
		}, SpecTimeout(time.Minute))

		It("copies when the source is the destination key itself", Label("S07"), func(ctx SpecContext) {
			id := sc.MustUpload(ctx, bucket, src.Key, nil)
			_, o := sc.MustCopy(ctx, Copy(bucket, src.Key, id, 1, src, "", nil))
			sc.MustComplete(ctx, bucket, src.Key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
			Expect(sc.MustGet(ctx, bucket, src.Key, nil).MD5).To(Equal(s3call.MD5Hex(src.Data)))
		}, SpecTimeout(time.Minute))
	})
})
