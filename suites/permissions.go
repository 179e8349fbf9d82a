package suites

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// grantSpec bounds the permission specs: grants may need retries to
// propagate (untilGranted).
var grantSpec = SpecTimeout(3 * time.Minute)

var _ = describe("Missing resources", func(sc *Ctx) {
	var (
		bucket string
		src    Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 71, 64<<10, nil)
	})

	It("a copy into a bucket that does not exist: 404 NoSuchBucket [D16]", Label("D16"), func(ctx SpecContext) {
		// A real upload of the same key exists elsewhere: a server that finds
		// uploads by id alone, ignoring the bucket, would copy into it.
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		missing := sc.Name("nobucket")
		ex, o := sc.Main.UploadPartCopy(ctx, Copy(missing, key, id, 1, src, "", nil))
		sc.ExpectRejected(ex, o, http.StatusNotFound, "NoSuchBucket")
		Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "the other bucket's upload must be untouched")
	}, SpecTimeout(time.Minute))

	It("a copy from a source object that does not exist: 404 NoSuchKey [D17]", Label("D17"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		missing := src
		missing.Key = sc.Name("nokey")
		ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, missing, "", nil))
		sc.ExpectRejected(ex, o, http.StatusNotFound, "NoSuchKey")
		Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a refused copy stores nothing")
	}, SpecTimeout(time.Minute))

	It("a copy from a source bucket that does not exist: 404 (s3: NoSuchBucket) [D17]", Label("D17"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		missing := src
		missing.Bucket = sc.Name("nobucket")
		ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, missing, "", nil))
		sc.ExpectRejectedS3(ex, o, http.StatusNotFound, "NoSuchBucket")
		Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a refused copy stores nothing")
	}, SpecTimeout(time.Minute))

	Context("the multipart upload does not exist [D20]", func() {
		var key string
		BeforeEach(func() { key = sc.Name("dst") })

		It("an unknown uploadId: 404 NoSuchUpload [D20]", Label("D20"), func(ctx SpecContext) {
			// A real upload of the same key exists: a server that picks the
			// key's upload, ignoring the id, would copy into it.
			live := sc.MustUpload(ctx, bucket, key, nil)
			unknown := "pcnosuchupload" + randHex(16)
			ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, unknown, 1, src, "", nil))
			sc.ExpectRejected(ex, o, http.StatusNotFound, "NoSuchUpload")
			Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, live), 1)).To(BeEmpty(), "the real upload must be untouched")
		}, SpecTimeout(time.Minute))

		It("an aborted upload: 404 NoSuchUpload [D20]", Label("D20"), func(ctx SpecContext) {
			id := sc.MustUpload(ctx, bucket, key, nil)
			ex, err := sc.Main.AbortMultipartUpload(ctx, bucket, key, id)
			Expect(s3call.Check("AbortMultipartUpload", ex, err, 204, 200)).To(Succeed())
			cex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
			sc.ExpectRejected(cex, o, http.StatusNotFound, "NoSuchUpload")
		}, SpecTimeout(time.Minute))

		It("a completed upload: 404 NoSuchUpload, and the object keeps its bytes [D20]", Label("D20"), func(ctx SpecContext) {
			id := sc.MustUpload(ctx, bucket, key, nil)
			_, first := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
			sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: first.ETag}}, nil)
			other := sc.MustPutGen(ctx, bucket, sc.Name("other"), 72, 32<<10, nil)
			ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, other, "", nil))
			sc.ExpectRejected(ex, o, http.StatusNotFound, "NoSuchUpload")
			got := sc.MustGet(ctx, bucket, key, nil)
			Expect(got.MD5).To(Equal(s3call.MD5Hex(src.Data)), "the completed object must not change")
		}, SpecTimeout(time.Minute))
	})
})

var _ = describe("Permissions", func(sc *Ctx) {
	// Main owns both buckets. Alt gets exactly the grants a spec names,
	// through a bucket policy (or ACL grants), each removed by DeferCleanup.
	var (
		srcBucket, dstBucket, key string
		src                       Object
		g                         *grants
	)
	BeforeEach(func(ctx SpecContext) {
		g = newGrants(sc)
		srcBucket = sc.MustBucket(ctx, nil)
		dstBucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, srcBucket, sc.Name("src"), 73, 64<<10, nil)
		key = sc.Name("dst")
	})

	It("a requester without READ on the source bucket is refused: 403 AccessDenied [D18]", Label("D18"), func(ctx SpecContext) {
		// Alt may write the destination and initiates the upload itself
		// (so D21 cannot be the reason); it has nothing on the source bucket.
		g.set(ctx, dstBucket, nil, permWrite)
		id := sc.uploadAsGranted(ctx, g, sc.Alt, dstBucket, key) // WRITE is in effect once this works
		ex, o := sc.Alt.UploadPartCopy(ctx, Copy(dstBucket, key, id, 1, src, "", nil))

		// Control before the refusal is believed: once READ on the source
		// is granted, the same copy succeeds - the refusal was about READ.
		// A grant this endpoint does not honour for UploadPartCopy makes the
		// spec unsupported (controlCopy), not failed.
		g.set(ctx, srcBucket, []string{src.Key}, permRead)
		sc.controlCopy(ctx, g, sc.Alt, Copy(dstBucket, key, id, 2, src, "", nil))

		sc.ExpectRejected(ex, o, http.StatusForbidden, "AccessDenied")
		sc.ExpectNoPart(ctx, sc.Alt, dstBucket, key, id, 1)
	}, grantSpec)

	It("a requester without WRITE on the destination bucket is refused: 403 AccessDenied [D19]", Label("D19"), func(ctx SpecContext) {
		g.set(ctx, srcBucket, []string{src.Key}, permRead)
		g.set(ctx, dstBucket, nil, permWrite)
		// Alt initiates the upload (so D21 cannot be the reason) while it
		// may write; control: with WRITE it can copy part 1.
		id := sc.uploadAsGranted(ctx, g, sc.Alt, dstBucket, key)
		sc.controlCopy(ctx, g, sc.Alt, Copy(dstBucket, key, id, 1, src, "", nil))

		g.revoke(ctx, dstBucket)
		// A revoke may take a moment to propagate: retry while it still works.
		var (
			ex *s3call.Exchange
			o  s3call.Outcome
		)
		untilGranted(ctx, func() bool {
			ex, o = sc.Alt.UploadPartCopy(ctx, Copy(dstBucket, key, id, 2, src, "", nil))
			return !o.OK
		})
		sc.ExpectRejected(ex, o, http.StatusForbidden, "AccessDenied")
		sc.ExpectNoPart(ctx, sc.Alt, dstBucket, key, id, 2)
	}, grantSpec)

	It("a requester who did not initiate the upload is refused: 403 AccessDenied [D21]", Label("D21"), func(ctx SpecContext) {
		g.set(ctx, srcBucket, []string{src.Key}, permRead)
		g.set(ctx, dstBucket, nil, permWrite)
		mainID := sc.MustUpload(ctx, dstBucket, key, nil)
		// Control: alt's grants are in effect - it copies into its own
		// upload of the same key.
		altID := sc.uploadAsGranted(ctx, g, sc.Alt, dstBucket, key)
		sc.controlCopy(ctx, g, sc.Alt, Copy(dstBucket, key, altID, 1, src, "", nil))

		ex, o := sc.Alt.UploadPartCopy(ctx, Copy(dstBucket, key, mainID, 1, src, "", nil))
		sc.ExpectRejected(ex, o, http.StatusForbidden, "AccessDenied")
		// Main initiated this upload: Main lists it.
		sc.ExpectNoPart(ctx, sc.Main, dstBucket, key, mainID, 1)
	}, grantSpec)
}, Label(clause.CapabilityLabel(clause.AltPrincipal)))
