package suites

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

// rangeSrcSize is the source of the range specs: 12 MiB, so that a window
// of 5 MiB + 1 byte lies well inside it.
const rangeSrcSize = 12 << 20

var _ = describe("Copy source range", func(sc *Ctx) {
	var (
		bucket string
		src    Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 71, rangeSrcSize, nil)
	}, NodeTimeout(2*time.Minute))

	// D07: bytes=start-end names source[start..end], both inclusive. Each
	// range becomes the only part of an upload; the part's ETag and size,
	// and the completed object, must be exactly those bytes. A server that
	// ignores the range copies the whole source; one that treats end as
	// exclusive copies one byte less (none at all for 0-0).
	DescribeTable("bytes=start-end copies source[start..end] inclusive [D07]",
		func(ctx SpecContext, start, end int64) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil)
			want := src.Data[start : end+1]
			_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, s3call.Range(start, end), nil))
			Expect(SameETag(o.ETag, MD5Quoted(want))).To(BeTrue(),
				"the part's ETag %s must be the MD5 of source[%d..%d] (%d bytes), %s", o.ETag, start, end, len(want), MD5Quoted(want))
			listed := PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)
			Expect(listed).To(HaveLen(1))
			Expect(listed[0].Size).To(Equal(int64(len(want))), "part size must be end-start+1")
			sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
			got := sc.MustGet(ctx, bucket, key, nil)
			Expect(got.Size).To(Equal(int64(len(want))))
			Expect(got.MD5).To(Equal(s3call.MD5Hex(want)), "the object must hold source[%d..%d] byte for byte", start, end)
		},
		Entry("the first byte (0-0)", Label("D07"), int64(0), int64(0), SpecTimeout(time.Minute)),
		Entry("the first 100 bytes (0-99)", Label("D07"), int64(0), int64(99), SpecTimeout(time.Minute)),
		Entry("a middle range", Label("D07"), int64(3<<20)+17, int64(7<<20)+4242, SpecTimeout(time.Minute)),
		Entry("the last byte", Label("D07"), int64(rangeSrcSize-1), int64(rangeSrcSize-1), SpecTimeout(time.Minute)),
		Entry("the whole source by range", Label("D07"), int64(0), int64(rangeSrcSize-1), SpecTimeout(time.Minute)),
		Entry("a 5 MiB + 1 byte window", Label("D07"), int64(3<<20)+5, int64(3<<20)+5+(5<<20), SpecTimeout(time.Minute)),
	)

	It("without x-amz-copy-source-range copies the whole source [D07]", Label("D07"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
		Expect(SameETag(o.ETag, MD5Quoted(src.Data))).To(BeTrue(), "the part's ETag must be the whole source's MD5")
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.Size).To(Equal(int64(rangeSrcSize)))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(src.Data)))
	}, SpecTimeout(time.Minute))

	It("ranges copied into several parts assemble byte-exact [D07]", Label("D07"), func(ctx SpecContext) {
		// Non-last parts must reach the minimum part size; the small
		// ranges go last (the window check of the table uses 5 MiB + 1).
		mp := sc.Cfg.minPart()
		Expect(mp+1).To(BeNumerically("<", rangeSrcSize-7), "the minimum part size must fit in the 12 MiB source")
		plan := [][2]int64{
			{7, 7 + mp},                           // min part + 1 byte, at an odd offset
			{0, rangeSrcSize - 1},                 // whole via range
			{rangeSrcSize - mp, rangeSrcSize - 1}, // the last min-part bytes
			{0, 0},                                // one byte, last part
		}
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		var parts []s3call.CompletedPart
		var want []byte
		for i, r := range plan {
			_, o := sc.MustCopy(ctx, Copy(bucket, key, id, i+1, src, s3call.Range(r[0], r[1]), nil))
			Expect(SameETag(o.ETag, MD5Quoted(src.Data[r[0]:r[1]+1]))).To(BeTrue(), "part %d: ETag must be the MD5 of source[%d..%d]", i+1, r[0], r[1])
			parts = append(parts, s3call.CompletedPart{PartNumber: i + 1, ETag: o.ETag})
			want = append(want, src.Data[r[0]:r[1]+1]...)
		}
		sc.MustComplete(ctx, bucket, key, id, parts, nil)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.Size).To(Equal(int64(len(want))))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(want)), "the object must be the concatenation of the ranges")
	}, SpecTimeout(2*time.Minute))
})

var _ = describe("Invalid copy source range", func(sc *Ctx) {
	const size = 1000
	var (
		bucket, key, id string
		src             Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 72, size, nil)
		key = sc.Name("dst")
		id = sc.MustUpload(ctx, bucket, key, nil)
	}, NodeTimeout(time.Minute))

	// S01: a range outside the source, reversed, or not of the form
	// bytes=first-last is rejected with 400, and no part is stored. A
	// server that clamps the range, ignores it or copies the whole source
	// answers 200 and fails here.
	DescribeTable("is rejected with 400 and stores no part [S01]",
		func(ctx SpecContext, rng string) {
			ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, src, rng, nil))
			sc.ExpectRejectedS3(ex, o, 400, "InvalidRange", "InvalidArgument")
			Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a rejected copy stores no part")
		},
		Entry("end == size (S01: end >= size)", Label("S01"), fmt.Sprintf("bytes=0-%d", size), SpecTimeout(time.Minute)),
		Entry("end far past the size (S01: end >= size)", Label("S01"), fmt.Sprintf("bytes=10-%d", 10*size), SpecTimeout(time.Minute)),
		Entry("start == size (S01: outside the source)", Label("S01"), fmt.Sprintf("bytes=%d-%d", size, size+10), SpecTimeout(time.Minute)),
		Entry("start > end (S01)", Label("S01"), "bytes=9-3", SpecTimeout(time.Minute)),
		Entry("empty spec `bytes=` (S01: malformed)", Label("S01"), "bytes=", SpecTimeout(time.Minute)),
		Entry("non-numeric `bytes=a-b` (S01: malformed)", Label("S01"), "bytes=a-b", SpecTimeout(time.Minute)),
		Entry("no `bytes=` prefix `0-9` (S01: malformed)", Label("S01"), "0-9", SpecTimeout(time.Minute)),
		Entry("suffix form `bytes=-5` (S01: malformed, first offset missing)", Label("S01"), "bytes=-5", SpecTimeout(time.Minute)),
		Entry("open end `bytes=5-` (S01: malformed, last offset missing)", Label("S01"), "bytes=5-", SpecTimeout(time.Minute)),
		Entry("multiple ranges `bytes=0-1,3-4` (S01: malformed)", Label("S01"), "bytes=0-1,3-4", SpecTimeout(time.Minute)),
	)
})
