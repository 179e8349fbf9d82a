package suites

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

var _ = describe("Source version", func(sc *Ctx) {
	var (
		bucket, key, id string
		oldV, newV      Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustVersionedBucket(ctx)
		k := sc.Name("src")
		// Two versions of one key with different bytes (and sizes): a copy
		// of the wrong version cannot pass for the right one.
		oldV = sc.MustPutGen(ctx, bucket, k, 101, 48<<10, nil)
		newV = sc.MustPutGen(ctx, bucket, k, 102, 40<<10, nil)
		if oldV.VersionID == "" || newV.VersionID == "" {
			Unsupported(clause.Versioning, "endpoint returned no x-amz-version-id on PUT in a versioned bucket")
		}
		Expect(newV.VersionID).NotTo(Equal(oldV.VersionID), "setup: two PUTs must make two versions")
		key = sc.Name("dst")
		id = sc.MustUpload(ctx, bucket, key, nil)
	}, NodeTimeout(time.Minute))

	It("copies the version named by ?versionId=, not the newest [S03]", Label("S03"), func(ctx SpecContext) {
		ex, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, oldV, "", nil))
		Expect(SameETag(o.ETag, MD5Quoted(oldV.Data))).To(BeTrue(),
			"the part's ETag %s must be the old version's MD5 %s (the newest is %s)", o.ETag, MD5Quoted(oldV.Data), MD5Quoted(newV.Data))
		if v := ex.Header.Get(s3call.HdrCopySourceVersionID); v != "" {
			Expect(v).To(Equal(oldV.VersionID), "x-amz-copy-source-version-id must name the copied version")
		}
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.Size).To(Equal(int64(len(oldV.Data))))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(oldV.Data)), "the object must hold the old version's bytes")
	}, SpecTimeout(time.Minute))

	It("without versionId copies the newest version [S03]", Label("S03"), func(ctx SpecContext) {
		cur := newV
		cur.VersionID = ""
		ex, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, cur, "", nil))
		Expect(SameETag(o.ETag, MD5Quoted(newV.Data))).To(BeTrue(), "the part's ETag %s must be the newest version's MD5", o.ETag)
		if v := ex.Header.Get(s3call.HdrCopySourceVersionID); v != "" {
			Expect(v).To(Equal(newV.VersionID), "x-amz-copy-source-version-id must name the newest version")
		}
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
		Expect(sc.MustGet(ctx, bucket, key, nil).MD5).To(Equal(s3call.MD5Hex(newV.Data)))
	}, SpecTimeout(time.Minute))

	It("rejects an unknown versionId with a 4xx and stores no part [S03]", Label("S03"), func(ctx SpecContext) {
		// AWS answers 400 InvalidArgument for a malformed id and 404
		// NoSuchVersion for a well-formed unknown one; either is a 4xx. A
		// server that drops the versionId copies the newest version and
		// fails here.
		missing := newV
		missing.VersionID = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" // shaped like an S3 version id
		ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, missing, "", nil))
		sc.ExpectStatus4xx(ex, o)
		Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a rejected copy stores no part")
	}, SpecTimeout(time.Minute))
}, Label(clause.CapabilityLabel(clause.Versioning)))
