package suites

import (
	"context"
	"fmt"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// The 10,000-part specs fill every part number of one upload by
// UploadPartCopy, then check the listing, the limit, an overwrite and
// Complete on that full upload.
const (
	manyParts = clause.MaxPartNumber
	// manyPartsParallel bounds the copies in flight while filling.
	manyPartsParallel = 16
	// manyPartsPage is the max-parts of the full listing: 10 pages.
	manyPartsPage = 1000
	// manyPartsCompleteBudget bounds the bytes an endpoint that really
	// copies must move for the Complete-with-10,000-parts spec: 10,000
	// parts of the minimum part size must fit (minimum part size <= ~107 KB),
	// else Complete is sent with undersized parts and must be refused (S05).
	manyPartsCompleteBudget = 1 << 30
	// manyPartsSmall is the size of each part when the parts are undersized,
	// and manyPartsSource the size of the one source they are ranges of.
	manyPartsSmall  = 64
	manyPartsSource = 8 << 10
	// manyPartsSources is how many distinct minimum-size sources the parts
	// are whole copies of when Complete must succeed (distinct ETags).
	manyPartsSources = 8
)

// entryManyPartsTook is the report entry with the fill's duration.
const entryManyPartsTook = "partcopy.many-parts-took"

// manyPartsComplete says whether this configuration can Complete an upload
// of 10,000 parts that each meet the minimum part size: the endpoint copies
// by reference (the embedded one), or 10,000 such parts fit the budget.
func (c *Config) manyPartsComplete() bool {
	return c.ZeroCopy || int64(manyParts)*c.minPart() <= manyPartsCompleteBudget
}

// manyPartsFill is what filling the upload produced.
type manyPartsFill struct {
	bucket, key, id string
	// want[n] is what part n must be: the ETag its copy returned, and the
	// size and MD5 of the bytes it copied (known locally).
	want map[int]wantPart
	// failed describes the first copy that failed ("" when all succeeded),
	// failedEx its exchange.
	failed   string
	failedEx *s3call.Exchange
	took     time.Duration
}

type wantPart struct {
	etag, md5 string
	size      int64
}

var _ = describe("10,000 parts in one upload", func(sc *Ctx) {
	complete := sc.Cfg.manyPartsComplete()

	// Ordered: the upload is filled once (BeforeAll) and every spec checks
	// one clause on it. ContinueOnFailure: one spec's failure does not
	// skip the others. BeforeAll records a failing copy instead of failing,
	// so that only the part-number spec (D23) fails for it and the others
	// are blocked by D23.
	Context("filled by 10,000 part copies with bounded parallelism", Ordered, ContinueOnFailure, func() {
		var f manyPartsFill
		var sources []Object

		BeforeAll(func(ctx SpecContext) {
			f = manyPartsFill{bucket: sc.MustBucket(ctx, nil), want: map[int]wantPart{}}
			f.key = sc.Name("many")
			f.id = sc.MustUpload(ctx, f.bucket, f.key, nil)
			ins := make([]s3call.CopyPart, manyParts)
			if complete {
				// Whole copies of a few distinct objects of exactly the
				// minimum part size: Complete can succeed, and an endpoint
				// that copies by reference moves no bytes.
				var sums []string
				for i := 0; i < manyPartsSources; i++ {
					src := sc.MustPutGen(ctx, f.bucket, sc.Name("src"), uint64(1001+i), int(sc.Cfg.minPart()), nil)
					sources = append(sources, src)
					sums = append(sums, s3call.MD5Hex(src.Data))
				}
				for n := 1; n <= manyParts; n++ {
					src := sources[n%manyPartsSources]
					ins[n-1] = Copy(f.bucket, f.key, f.id, n, src, "", nil)
					f.want[n] = wantPart{md5: sums[n%manyPartsSources], size: int64(len(src.Data))}
				}
			} else {
				// Small ranges of one source, each at its own offset, so
				// neighbouring parts differ.
				src := sc.MustPutGen(ctx, f.bucket, sc.Name("src"), 1000, manyPartsSource, nil)
				sources = append(sources, src)
				for n := 1; n <= manyParts; n++ {
					off := int64(n % (manyPartsSource - manyPartsSmall))
					ins[n-1] = Copy(f.bucket, f.key, f.id, n, src, s3call.Range(off, off+manyPartsSmall-1), nil)
					f.want[n] = wantPart{md5: s3call.MD5Hex(src.Data[off : off+manyPartsSmall]), size: manyPartsSmall}
				}
			}
			began := time.Now()
			exs, outs := sc.copyParallel(ctx, manyPartsParallel, ins)
			f.took = time.Since(began)
			GinkgoWriter.Printf("10,000 part copies (%d in flight) in %v\n", manyPartsParallel, f.took.Round(time.Millisecond))
			for i, o := range outs {
				if !o.OK {
					if f.failed == "" {
						f.failed, f.failedEx = fmt.Sprintf("the copy into part %d failed: %s", i+1, o), exs[i]
					}
					delete(f.want, i+1)
					continue
				}
				w := f.want[i+1]
				w.etag = o.ETag
				f.want[i+1] = w
			}
		}, NodeTimeout(10*time.Minute))

		// blockedUnlessFilled makes a spec of another clause blocked by D23
		// when the upload could not be filled.
		blockedUnlessFilled := func() {
			GinkgoHelper()
			if f.failed != "" {
				sc.BlockedBy("D23", "%s, so the upload does not hold 10,000 parts", f.failed)
			}
		}

		It("accepts every part number 1..10,000 by UploadPartCopy: ListParts, paginated by max-parts and part-number-marker, lists exactly 10,000 parts with each copy's ETag and size, IsTruncated and NextPartNumberMarker consistent on every page [D23]", Label("D23"), func(ctx SpecContext) {
			// The fill's duration (also this spec's durationSeconds in the
			// reports, BeforeAll included): a report entry of its own, not
			// an observation, so expectations do not change with the speed.
			AddReportEntry(entryManyPartsTook, fmt.Sprintf("10,000 part copies, %d in flight, took %v", manyPartsParallel, f.took.Round(time.Millisecond)), ReportEntryVisibilityAlways)
			if f.failedEx != nil {
				sc.Observed(f.failedEx)
			}
			Expect(f.failed).To(BeEmpty(), "every part number 1..10000 must be accepted")
			sc.expectManyParts(ctx, f, manyPartsPage)
			// A page that starts mid-way, of an odd size.
			page, _, err := sc.Main.ListPartsPage(ctx, f.bucket, f.key, f.id, 7, "4321")
			Expect(err).NotTo(HaveOccurred(), "ListParts max-parts=7 part-number-marker=4321")
			Expect(partNumbers(page.Parts)).To(Equal([]int{4322, 4323, 4324, 4325, 4326, 4327, 4328}), "max-parts=7 after marker 4321")
			Expect(page.IsTruncated).To(BeTrue(), "parts follow 4328: IsTruncated must be true")
			Expect(page.NextPartNumberMarker).To(Equal("4328"), "NextPartNumberMarker must be the page's last part")
			// The last page.
			page, _, err = sc.Main.ListPartsPage(ctx, f.bucket, f.key, f.id, manyPartsPage, "9999")
			Expect(err).NotTo(HaveOccurred(), "ListParts part-number-marker=9999")
			Expect(partNumbers(page.Parts)).To(Equal([]int{10000}), "after marker 9999 only part 10000 remains")
			Expect(page.IsTruncated).To(BeFalse(), "nothing follows part 10000: IsTruncated must be false")
		}, SpecTimeout(12*time.Minute)) // the first spec's time includes BeforeAll's

		It("refuses a copy into part 10,001 of the full upload with 400, and still lists exactly 10,000 parts [D23]", Label("D23"), func(ctx SpecContext) {
			Expect(f.failed).To(BeEmpty(), "every part number 1..10000 must be accepted")
			in := Copy(f.bucket, f.key, f.id, 1, sources[0], "", nil)
			in.PartNumber = strconv.Itoa(manyParts + 1)
			ex, o := sc.Main.UploadPartCopy(ctx, in)
			sc.ExpectRejectedS3(ex, o, 400, "InvalidArgument")
			parts := sc.mustPartsByNumber(ctx, f)
			Expect(parts).To(HaveLen(manyParts), "a refused copy adds no part")
			Expect(parts).NotTo(HaveKey(manyParts+1), "no part 10001 may be listed")
		}, SpecTimeout(5*time.Minute))

		It("overwrites an existing part of the full upload with a second copy into its number: no part added, part 5000 with the new ETag and size [D03]", Label("D03"), func(ctx SpecContext) {
			blockedUnlessFilled()
			const n = 5000
			var in s3call.CopyPart
			var w wantPart
			if complete {
				src := sources[(n+1)%len(sources)] // not the source part 5000 came from
				in = Copy(f.bucket, f.key, f.id, n, src, "", nil)
				w = wantPart{md5: s3call.MD5Hex(src.Data), size: int64(len(src.Data))}
			} else {
				src := sources[0]
				in = Copy(f.bucket, f.key, f.id, n, src, s3call.Range(0, 2*manyPartsSmall-1), nil)
				w = wantPart{md5: s3call.MD5Hex(src.Data[:2*manyPartsSmall]), size: 2 * manyPartsSmall}
			}
			// Counted before and after: an endpoint that took part 10,001
			// (D23) holds 10,001 parts, which is not this clause's business.
			before := len(sc.mustPartsByNumber(ctx, f))
			_, o := sc.MustCopy(ctx, in)
			w.etag = o.ETag
			f.want[n] = w
			parts := sc.mustPartsByNumber(ctx, f)
			Expect(parts).To(HaveLen(before), "an overwrite adds no part (%d listed before it)", before)
			Expect(parts).To(HaveKey(n), "part %d must be listed", n)
			Expect(SameETag(parts[n].ETag, o.ETag)).To(BeTrue(), "part %d must have the new copy's ETag", n)
			Expect(parts[n].Size).To(Equal(w.size), "part %d must have the new copy's size", n)
		}, SpecTimeout(5*time.Minute))

		completed := func() []s3call.CompletedPart {
			parts := make([]s3call.CompletedPart, 0, manyParts)
			for n := 1; n <= manyParts; n++ {
				parts = append(parts, s3call.CompletedPart{PartNumber: n, ETag: f.want[n].etag})
			}
			return parts
		}
		if complete {
			It("completes the upload with all 10,000 parts: the object's size is their sum and its ETag md5(part MD5s)-10000 [S08]", Label("S08"), func(ctx SpecContext) {
				blockedUnlessFilled()
				var size int64
				etags := make([]string, 0, manyParts)
				for n := 1; n <= manyParts; n++ {
					size += f.want[n].size
					etags = append(etags, f.want[n].md5)
				}
				wantETag, err := s3call.MultipartETag(etags)
				Expect(err).NotTo(HaveOccurred())
				_, o := sc.Main.CompleteMultipartUpload(ctx, f.bucket, f.key, f.id, completed(), nil)
				Expect(o.Status).To(Equal(200), "CompleteMultipartUpload of 10,000 parts: %s", o)
				// The object by itself (HEAD), then what Complete said.
				ex, err := sc.Main.HeadObject(ctx, f.bucket, f.key, "", nil)
				Expect(s3call.Check("HeadObject", ex, err, 200)).To(Succeed())
				Expect(ex.Header.Get("Content-Length")).To(Equal(strconv.FormatInt(size, 10)), "the object's size must be the sum of the 10,000 parts")
				Expect(SameETag(ex.Header.Get("ETag"), wantETag)).To(BeTrue(), "the object's ETag %s must be %s", ex.Header.Get("ETag"), wantETag)
				Expect(o.OK).To(BeTrue(), "CompleteMultipartUpload must answer with the object's ETag in its body: %s", o)
				Expect(SameETag(o.ETag, wantETag)).To(BeTrue(), "Complete's ETag %s must be %s", o.ETag, wantETag)
			}, SpecTimeout(5*time.Minute))
		} else {
			It(fmt.Sprintf("refuses to complete the upload from 10,000 parts of %d bytes (under the minimum part size) with 400 EntityTooSmall [S05]", manyPartsSmall), Label("S05"), func(ctx SpecContext) {
				blockedUnlessFilled()
				ex, o := sc.Main.CompleteMultipartUpload(ctx, f.bucket, f.key, f.id, completed(), nil)
				sc.Observed(ex)
				Expect(o.OK).To(BeFalse(), "Complete with undersized parts must fail: %s", o)
				Expect(o.Status).To(Equal(400), "status: %s", o)
				Expect(o.Code).To(Equal("EntityTooSmall"), "error code: %s", o)
				ex, err := sc.Main.HeadObject(ctx, f.bucket, f.key, "", nil)
				Expect(err).NotTo(HaveOccurred())
				Expect(ex.Status).To(Equal(404), "a refused Complete creates no object")
			}, SpecTimeout(5*time.Minute))
		}
	})
}, Label("large", clause.CapabilityLabel(clause.ManyParts)))

// mustPartsByNumber lists the full upload by part number. It pages by the
// last part number each page holds, not by NextPartNumberMarker, and keeps
// one entry per number: specs of other clauses than the listing's (D23)
// must not depend on the endpoint's pagination fields. A number listed
// twice fails (the listing shows two parts N).
func (sc *Ctx) mustPartsByNumber(ctx context.Context, f manyPartsFill) map[int]s3call.Part {
	GinkgoHelper()
	out := map[int]s3call.Part{}
	marker := ""
	for p := 0; p <= manyParts/manyPartsPage+1; p++ {
		res, _, err := sc.Main.ListPartsPage(ctx, f.bucket, f.key, f.id, manyPartsPage, marker)
		Expect(err).NotTo(HaveOccurred(), "ListParts (marker %q)", marker)
		if len(res.Parts) == 0 {
			return out
		}
		for _, part := range res.Parts {
			_, dup := out[part.PartNumber]
			Expect(dup).To(BeFalse(), "part %d is listed twice", part.PartNumber)
			out[part.PartNumber] = part
		}
		marker = strconv.Itoa(res.Parts[len(res.Parts)-1].PartNumber)
	}
	return out
}

// partNumbers lists the parts' numbers in order.
func partNumbers(parts []s3call.Part) []int {
	out := make([]int, len(parts))
	for i, p := range parts {
		out[i] = p.PartNumber
	}
	return out
}

// expectManyParts lists the upload page by page (max-parts = page) and
// checks every page's pagination fields and every part against f.want.
func (sc *Ctx) expectManyParts(ctx context.Context, f manyPartsFill, page int) {
	GinkgoHelper()
	seen := 0
	marker := ""
	for p := 1; ; p++ {
		Expect(p).To(BeNumerically("<=", manyParts/page+1), "ListParts: too many pages")
		res, _, err := sc.Main.ListPartsPage(ctx, f.bucket, f.key, f.id, page, marker)
		Expect(err).NotTo(HaveOccurred(), "ListParts page %d (marker %q)", p, marker)
		first := seen + 1
		Expect(len(res.Parts)).To(Equal(min(page, manyParts-seen)), "page %d must hold %d parts", p, min(page, manyParts-seen))
		for i, part := range res.Parts {
			n := first + i
			Expect(part.PartNumber).To(Equal(n), "page %d, entry %d", p, i+1)
			w := f.want[n]
			Expect(SameETag(part.ETag, w.etag)).To(BeTrue(), "part %d is listed with ETag %s, its copy returned %s", n, part.ETag, w.etag)
			Expect(part.Size).To(Equal(w.size), "part %d's size", n)
		}
		seen += len(res.Parts)
		if seen < manyParts {
			Expect(res.IsTruncated).To(BeTrue(), "page %d ends at part %d of 10,000: IsTruncated must be true", p, seen)
			Expect(res.NextPartNumberMarker).To(Equal(strconv.Itoa(seen)), "page %d: NextPartNumberMarker must be its last part", p)
			marker = res.NextPartNumberMarker
			continue
		}
		Expect(res.IsTruncated).To(BeFalse(), "the page with part 10,000 is the last: IsTruncated must be false")
		break
	}
	Expect(seen).To(Equal(manyParts), "ListParts must list exactly 10,000 parts")
}
