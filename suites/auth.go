package suites

import (
	"context"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// authCodes are the codes D15 accepts under both profiles: the document
// names AccessDenied, S3 uses the other two.
var authCodes = []string{"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}

// sigV2Client returns Main signing with SigV2, or makes the spec
// unsupported when a correctly signed SigV2 request (ListBuckets, which the
// same credentials pass with SigV4) is refused: 501/NotImplemented, or any
// 400/403 (AWS: "Please use AWS4-HMAC-SHA256"; versitygw: "requires a valid
// Date or x-amz-date header"). Then no SigV2 spec can tell a good signature
// from a bad one, and passing the negative ones would be false.
func (sc *Ctx) sigV2Client(ctx context.Context) *s3call.Client {
	GinkgoHelper()
	c := sc.Main.WithSignature(s3call.SigV2)
	ex, err := c.ListBuckets(ctx)
	Expect(err).NotTo(HaveOccurred(), "ListBuckets signed with SigV2")
	if ex.Status == http.StatusOK {
		return c
	}
	e, _ := s3call.ParseError(ex.Body)
	if refusedUnimplemented(ex) || ex.Status == http.StatusBadRequest || ex.Status == http.StatusForbidden {
		Unsupported(clause.SigV2, "endpoint refuses SigV2: a correctly signed ListBuckets answered %d %s %q", ex.Status, e.Code, e.Message)
	}
	// Not a refusal (a 5xx, say): let the spec's own request show the failure.
	return c
}

// freshClient is a client for creds signing with sig. WithCredentials
// gives each principal its own SigV4 signer, so Main's key id with a wrong
// secret is really signed with the wrong secret (the signer caches derived
// keys by access key id).
func (sc *Ctx) freshClient(creds s3call.Credentials, sig string) *s3call.Client {
	return sc.Main.WithCredentials(creds).WithSignature(sig)
}

var _ = describe("Authentication", func(sc *Ctx) {
	var (
		bucket, key, id string
		src             Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		src = sc.MustPutGen(ctx, bucket, sc.Name("src"), 61, 64<<10, nil)
		key = sc.Name("dst")
	})

	Context("temporary credentials [D12]", Label(clause.CapabilityLabel(clause.TempCredentials)), func() {
		// On real servers the temporary credentials are an STS session of
		// the main user: they work on Main's buckets without any grant.
		BeforeEach(func(ctx SpecContext) {
			id = sc.MustUploadAs(ctx, sc.Temp, bucket, key, nil)
		})

		It("with the session token, a copy into the temp principal's own upload succeeds [D12]", Label("D12"), func(ctx SpecContext) {
			ex, o := sc.MustCopyAs(ctx, sc.Temp, Copy(bucket, key, id, 1, src, "", nil))
			Expect(ex.RequestHeader.Get(s3call.HdrSecurityToken) != "").To(BeTrue(), "the request must have carried x-amz-security-token")
			// The temporary principal initiated the upload: it lists it.
			parts := PartsNumbered(sc.MustPartsAs(ctx, sc.Temp, bucket, key, id), 1)
			Expect(parts).To(HaveLen(1), "part 1 must be listed")
			Expect(SameETag(parts[0].ETag, o.ETag)).To(BeTrue())
		}, SpecTimeout(time.Minute))

		It("the same temporary key and secret without the token are refused with 403 [D12]", Label("D12"), func(ctx SpecContext) {
			noToken := sc.Main.WithCredentials(s3call.Credentials{AccessKey: sc.Cfg.Temp.AccessKey, SecretKey: sc.Cfg.Temp.SecretKey})
			ex, o := noToken.UploadPartCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
			Expect(ex).NotTo(BeNil(), "no response: %s", o)
			Expect(len(ex.RequestHeader.Values(s3call.HdrSecurityToken))).To(BeZero(), "the request must carry no token")
			sc.ExpectRejected(ex, o, http.StatusForbidden) // any code; recorded
			sc.ExpectNoPart(ctx, sc.Temp, bucket, key, id, 1)
		}, SpecTimeout(time.Minute))
	})

	Context("invalid access key or signature [D15]", func() {
		BeforeEach(func(ctx SpecContext) {
			id = sc.MustUpload(ctx, bucket, key, nil)
		})

		// unknownKey is an access key id the endpoint cannot know, with a
		// well-formed secret; badSecret is Main's key id with a wrong secret.
		unknownKey := func() s3call.Credentials {
			return s3call.Credentials{AccessKey: "PCNOSUCH" + strings.ToUpper(randHex(6)), SecretKey: randHex(20)}
		}
		badSecret := func() s3call.Credentials {
			return s3call.Credentials{AccessKey: sc.Cfg.Client.Credentials.AccessKey, SecretKey: randHex(20)}
		}

		DescribeTable("a copy is refused with 403 AccessDenied (or S3's InvalidAccessKeyId / SignatureDoesNotMatch) and stores nothing",
			func(ctx SpecContext, sig string, creds func() s3call.Credentials) {
				if sig == s3call.SigV2 {
					sc.sigV2Client(ctx) // unsupported when SigV2 is refused as such
				}
				c := sc.freshClient(creds(), sig)
				ex, o := c.UploadPartCopy(ctx, Copy(bucket, key, id, 1, src, "", nil))
				sc.ExpectRejected(ex, o, http.StatusForbidden, authCodes...)
				Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a refused copy stores nothing")
			},
			Entry("SigV4, unknown access key id [D15]", Label("D15"), s3call.SigV4, unknownKey, SpecTimeout(time.Minute)),
			Entry("SigV4, right key id, wrong secret [D15]", Label("D15"), s3call.SigV4, badSecret, SpecTimeout(time.Minute)),
			Entry("SigV2, unknown access key id [D15]", Label("D15", clause.CapabilityLabel(clause.SigV2)), s3call.SigV2, unknownKey, SpecTimeout(time.Minute)),
			Entry("SigV2, right key id, wrong secret [D15]", Label("D15", clause.CapabilityLabel(clause.SigV2)), s3call.SigV2, badSecret, SpecTimeout(time.Minute)),
		)

		It("a correctly SigV2-signed copy succeeds, as in the document's sample [D15]", Label("D15", clause.CapabilityLabel(clause.SigV2)), func(ctx SpecContext) {
			c := sc.sigV2Client(ctx)
			ex, o := sc.MustCopyAs(ctx, c, Copy(bucket, key, id, 1, src, s3call.Range(500, 40000), nil))
			Expect(strings.HasPrefix(ex.RequestHeader.Get("Authorization"), "AWS ")).To(BeTrue(), "the copy must have been SigV2-signed")
			Expect(SameETag(o.ETag, MD5Quoted(src.Data[500:40001]))).To(BeTrue(), "the part must be the requested range")
			parts := PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)
			Expect(parts).To(HaveLen(1), "part 1 must be listed")
			Expect(parts[0].Size).To(Equal(int64(40000 - 500 + 1)))
		}, SpecTimeout(time.Minute))
	})
})
