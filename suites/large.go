package suites

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// Sizes of the D22 specs. The big source is built server side from a small
// seed, so the client uploads 8 MiB however large the source.
const (
	d22MaxPart    = clause.MaxPartSize // 5 GiB = 5368709120 bytes (D22)
	largeSeedSize = 8 << 20            // uploaded once
	largeACopies  = 128                // A = 128 x seed = 1 GiB
	largeBCopies  = 5                  // B = 5 x A + 1 byte = 5 GiB + 1
	largeParallel = 8                  // copies in flight while building
)

// copyParallel sends every copy with at most n in flight and returns the
// exchanges and outcomes in the order of ins. It makes no assertion (it runs copies in
// goroutines): the caller judges each outcome, which is the one D02 rule
// (s3call.CopyPartOutcome).
func (sc *Ctx) copyParallel(ctx context.Context, n int, ins []s3call.CopyPart) ([]*s3call.Exchange, []s3call.Outcome) {
	exs := make([]*s3call.Exchange, len(ins))
	outs := make([]s3call.Outcome, len(ins))
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range ins {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			exs[i], outs[i] = sc.Main.UploadPartCopy(ctx, ins[i])
		}(i)
	}
	wg.Wait()
	return exs, outs
}

// mustCopiesOK asserts every outcome succeeded by the D02 rule and returns
// the parts to complete (part i+1 for outcome i).
func mustCopiesOK(what string, outs []s3call.Outcome) []s3call.CompletedPart {
	GinkgoHelper()
	parts := make([]s3call.CompletedPart, len(outs))
	for i, o := range outs {
		Expect(o.OK).To(BeTrue(), "%s: copy into part %d must succeed (D02: 200 with an ETag in the body): %s", what, i+1, o)
		parts[i] = s3call.CompletedPart{PartNumber: i + 1, ETag: o.ETag}
	}
	return parts
}

// mustHeadSize returns an object's Content-Length.
func (sc *Ctx) mustHeadSize(ctx context.Context, bucket, key string) int64 {
	GinkgoHelper()
	ex, err := sc.Main.HeadObject(ctx, bucket, key, "", nil)
	Expect(s3call.Check("HeadObject "+key, ex, err, 200)).To(Succeed())
	n, err := strconv.ParseInt(ex.Header.Get("Content-Length"), 10, 64)
	Expect(err).NotTo(HaveOccurred(), "HeadObject %s: Content-Length %q", key, ex.Header.Get("Content-Length"))
	return n
}

var _ = describe("5 GiB part limit", func(sc *Ctx) {
	// Checked before the Ordered container's BeforeAll runs (BeforeEach
	// of an outer container runs first), so no spec builds the big source
	// when the large specs are off, and each reports unsupported itself.

	// Ordered so the big source is built once (BeforeAll); ContinueOnFailure
	// so that one spec's failure does not skip the others (one fault per
	// spec).
	Context("with a source of 5 GiB + 1 byte built by part copies", Ordered, ContinueOnFailure, func() {
		var (
			bucket string
			seed   Object
			big    Object
		)
		BeforeAll(func(ctx SpecContext) {
			began := time.Now()
			bucket = sc.MustBucket(ctx, nil)
			seed = sc.MustPutGen(ctx, bucket, sc.Name("seed"), 221, largeSeedSize, nil)

			// A = 128 part copies of the seed: 1 GiB.
			aKey := sc.Name("a")
			aID := sc.MustUpload(ctx, bucket, aKey, nil)
			ins := make([]s3call.CopyPart, largeACopies)
			for i := range ins {
				ins[i] = Copy(bucket, aKey, aID, i+1, seed, "", nil)
			}
			_, outs := sc.copyParallel(ctx, largeParallel, ins)
			parts := mustCopiesOK("setup: building A from the seed", outs)
			sc.MustComplete(ctx, bucket, aKey, aID, parts, nil)
			a := Object{Bucket: bucket, Key: aKey}
			Expect(sc.mustHeadSize(ctx, bucket, aKey)).To(Equal(int64(largeACopies*largeSeedSize)), "setup: size of A")
			GinkgoWriter.Printf("D22 setup: A (1 GiB, %d part copies) built in %v\n", largeACopies, time.Since(began).Round(time.Millisecond))

			// B = 5 part copies of A + the seed's first byte: 5 GiB + 1.
			bKey := sc.Name("b")
			bID := sc.MustUpload(ctx, bucket, bKey, nil)
			ins = make([]s3call.CopyPart, largeBCopies+1)
			for i := 0; i < largeBCopies; i++ {
				ins[i] = Copy(bucket, bKey, bID, i+1, a, "", nil)
			}
			ins[largeBCopies] = Copy(bucket, bKey, bID, largeBCopies+1, seed, s3call.Range(0, 0), nil)
			// Part 1 first, alone: an endpoint that caches a source's digest
			// (the embedded one does) then serves the other copies of A
			// from it instead of hashing 1 GiB five times at once; on
			// others this costs one copy's time.
			_, first := sc.copyParallel(ctx, 1, ins[:1])
			_, outs = sc.copyParallel(ctx, largeParallel, ins[1:])
			parts = mustCopiesOK("setup: building B from A", append(first, outs...))
			sc.MustComplete(ctx, bucket, bKey, bID, parts, nil)
			big = Object{Bucket: bucket, Key: bKey}
			// Rely on B's size only once the endpoint says it has it.
			Expect(sc.mustHeadSize(ctx, bucket, bKey)).To(Equal(d22MaxPart+1), "setup: size of B must be 5 GiB + 1 byte")
			GinkgoWriter.Printf("D22 setup: B (5 GiB + 1 byte) built in %v in all\n", time.Since(began).Round(time.Millisecond))
		}, NodeTimeout(15*time.Minute))

		It("rejects a whole-source copy of 5 GiB + 1 byte with 400 and stores no part [D22]", Label("D22"), func(ctx SpecContext) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil)
			ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, big, "", nil))
			sc.ExpectRejected(ex, o, 400)
			Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a rejected copy stores no part")
		}, SpecTimeout(10*time.Minute))

		It("rejects a range of 5 GiB + 1 byte (bytes=0-5368709120) with 400 and stores no part [D22]", Label("D22"), func(ctx SpecContext) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil)
			ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, big, s3call.Range(0, d22MaxPart), nil))
			sc.ExpectRejected(ex, o, 400)
			Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a rejected copy stores no part")
		}, SpecTimeout(10*time.Minute))

		It("accepts a range of exactly 5 GiB (bytes=0-5368709119): ListParts shows 5368709120 bytes, and the part holds B's first 5 GiB [D22]", Label("D22"), func(ctx SpecContext) {
			key := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, key, nil) // its abort drops the 5 GiB part if the spec stops early
			_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, big, s3call.Range(0, d22MaxPart-1), nil))
			listed := PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)
			Expect(listed).To(HaveLen(1), "part 1 must be listed")
			Expect(listed[0].Size).To(Equal(d22MaxPart), "part 1 must hold exactly 5 GiB")
			Expect(SameETag(listed[0].ETag, o.ETag)).To(BeTrue(), "ListParts ETag %s must be the copy's %s", listed[0].ETag, o.ETag)
			// The part's bytes, without hashing 5 GiB on the client: B's
			// first 5 GiB are the seed 640 times, so the object completed
			// from the part must be exactly 5 GiB and start and end with the seed
			// (a shifted window or a short copy would not).
			sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
			Expect(sc.mustHeadSize(ctx, bucket, key)).To(Equal(d22MaxPart))
			for _, off := range []int64{0, d22MaxPart - largeSeedSize} {
				h := http.Header{}
				h.Set("Range", s3call.Range(off, off+largeSeedSize-1))
				got, err := sc.Main.GetObject(ctx, bucket, key, "", h, 0)
				Expect(err).NotTo(HaveOccurred(), "ranged GET at %d", off)
				Expect(got.Status).To(Equal(http.StatusPartialContent), "ranged GET at %d: status %d %s", off, got.Status, s3call.ErrorCode(got.Exchange))
				Expect(got.BodyErr).NotTo(HaveOccurred())
				Expect(got.Size).To(Equal(int64(largeSeedSize)), "ranged GET at %d: length", off)
				Expect(got.MD5).To(Equal(s3call.MD5Hex(seed.Data)), "bytes %d..%d of the part must be the seed", off, off+largeSeedSize-1)
			}
		}, SpecTimeout(10*time.Minute))
	})
}, Label("large", clause.CapabilityLabel(clause.LargeObjects)))
