package suites

import (
	"bytes"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
)

const (
	keepAliveSrcSize = 64 << 20 // large enough for a server to take its time
	keepAliveCopies  = 4        // copied at once, into parts 1..4
)

// leadingWSBeforeDecl reports whether body starts with whitespace followed
// by the XML declaration: not well-formed XML (the declaration must come
// first), which breaks common clients (S06).
func leadingWSBeforeDecl(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) != len(body) && bytes.HasPrefix(trimmed, []byte("<?xml"))
}

var _ = describe("Long copies", func(sc *Ctx) {
	It("are judged by the final body, with no whitespace before the XML declaration [S06]", Label("S06"), func(ctx SpecContext) {
		bucket := sc.MustBucket(ctx, nil)
		src := sc.MustPutGen(ctx, bucket, sc.Name("src"), 131, keepAliveSrcSize, nil)
		key := sc.Name("dst")
		id := sc.MustUpload(ctx, bucket, key, nil)
		ins := make([]s3call.CopyPart, keepAliveCopies)
		for i := range ins {
			ins[i] = Copy(bucket, key, id, i+1, src, "", nil)
		}
		// Several at once, so that a server that streams keep-alive
		// whitespace while it works has reason to do so.
		exs, outs := sc.copyParallel(ctx, keepAliveCopies, ins)
		for i, o := range outs {
			ex := exs[i]
			Expect(ex).NotTo(BeNil(), "part %d: no response: %s", i+1, o)
			// S06: the server may send the declaration early and pad
			// after it, never before it.
			if leadingWSBeforeDecl(ex.Body) {
				Fail(fmt.Sprintf("S06: part %d: the response body has whitespace before the XML declaration "+
					"(not well-formed XML; common clients fail to parse it): %.80q", i+1, ex.Body))
			}
			Expect(o.WhitespaceBeforeDecl).To(BeFalse(), "part %d: the outcome flags whitespace before the XML declaration", i+1)
			// D02: the verdict is the final body's - 200 alone is not success.
			Expect(o.OK).To(BeTrue(), "part %d: copy must succeed by its final body (D02): %s", i+1, o)
			Expect(SameETag(o.ETag, MD5Quoted(src.Data))).To(BeTrue(), "part %d: ETag must be the source's MD5", i+1)
		}
		parts := sc.MustParts(ctx, bucket, key, id)
		for i, o := range outs {
			listed := PartsNumbered(parts, i+1)
			Expect(listed).To(HaveLen(1), "part %d must be listed", i+1)
			Expect(listed[0].Size).To(Equal(int64(keepAliveSrcSize)))
			Expect(SameETag(listed[0].ETag, o.ETag)).To(BeTrue(), "part %d: listed ETag must be the copy's", i+1)
		}
	}, SpecTimeout(5*time.Minute))
})
