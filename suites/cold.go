package suites

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/ctxtime"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// restoreState is what HEAD's x-amz-restore says about a cold object.
type restoreState int

const (
	restoreUnknown restoreState = iota // no x-amz-restore header
	restoreOngoing                     // ongoing-request="true"
	restoreDone                        // ongoing-request="false"
)

func (r restoreState) String() string {
	switch r {
	case restoreOngoing:
		return `ongoing-request="true"`
	case restoreDone:
		return `ongoing-request="false"`
	}
	return "no x-amz-restore header"
}

// parseRestore reads an x-amz-restore value.
func parseRestore(v string) restoreState {
	v = strings.ToLower(strings.ReplaceAll(v, " ", ""))
	switch {
	case strings.Contains(v, `ongoing-request="true"`):
		return restoreOngoing
	case strings.Contains(v, `ongoing-request="false"`):
		return restoreDone
	}
	return restoreUnknown
}

// mustPutCold puts an object in the configured cold storage class (D05).
// The spec is unsupported when the endpoint refuses the class or silently
// stores the object in another one.
func (sc *Ctx) mustPutCold(ctx context.Context, bucket string, seed uint64) Object {
	GinkgoHelper()
	class := sc.Cfg.coldClass()
	h := http.Header{}
	h.Set(s3call.HdrStorageClass, class)
	key := sc.Name("cold")
	data := s3call.GenBytes(seed, 128<<10)
	ex, err := sc.Main.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), h)
	Expect(err).NotTo(HaveOccurred(), "PutObject with x-amz-storage-class")
	if ex.Status != http.StatusOK {
		if refusesStorageClass(ex, class) {
			e, _ := s3call.ParseError(ex.Body)
			Unsupported(clause.ColdTier, "endpoint has no storage class %s: PutObject answered %d %s %q", class, ex.Status, e.Code, e.Message)
		}
		Expect(s3call.Check("PutObject "+key+" in "+class, ex, nil, 200)).To(Succeed())
	}
	hd, err := sc.Main.HeadObject(ctx, bucket, key, "", nil)
	Expect(s3call.Check("HeadObject "+key, hd, err, 200)).To(Succeed())
	if got := hd.Header.Get(s3call.HdrStorageClass); !strings.EqualFold(got, class) {
		Unsupported(clause.ColdTier, "endpoint ignored x-amz-storage-class %s: HEAD shows storage class %q", class, got)
	}
	return Object{Bucket: bucket, Key: key, ETag: ex.Header.Get("ETag"), VersionID: ex.Header.Get(s3call.HdrVersionID), Data: data}
}

// refusesStorageClass reports a PutObject answer that says "no such
// storage class here", in the ways real servers say it: 501 or
// NotImplemented, or any 4xx whose code or message names the storage class
// or the argument (InvalidStorageClass, InvalidArgument, "storage class",
// the class's name).
func refusesStorageClass(ex *s3call.Exchange, class string) bool {
	if ex == nil {
		return false
	}
	if refusedUnimplemented(ex) {
		return true
	}
	if ex.Status < 400 || ex.Status >= 500 {
		return false
	}
	e, _ := s3call.ParseError(ex.Body)
	switch e.Code {
	case "InvalidStorageClass", "InvalidArgument", "InvalidRequest":
		return true
	}
	m := strings.ToLower(e.Message)
	return strings.Contains(m, "storage class") || strings.Contains(m, "storageclass") || strings.Contains(m, "storage-class") ||
		(class != "" && strings.Contains(m, strings.ToLower(class)))
}

// startRestore asks for o's restore (POST ?restore). Expedited first, as
// that is what finishes within a test's patience on AWS; endpoints that
// refuse the tier get the default one.
func (sc *Ctx) startRestore(ctx context.Context, o Object) {
	GinkgoHelper()
	ex, err := sc.Main.RestoreObject(ctx, o.Bucket, o.Key, 1, "Expedited")
	Expect(err).NotTo(HaveOccurred(), "RestoreObject")
	if ex.Status == http.StatusBadRequest || ex.Status == http.StatusServiceUnavailable {
		ex, err = sc.Main.RestoreObject(ctx, o.Bucket, o.Key, 1, "")
		Expect(err).NotTo(HaveOccurred(), "RestoreObject")
	}
	if refusedUnimplemented(ex) || ex.Status == http.StatusMethodNotAllowed {
		e, _ := s3call.ParseError(ex.Body)
		Unsupported(clause.ColdTier, "endpoint does not implement RestoreObject: POST ?restore answered %d %s %q", ex.Status, e.Code, e.Message)
	}
	Expect(s3call.Check("RestoreObject "+o.Key, ex, nil, 200, 202)).To(Succeed())
}

// headRestore reads o's restore state from HEAD.
func (sc *Ctx) headRestore(ctx context.Context, o Object) restoreState {
	GinkgoHelper()
	hd, err := sc.Main.HeadObject(ctx, o.Bucket, o.Key, "", nil)
	Expect(s3call.Check("HeadObject "+o.Key, hd, err, 200)).To(Succeed())
	return parseRestore(hd.Header.Get(s3call.HdrRestore))
}

var _ = describe("Cold source objects", func(sc *Ctx) {
	var (
		bucket, key, id string
		cold            Object
	)
	BeforeEach(func(ctx SpecContext) {
		bucket = sc.MustBucket(ctx, nil)
		cold = sc.mustPutCold(ctx, bucket, 51)
		key = sc.Name("dst")
		id = sc.MustUpload(ctx, bucket, key, nil)
	})
	// Restores can take minutes on real endpoints.
	restoreSpec := SpecTimeout(sc.Cfg.restoreTimeout() + 2*time.Minute)

	It("a cold source that was never restored cannot be copied: 403 InvalidObjectState [D05]", Label("D05"), func(ctx SpecContext) {
		ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, cold, "", nil))
		sc.ExpectRejected(ex, o, http.StatusForbidden, "InvalidObjectState")
		Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a refused copy stores nothing")
	}, SpecTimeout(time.Minute))

	It("a cold source whose restore is in progress cannot be copied: 403 InvalidObjectState [D05]", Label("D05"), func(ctx SpecContext) {
		sc.startRestore(ctx, cold)
		if st := sc.headRestore(ctx, cold); st != restoreOngoing {
			Unsupported(clause.ColdTier, "a restore in progress cannot be observed: right after POST ?restore HEAD shows %s", st)
		}
		ex, o := sc.Main.UploadPartCopy(ctx, Copy(bucket, key, id, 1, cold, "", nil))
		if o.OK {
			// A success is only legitimate if the restore finished meanwhile.
			if st := sc.headRestore(ctx, cold); st == restoreOngoing {
				Fail("D05: the copy succeeded while HEAD still shows the restore in progress (" + st.String() + ")")
			}
			Unsupported(clause.ColdTier, "the restore finished while the copy was sent; in progress could not be observed")
		}
		sc.ExpectRejected(ex, o, http.StatusForbidden, "InvalidObjectState")
		Expect(PartsNumbered(sc.MustParts(ctx, bucket, key, id), 1)).To(BeEmpty(), "a refused copy stores nothing")
	}, restoreSpec)

	It("a cold source copies once restored, with the right bytes [D05]", Label("D05"), func(ctx SpecContext) {
		sc.startRestore(ctx, cold)
		timeout := sc.Cfg.restoreTimeout()
		poll := min(max(timeout/60, 250*time.Millisecond), 15*time.Second)
		deadline := time.Now().Add(timeout)
		seen := restoreUnknown
		for {
			st := sc.headRestore(ctx, cold)
			if st != restoreUnknown {
				seen = st
			}
			if st == restoreDone || time.Now().After(deadline) {
				break
			}
			Expect(ctxtime.Sleep(ctx, poll)).To(BeTrue(), "interrupted while waiting for the restore")
		}
		if seen == restoreUnknown {
			Unsupported(clause.ColdTier, "HEAD never showed x-amz-restore within %s: cannot tell when the restore is done", timeout)
		}
		Expect(seen).To(Equal(restoreDone), "the restore did not finish within %s (raise the restore timeout)", timeout)
		_, o := sc.MustCopy(ctx, Copy(bucket, key, id, 1, cold, "", nil))
		Expect(SameETag(o.ETag, MD5Quoted(cold.Data))).To(BeTrue(), "the part's ETag must be the MD5 of the source's bytes")
		sc.MustComplete(ctx, bucket, key, id, []s3call.CompletedPart{{PartNumber: 1, ETag: o.ETag}}, nil)
		got := sc.MustGet(ctx, bucket, key, nil)
		Expect(got.MD5).To(Equal(s3call.MD5Hex(cold.Data)), "the completed object must hold the cold source's bytes")
	}, restoreSpec)
}, Label(clause.CapabilityLabel(clause.ColdTier)))
