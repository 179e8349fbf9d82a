package suites

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

var _ = describe("Part numbers", func(sc *Ctx) {
	var (
		bucket, key, id string
		small           Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		small = sc.MustPutGen(ctx, bucket, sc.Name("small"), 81, 64<<10, nil)
		key = sc.Name("dst")
		id = sc.MustUpload(ctx, bucket, key, nil)
	}, NodeTimeout(time.Minute))

	It("accepts part numbers 1 and 10000: both listed, and Complete of [1, 10000] assembles them [D23]", Label("D23"), func(ctx SpecContext) {
		// Part 1 is not the last part, so it must reach the minimum part
		// size (S05) for Complete to succeed.
		first := sc.MustPutGen(ctx, bucket, sc.Name("first"), 82, int(sc.Cfg.minPart()), nil)
		_, o1 := sc.MustCopy(ctx, Copy(bucket, key, id, 1, first, "", nil))
		_, oMax := sc.MustCopy(ctx, Copy(bucket, key, id, 10000, small, "", nil))
		parts := sc.MustParts(ctx, bucket, key, id)
		Expect(PartsNumbered(parts, 1)).To(HaveLen(1), "part 1 must be listed")
		Expect(PartsNumbered(parts, 10000)).To(HaveLen(1), "part 10000 must be listed")
		Expect(PartsNumbered(parts, 10000)[0].Size).To(Equal(int64(len(small.Data))))
		Expect(SameETag(PartsNumbered(parts, 10000)[0].ETag, oMax.ETag)).To(BeTrue(), "part 10000's listed ETag must be the copy's")
		Expect(parts).To(HaveLen(2), "only parts 1 and 10000 exist")
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 10000, ETag: oMax.ETag}}, nil)
		want := append(append([]byte{}, first.Data...), small.Data...)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.Size).To(Equal(int64(len(want))))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(want)), "the object must be part 1 then part 10000")
	}, SpecTimeout(2*time.Minute))

	// D23: a part number outside 1..10,000 - or not an integer at all
	// (D08) - is 400, and no part is stored. The value is sent raw in the
	// query (a space is percent-encoded so that it reaches the server as
	// one). A server that parses leniently (atoi of " 1", "1e3";
	// wrap-around of a huge number) or that accepts any number answers 200
	// and fails here.
	DescribeTable("rejects a part number outside 1..10000, or not an integer, with 400 and stores no part",
		func(ctx SpecContext, raw string) {
			in := Copy(bucket, key, id, 1, small, "", nil)
			in.PartNumber = raw
			ex, o := sc.Main.UploadPartCopy(ctx, in)
			sc.ExpectRejectedS3(ex, o, 400, "InvalidArgument")
			Expect(sc.MustParts(ctx, bucket, key, id)).To(BeEmpty(), "a rejected copy stores no part")
		},
		Entry("0", Label("D23"), "0", SpecTimeout(time.Minute)),
		Entry("-1", Label("D23"), "-1", SpecTimeout(time.Minute)),
		Entry("10001", Label("D23"), "10001", SpecTimeout(time.Minute)),
		Entry("abc", Label("D23"), "abc", SpecTimeout(time.Minute)),
		Entry("empty", Label("D23"), "", SpecTimeout(time.Minute)),
		// Not integers at all: D08 ("partNumber (integer)"). A leading plus
		// is left out: "+1" is an integer in most parsers' syntax.
		Entry("1e3", Label("D08"), "1e3", SpecTimeout(time.Minute)),
		Entry("a leading space (' 1')", Label("D08"), "%201", SpecTimeout(time.Minute)),
		Entry("a number beyond 64 bits (99999999999999999999)", Label("D23"), "99999999999999999999", SpecTimeout(time.Minute)),
	)
})
