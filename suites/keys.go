package suites

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// s04LongKey is a key of exactly 1024 bytes, S3's maximum, in segments of
// about 200 bytes: file-system backends limit a path segment to 255
// bytes, which is not what S04 is about.
var s04LongKey = func() string {
	k := "long-" + strings.Repeat(strings.Repeat("k", 199)+"/", 5)
	return k + strings.Repeat("k", 1024-len(k))
}()

var _ = describe("Special source keys", func(sc *Ctx) {
	// S04: the key in x-amz-copy-source is percent-encoded (s3call
	// .CopySource); the endpoint must decode it exactly once and copy that
	// object. Beside each key the bucket holds the objects a wrong decoding
	// would name instead ("decoys": '+' read as a space, a double decode, a
	// query or fragment cut off, collapsed slashes, Latin-1 mojibake,
	// truncation), each with different bytes. A server that copies another
	// object gives another ETag; one that finds nothing fails the copy.
	DescribeTable("a source key with special characters is copied exactly [S04]",
		func(ctx SpecContext, key string, decoys []string) {
			bucket := sc.MustBucket(ctx, nil)
			var stored []Object
			for i, d := range decoys {
				// A decoy the endpoint cannot store (a file-system backend
				// refuses "日本/語" beside the object "日本") is left out: it
				// is not the key under test.
				data := s3call.GenBytes(uint64(200+i), 1000+i)
				ex, err := sc.Main.PutObject(ctx, bucket, d, bytes.NewReader(data), int64(len(data)), nil)
				Expect(err).NotTo(HaveOccurred())
				if ex.Status != 200 {
					GinkgoWriter.Printf("decoy %q not stored: %d %s\n", d, ex.Status, s3call.ErrorCode(ex))
					continue
				}
				stored = append(stored, Object{Bucket: bucket, Key: d, Data: data})
			}
			data := s3call.GenBytes(111, 4321)
			ex, err := sc.Main.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), nil)
			Expect(err).NotTo(HaveOccurred())
			if ex.Status >= 400 && ex.Status < 500 {
				// The endpoint will not store the key at all (MinIO refuses
				// "a//b"; moto's signature check refuses some keys): there
				// is no object whose copy S04 could check.
				e, _ := s3call.ParseError(ex.Body)
				Unsupported(clause.KeyNames, "the endpoint cannot store the key %q: PutObject answered %d %s %q", key, ex.Status, e.Code, e.Message)
			}
			Expect(s3call.Check("PutObject "+key, ex, nil, 200)).To(Succeed())
			src := Object{Bucket: bucket, Key: key, ETag: ex.Header.Get("ETag"), Data: data}
			// The key must name an object of its own: a server that folds
			// it onto a decoy ("a//b" onto "a/b") has overwritten the decoy,
			// and one that stores it under another name has no object by
			// this key. Then S04 (how the copy source is decoded) cannot be
			// checked with this key: unsupported, not failed.
			for _, d := range stored {
				ex, err := sc.Main.HeadObject(ctx, bucket, d.Key, "", nil)
				Expect(err).NotTo(HaveOccurred(), "HeadObject %q", d.Key)
				if ex.Status != 200 || !SameETag(ex.Header.Get("ETag"), MD5Quoted(d.Data)) {
					Unsupported(clause.KeyNames, "the endpoint cannot hold %q as an object of its own: after storing it, HEAD %q answers %d with ETag %s (it held %s)",
						key, d.Key, ex.Status, ex.Header.Get("ETag"), MD5Quoted(d.Data))
				}
			}
			if hd, err := sc.Main.HeadObject(ctx, bucket, key, "", nil); err == nil && hd.Status == 404 {
				Unsupported(clause.KeyNames, "the endpoint stored %q under another name: PutObject answered 200, HEAD of the key answers 404", key)
			}
			dst := sc.Name("dst")
			id := sc.MustUpload(ctx, bucket, dst, nil)
			_, o := sc.MustCopy(ctx, Copy(bucket, dst, id, 1, src, "", nil))
			Expect(SameETag(o.ETag, MD5Quoted(src.Data))).To(BeTrue(),
				"the part's ETag %s must be the MD5 of %q's bytes %s: another object was copied", o.ETag, key, MD5Quoted(src.Data))
			listed := PartsNumbered(sc.MustParts(ctx, bucket, dst, id), 1)
			Expect(listed).To(HaveLen(1))
			Expect(listed[0].Size).To(Equal(int64(len(src.Data))))
		},
		Entry("a space", Label("S04"), "with space", []string{"with+space", "with"}, SpecTimeout(time.Minute)),
		Entry("a plus", Label("S04"), "plus+sign", []string{"plus sign", "plus"}, SpecTimeout(time.Minute)),
		Entry("a percent sign before hex digits", Label("S04"), "pct%41", []string{"pctA", "pct"}, SpecTimeout(time.Minute)),
		Entry("a lone percent sign", Label("S04"), "100%", []string{"100"}, SpecTimeout(time.Minute)),
		Entry("a question mark", Label("S04"), "what?x=1", []string{"what"}, SpecTimeout(time.Minute)),
		Entry("a hash", Label("S04"), "hash#tag", []string{"hash"}, SpecTimeout(time.Minute)),
		Entry("an ampersand and equals", Label("S04"), "amp&versionId=x", []string{"amp"}, SpecTimeout(time.Minute)),
		Entry("an equals sign", Label("S04"), "k=v", []string{"k"}, SpecTimeout(time.Minute)),
		Entry("other sub-delimiters", Label("S04"), "sub!$'()*,;:@", []string{"sub"}, SpecTimeout(time.Minute)),
		Entry("a Latin letter with accent (é)", Label("S04"), "café", []string{"cafe", "cafÃ©"}, SpecTimeout(time.Minute)),
		Entry("CJK characters (日本)", Label("S04"), "日本/語", []string{"日本語"}, SpecTimeout(time.Minute)),
		Entry("a double slash (a//b)", Label("S04"), "a//b", []string{"a/b"}, SpecTimeout(time.Minute)),
		Entry("a leading slash", Label("S04"), "/leading", []string{"leading"}, SpecTimeout(time.Minute)),
		Entry("1024 bytes (the longest key)", Label("S04"), s04LongKey, []string{s04LongKey[:1023], s04LongKey[:1000]}, SpecTimeout(time.Minute)),
	)
}, Label(clause.CapabilityLabel(clause.KeyNames)))
