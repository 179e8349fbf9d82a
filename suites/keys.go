package suites

import (
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive
	. "github.com/onsi/gomega"    //nolint:revive
)

// s04LongKey is a key of exactly 1024 bytes, S3's maximum.
var s04LongKey = "long-" + strings.Repeat("k", 1024-len("long-"))

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
			for i, d := range decoys {
				sc.MustPutGen(ctx, bucket, d, uint64(200+i), 1000+i, nil)
			}
			src := sc.MustPutGen(ctx, bucket, key, 111, 4321, nil)
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
		Entry("CJK characters (日本)", Label("S04"), "日本/語", []string{"日本"}, SpecTimeout(time.Minute)),
		Entry("a double slash (a//b)", Label("S04"), "a//b", []string{"a/b"}, SpecTimeout(time.Minute)),
		Entry("a leading slash", Label("S04"), "/leading", []string{"leading"}, SpecTimeout(time.Minute)),
		Entry("1024 bytes (the longest key)", Label("S04"), s04LongKey, []string{s04LongKey[:1023], s04LongKey[:1000]}, SpecTimeout(time.Minute)),
	)
})
