package suites

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

// srcState is everything D04 says a copy must not change about its source:
// the bytes (MD5 via GET), the ETag, the user metadata and the stored
// headers, the length and LastModified (HEAD).
type srcState struct {
	MD5           string
	Size          int64
	ETag          string
	ContentType   string
	CacheControl  string
	ContentLength string
	LastModified  string
	Meta          map[string]string
}

// mustSrcState reads obj's state with HEAD and a streamed GET.
func (sc *Ctx) mustSrcState(ctx context.Context, bucket, key string) srcState {
	GinkgoHelper()
	ex, err := sc.Main.HeadObject(ctx, bucket, key, "", nil)
	Expect(s3call.Check("HeadObject "+key, ex, err, 200)).To(Succeed())
	st := srcState{
		ETag:          ex.Header.Get("ETag"),
		ContentType:   ex.Header.Get("Content-Type"),
		CacheControl:  ex.Header.Get("Cache-Control"),
		ContentLength: ex.Header.Get("Content-Length"),
		LastModified:  ex.Header.Get("Last-Modified"),
		Meta:          map[string]string{},
	}
	for k, vs := range ex.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-meta-") {
			st.Meta[lk] = strings.Join(vs, ",")
		}
	}
	got := sc.MustGet(ctx, bucket, key, nil)
	st.MD5, st.Size = got.MD5, got.Size
	return st
}

// expectSameSource compares a source's state after copies with before,
// field by field so the failure names what changed (D04).
func expectSameSource(when string, before, after srcState) {
	GinkgoHelper()
	Expect(after.MD5).To(Equal(before.MD5), "D04: source bytes changed %s", when)
	Expect(after.Size).To(Equal(before.Size), "D04: source size changed %s", when)
	Expect(after.ETag).To(Equal(before.ETag), "D04: source ETag changed %s", when)
	Expect(after.ContentLength).To(Equal(before.ContentLength), "D04: source Content-Length changed %s", when)
	Expect(after.ContentType).To(Equal(before.ContentType), "D04: source Content-Type changed %s", when)
	Expect(after.CacheControl).To(Equal(before.CacheControl), "D04: source Cache-Control changed %s", when)
	Expect(after.LastModified).To(Equal(before.LastModified), "D04: source LastModified changed %s", when)
	Expect(after.Meta).To(Equal(before.Meta), "D04: source user metadata changed %s", when)
}

// pauseCtx waits d or until ctx ends.
func pauseCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sortedMetaKeys lists a map's keys in order (stable failure messages).
func sortedMetaKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = describe("Source unchanged", func(sc *Ctx) {
	var (
		bucket string
		src    Object
		before srcState
	)
	meta := map[string]string{
		"x-amz-meta-owner":   "partcopy",
		"x-amz-meta-purpose": "d04 source unchanged",
	}
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		h := http.Header{}
		for _, k := range sortedMetaKeys(meta) {
			h.Set(k, meta[k])
		}
		h.Set("Content-Type", "application/x-partcopy-d04")
		h.Set("Cache-Control", "max-age=1234, private")
		// A non-last part must be at least the minimum part size, so the
		// source is large enough to be copied whole and by a range of
		// exactly that size into non-last parts.
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 41, int(sc.Cfg.minPart())+(512<<10), h)
		before = sc.mustSrcState(ctx, bucket, src.Key)
		// The state read back is what was put: otherwise "unchanged" could
		// not be told from "never stored".
		Expect(before.MD5).To(Equal(s3call.MD5Hex(src.Data)), "setup: the source's bytes as read back")
		Expect(before.Meta).To(Equal(meta), "setup: the source's user metadata as read back")
		Expect(before.ContentType).To(Equal("application/x-partcopy-d04"), "setup: the source's Content-Type")
		Expect(before.CacheControl).To(Equal("max-age=1234, private"), "setup: the source's Cache-Control")
		Expect(before.LastModified).NotTo(BeEmpty(), "setup: the source's Last-Modified")
		// LastModified has a resolution of one second: let a second pass so
		// that a server which touches the source on copy shows a new time.
		Expect(pauseCtx(ctx, 1100*time.Millisecond)).To(Succeed())
	}, NodeTimeout(time.Minute))

	// copies sends whole and ranged copies of src into parts 1..4 of
	// upload (bucket, key, id) and returns the parts to complete, in order,
	// with the bytes the object must then hold.
	copies := func(ctx context.Context, key, id string) ([]s3call.CompletedPart, []byte) {
		GinkgoHelper()
		mp := sc.Cfg.minPart()
		n := int64(len(src.Data))
		plan := []struct {
			rng        string
			start, end int64
		}{
			{"", 0, n - 1},                           // whole source
			{s3call.Range(0, mp-1), 0, mp - 1},       // first min-part bytes
			{s3call.Range(n-mp, n-1), n - mp, n - 1}, // last min-part bytes
			{s3call.Range(100, 4195), 100, 4195},     // a small last part
		}
		var parts []s3call.CompletedPart
		var want []byte
		for i, p := range plan {
			_, o := sc.MustCopy(ctx, Copy(bucket, key, id, i+1, src, p.rng, nil))
			parts = append(parts, s3call.CompletedPart{PartNumber: i + 1, ETag: o.ETag})
			want = append(want, src.Data[p.start:p.end+1]...)
		}
		return parts, want
	}

	It("copies whole and by range leave the source's bytes, ETag, metadata, headers and LastModified unchanged, before and after Complete [D04]", Label("D04"), func(ctx SpecContext) {
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		parts, want := copies(ctx, key, id)
		expectSameSource("after the copies", before, sc.mustSrcState(ctx, bucket, src.Key))
		sc.MustComplete(ctx, bucket, key, id, parts, nil)
		expectSameSource("after CompleteMultipartUpload", before, sc.mustSrcState(ctx, bucket, src.Key))
		// The copies did copy: the new object holds the source's bytes.
		Expect(sc.MustGet(ctx, bucket, key, nil).MD5).To(Equal(s3call.MD5Hex(want)), "the completed object must hold the copied ranges")
	}, SpecTimeout(2*time.Minute))

	It("copies into an upload over the source's own key leave the source unchanged until Complete [D04]", Label("D04"), func(ctx SpecContext) {
		// The upload completes over the source: that changes the object by
		// design, so D04 is checked after the copies and before Complete.
		id := sc.MustUpload(ctx, bucket, src.Key, nil)
		parts, want := copies(ctx, src.Key, id)
		expectSameSource("by copies into an upload of the same key", before, sc.mustSrcState(ctx, bucket, src.Key))
		sc.MustComplete(ctx, bucket, src.Key, id, parts, nil)
		// The parts were cut from the source as it was: the completed
		// object is exactly their concatenation.
		got := sc.MustGet(ctx, bucket, src.Key, nil)
		Expect(got.Size).To(Equal(int64(len(want))))
		Expect(got.MD5).To(Equal(s3call.MD5Hex(want)), "the completed object must hold the original source's ranges")
	}, SpecTimeout(2*time.Minute))
})
