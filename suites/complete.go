package suites

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

var _ = describe("Completing copied parts", func(sc *Ctx) {
	var (
		bucket, key, id string
		src             Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 121, int(sc.Cfg.minPart())+(256<<10), nil)
		key = sc.Name("dst")
		id = sc.MustUpload(ctx, bucket, key, nil)
	}, NodeTimeout(time.Minute))

	It("rejects Complete with 400 EntityTooSmall when a non-last part is one byte under the minimum part size [S05]", Label("S05"), func(ctx SpecContext) {
		mp := sc.Cfg.minPart()
		_, o1 := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, s3call.Range(0, mp-2), nil))
		_, o2 := sc.MustCopy(ctx, Copy(bucket, key, id, 2, src, s3call.Range(0, 99), nil))
		ex, o := sc.Main.CompleteMultipartUpload(ctx, bucket, key, id,
			[]s3call.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}}, nil)
		sc.ExpectRejected(ex, o, 400, "EntityTooSmall")
		// Nothing was created.
		hx, err := sc.Main.HeadObject(ctx, bucket, key, "", nil)
		Expect(err).NotTo(HaveOccurred())
		Expect(hx.Status).To(Equal(404), "a rejected Complete creates no object")
	}, SpecTimeout(time.Minute))

	It("accepts Complete when the non-last part is exactly the minimum part size [S05]", Label("S05"), func(ctx SpecContext) {
		mp := sc.Cfg.minPart()
		_, o1 := sc.MustCopy(ctx, Copy(bucket, key, id, 1, src, s3call.Range(0, mp-1), nil))
		_, o2 := sc.MustCopy(ctx, Copy(bucket, key, id, 2, src, s3call.Range(0, 99), nil))
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o1.ETag}, {PartNumber: 2, ETag: o2.ETag}}, nil)
		want := append(append([]byte{}, src.Data[:mp]...), src.Data[:100]...)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.Size).To(Equal(int64(len(want))))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(want)))
	}, SpecTimeout(time.Minute))

	It("an object of three copied parts is byte-exact and its ETag is md5(concat(part md5s))-3 [S08]", Label("S08"), func(ctx SpecContext) {
		mp := sc.Cfg.minPart()
		// Three sources, three shapes: a range at an odd offset, a whole
		// source, a small range as the last part.
		other := sc.MustPutGen(ctx, bucket, sc.Name("other"), 122, int(mp)+(128<<10)+3, nil)
		third := sc.MustPutGen(ctx, bucket, sc.Name("third"), 123, 70000, nil)
		plan := []struct {
			src        Object
			rng        string
			start, end int64
		}{
			{src, s3call.Range(13, 13+mp+500), 13, 13 + mp + 500},
			{other, "", 0, int64(len(other.Data)) - 1},
			{third, s3call.Range(1000, 65535), 1000, 65535},
		}
		var parts []s3call.CompletedPart
		var etags []string
		var want []byte
		for i, p := range plan {
			bytes := p.src.Data[p.start : p.end+1]
			_, o := sc.MustCopy(ctx, Copy(bucket, key, id, i+1, p.src, p.rng, nil))
			Expect(SameETag(o.ETag, MD5Quoted(bytes))).To(BeTrue(), "part %d: ETag must be the MD5 of its source range", i+1)
			parts = append(parts, s3call.CompletedPart{PartNumber: i + 1, ETag: o.ETag})
			etags = append(etags, o.ETag)
			want = append(want, bytes...)
		}
		wantETag, err := s3call.MultipartETag(etags)
		Expect(err).NotTo(HaveOccurred())
		o := sc.MustComplete(ctx, bucket, key, id, parts, nil)
		if o.Root != s3call.RootCompleteResult {
			// Not S08's business (bytes and ETag), but worth showing.
			sc.Note("Complete answered <" + o.Root + ">, S3 documents <" + s3call.RootCompleteResult + ">")
		}
		Expect(SameETag(o.ETag, wantETag)).To(BeTrue(), "Complete's ETag %s must be %s", o.ETag, wantETag)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.Size).To(Equal(int64(len(want))))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(want)), "the object must be the concatenation of the parts' source ranges")
		Expect(SameETag(got.Header.Get("ETag"), wantETag)).To(BeTrue(), "GET's ETag %s must be %s", got.Header.Get("ETag"), wantETag)
	}, SpecTimeout(2*time.Minute))
})
