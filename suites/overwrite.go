package suites

import (
	"bytes"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

var _ = describe("Part overwrite", func(sc *Ctx) {
	var (
		bucket, key, id string
		srcA, srcB      Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		srcA = sc.MustPutGen(ctx, bucket, sc.Name("a"), 11, 300<<10, nil)
		srcB = sc.MustPutGen(ctx, bucket, sc.Name("b"), 12, 200<<10, nil)
		key = sc.Name("dst")
		id = sc.MustUpload(ctx, bucket, key, nil)
	})

	It("copying twice to part N lists only the newest part N, and Complete gives its bytes [D03]", Label("D03"), func(ctx SpecContext) {
		_, oldO := sc.MustCopy(ctx, Copy(bucket, key, id, 3, srcA, "", nil))
		_, newO := sc.MustCopy(ctx, Copy(bucket, key, id, 3, srcB, "", nil))
		Expect(SameETag(oldO.ETag, newO.ETag)).To(BeFalse(), "different sources must give different part ETags")
		parts := PartsNumbered(sc.MustParts(ctx, bucket, key, id), 3)
		Expect(parts).To(HaveLen(1), "D03: only the newest part 3 is listed")
		Expect(SameETag(parts[0].ETag, newO.ETag)).To(BeTrue(), "listed ETag must be the new part's")
		Expect(parts[0].Size).To(Equal(int64(len(srcB.Data))), "listed size must be the new part's")
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 3, ETag: newO.ETag}}, nil)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.Size).To(Equal(int64(len(srcB.Data))))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(srcB.Data)), "completed object must hold the new bytes")
	}, SpecTimeout(time.Minute))

	It("a copy over a part uploaded with UploadPart replaces it [D03]", Label("D03"), func(ctx SpecContext) {
		data := s3call.GenBytes(13, 100<<10)
		ex, err := sc.Main.UploadPart(ctx, bucket, key, id, 1, bytes.NewReader(data), int64(len(data)), nil)
		Expect(s3call.Check("UploadPart", ex, err, 200)).To(Succeed())
		_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, srcA, "", nil))
		parts := PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)
		Expect(parts).To(HaveLen(1), "D03: only the newest part 1 is listed")
		Expect(SameETag(parts[0].ETag, o.ETag)).To(BeTrue())
		Expect(parts[0].Size).To(Equal(int64(len(srcA.Data))))
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
		Expect(sc.MustGet(ctx, bucket, key, nil).MD5).To(Equal(s3call.MD5Hex(srcA.Data)))
	}, SpecTimeout(time.Minute))

	It("the overwritten part is gone: Complete with its stale ETag fails [D03]", Label("D03"), func(ctx SpecContext) {
		_, oldO := sc.MustCopy(ctx, Copy(bucket, key, id, 2, srcA, "", nil))
		sc.MustCopy(ctx, Copy(bucket, key, id, 2, srcB, "", nil))
		ex, o := sc.Main.CompleteMultipartUpload(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 2, ETag: oldO.ETag}}, nil)
		Expect(o.OK).To(BeFalse(), "Complete with the overwritten part's ETag must fail: %s", o)
		sc.Observed(ex)
		Expect(o.Status).To(Equal(400), "status: %s", o)
		if sc.Cfg.profile() == ProfileS3 {
			Expect(o.Code).To(Equal("InvalidPart"), "code: %s", o)
		}
	}, SpecTimeout(time.Minute))
})

var _ = describe("Outcome by body", func(sc *Ctx) {
	It("answers every successful copy with 200 AND an ETag in the body, and stores nothing for a failed one [D02]", Label("D02"), func(ctx SpecContext) {
		bucket := sc.MustBucket(ctx, nil)
		src := sc.MustPutGen(ctx, bucket, sc.Name("src"), 21, 1<<20, nil)
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		// Several shapes of copy: whole source and ranges.
		ranges := []string{"", s3call.Range(0, 0), s3call.Range(1, 1<<19), s3call.Range(int64(len(src.Data))-1, int64(len(src.Data))-1)}
		etags := map[int]string{}
		for i, rng := range ranges {
			ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, i+1, src, rng, nil))
			Expect(ex).NotTo(BeNil(), "copy %d: %s", i+1, o)
			if ex.Status == 200 {
				Expect(o.OK).To(BeTrue(), "D02: a 200 for copy %d must carry CopyPartResult with an ETag, got %s", i+1, o)
			}
			Expect(o.OK).To(BeTrue(), "copy %d must succeed: %s", i+1, o)
			etags[i+1] = o.ETag
		}
		// A copy that must fail (its source does not exist) says so: an
		// error status, or - legal for copies that already sent their 200
		// headers (S06) - a 200 whose body is an <Error>. An empty,
		// truncated or ETag-less 200 tells the client nothing; and no part
		// is stored.
		missing := src
		missing.Key = sc.Name("missing")
		_, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 9, missing, "", nil))
		Expect(o.OK).To(BeFalse(), "a copy from a missing source must not carry an ETag: %s", o)
		Expect(o.Status >= 400 || o.Kind == s3call.KindErrorIn200).To(BeTrue(),
			"a failed copy must be answered with an error status or a 200 carrying <Error>, got %s", o)
		parts := sc.MustParts(ctx, bucket, key, id)
		Expect(PartsNumbered(parts, 9)).To(BeEmpty(), "D02: a failed copy stores no part")
		for n, etag := range etags {
			listed := PartsNumbered(parts, n)
			Expect(listed).To(HaveLen(1), "part %d", n)
			Expect(SameETag(listed[0].ETag, etag)).To(BeTrue(), "part %d: listed ETag %s, copy ETag %s", n, listed[0].ETag, etag)
		}
	}, SpecTimeout(2*time.Minute))
})
