package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partcopy/partcopy/internal/fastcopy"
	"github.com/partcopy/partcopy/internal/s3call"
)

// SSECMode says where the copy workload uses SSE-C.
type SSECMode string

// SSE-C modes.
const (
	SSECNone   SSECMode = "none"
	SSECSource SSECMode = "source" // source objects encrypted; copies send the copy-source key (D10)
	SSECDest   SSECMode = "dest"   // uploads encrypted; copies send the destination key (D09)
	SSECBoth   SSECMode = "both"
)

// ParseSSECMode parses "none", "source", "dest" or "both".
func ParseSSECMode(s string) (SSECMode, error) {
	switch m := SSECMode(strings.ToLower(s)); m {
	case SSECNone, SSECSource, SSECDest, SSECBoth:
		return m, nil
	case "":
		return SSECNone, nil
	}
	return "", fmt.Errorf("bad SSE-C mode %q: use none, source, dest or both", s)
}

func (m SSECMode) source() bool { return m == SSECSource || m == SSECBoth }
func (m SSECMode) dest() bool   { return m == SSECDest || m == SSECBoth }

// Limits of the workload (D22, D23).
const (
	MaxPartSize    int64 = 5 << 30
	MaxPartNumber        = 10000
	minCompletable       = 5 << 20 // S05: every part but the last must be >= 5 MiB
)

// Workload describes the copy workload.
type Workload struct {
	// BucketPrefix starts the name of the run's bucket (a random suffix is
	// added); "" means "partcopy-load".
	BucketPrefix string
	// SourceSize is the size of each source object in bytes; it must be > 0.
	SourceSize int64
	// PartSize is the size of each copied part; 0 means SourceSize (whole
	// source copies). Smaller values copy ranges (D07), cycling over the
	// source.
	PartSize int64
	// Sources is the number of source objects; 0 means 1.
	Sources int
	// SSEC says where SSE-C is used; "" means none.
	SSEC SSECMode
	// CompleteEvery is how many copies an upload takes before it is
	// completed (or aborted when its parts are too small to complete, S05)
	// and replaced; 0 means 100.
	CompleteEvery int
	// Tag is put into the bucket name and every upload key (a sharded
	// run's run and shard, e.g. "3fa9c1s2"), so that generators running
	// at once never share a name; "" adds nothing. Lower-case letters,
	// digits and '-'.
	Tag string
}

func (w Workload) withDefaults() Workload {
	if w.BucketPrefix == "" {
		w.BucketPrefix = "partcopy-load"
	}
	if w.PartSize == 0 {
		w.PartSize = w.SourceSize
	}
	if w.Sources == 0 {
		w.Sources = 1
	}
	if w.SSEC == "" {
		w.SSEC = SSECNone
	}
	if w.CompleteEvery == 0 {
		w.CompleteEvery = 100
	}
	return w
}

// Validate checks the workload.
func (w Workload) Validate() error {
	w = w.withDefaults()
	switch {
	case w.SourceSize <= 0:
		return errors.New("source size must be > 0")
	case w.PartSize <= 0:
		return errors.New("part size must be > 0")
	case w.PartSize > w.SourceSize:
		return fmt.Errorf("part size %s is larger than the source size %s", FormatSize(w.PartSize), FormatSize(w.SourceSize))
	case w.PartSize > MaxPartSize:
		return fmt.Errorf("part size %s is over S3's 5 GiB part limit (D22): every copy would fail", FormatSize(w.PartSize))
	case w.Sources < 1:
		return errors.New("sources must be >= 1")
	case w.CompleteEvery < 1:
		return errors.New("complete-every must be >= 1")
	case len(w.BucketPrefix) > 40 || strings.Trim(strings.ToLower(w.BucketPrefix), "abcdefghijklmnopqrstuvwxyz0123456789-.") != "":
		return fmt.Errorf("bad bucket prefix %q: use at most 40 lower-case letters, digits, '-' or '.'", w.BucketPrefix)
	case len(w.Tag) > 13 || strings.Trim(w.Tag, "abcdefghijklmnopqrstuvwxyz0123456789-") != "":
		return fmt.Errorf("bad workload tag %q: use at most 13 lower-case letters, digits or '-'", w.Tag)
	}
	if _, err := ParseSSECMode(string(w.SSEC)); err != nil {
		return err
	}
	return nil
}

// window is how many distinct part numbers one upload uses: one copy in
// four goes to a part number the upload already has, so every run also
// measures overwrites (D03).
func (w Workload) window() int { return max(1, w.CompleteEvery-w.CompleteEvery/4) }

// upload is one multipart upload the workload copies into. Only one worker
// holds it at a time.
type upload struct {
	key, id string
	base    int            // offset into the 1..10000 part-number cycle
	copies  int            // copies sent to it
	etags   map[int]string // newest ETag per part number (D03, D25)
}

// Maintenance counts the unmeasured requests that keep the endpoint clean.
type Maintenance struct {
	Created, Completed, Aborted, Failed int64
}

// CopyScenario is the UploadPartCopy workload: part copies from source
// objects created in Setup (not measured) into multipart uploads that are
// completed or aborted every Workload.CompleteEvery copies. It is safe for
// concurrent use.
type CopyScenario struct {
	c      *s3call.Client
	w      Workload
	bucket string

	srcKeys []string
	srcKey  s3call.SSEC // SSE-C key of the sources (D10)
	dstKey  s3call.SSEC // SSE-C key of the uploads (D09)
	copyHdr http.Header // SSE-C headers of every copy; read-only after Setup
	dstHdr  http.Header // SSE-C headers for create and complete

	seq       atomic.Uint64 // copies issued, for source/range rotation
	partNext  atomic.Uint64 // part-number cycle cursor
	uploadSeq atomic.Uint64

	mu   sync.Mutex
	idle []*upload

	// fast, when set, sends the copies (UseFastPath, fastpath.go).
	fast *fastPath

	// bucketCreated is set once CreateBucket succeeded: Cleanup never
	// touches a bucket this run did not create.
	bucketCreated atomic.Bool

	created, completed, aborted, maintFailed atomic.Int64
}

// NewCopyScenario returns the workload w against c (which must carry
// credentials). The bucket name is fixed here so that a caller can clean
// up even when Setup fails half way.
func NewCopyScenario(c *s3call.Client, w Workload) (*CopyScenario, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	w = w.withDefaults()
	s := &CopyScenario{c: c, w: w, copyHdr: http.Header{}, dstHdr: http.Header{}}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	s.bucket = strings.ToLower(w.BucketPrefix) + "-" + hex.EncodeToString(b[:])
	if w.Tag != "" {
		// 40 + 1 + 13 + 1 + 8 = 63, S3's longest bucket name.
		s.bucket = strings.ToLower(w.BucketPrefix) + "-" + w.Tag + "-" + hex.EncodeToString(b[:4])
	}
	if w.SSEC.source() {
		s.srcKey = s3call.NewSSEC(randomKey())
		s.copyHdr = s3call.MergeHeaders(s.copyHdr, s.srcKey.CopySourceHeader())
	}
	if w.SSEC.dest() {
		s.dstKey = s3call.NewSSEC(randomKey())
		s.dstHdr = s.dstKey.Header()
		s.copyHdr = s3call.MergeHeaders(s.copyHdr, s.dstHdr)
	}
	return s, nil
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// Bucket is the run's bucket.
func (s *CopyScenario) Bucket() string { return s.bucket }

// Workload returns the workload with defaults applied.
func (s *CopyScenario) Workload() Workload { return s.w }

// Maintenance returns the counts of unmeasured upload requests.
func (s *CopyScenario) Maintenance() Maintenance {
	return Maintenance{Created: s.created.Load(), Completed: s.completed.Load(), Aborted: s.aborted.Load(), Failed: s.maintFailed.Load()}
}

// Setup creates the bucket and the source objects, and opens uploads
// multipart uploads, none of it measured.
func (s *CopyScenario) Setup(ctx context.Context, uploads int) error {
	// Marked before the create: an interrupt can cut the create off after
	// the endpoint made the bucket (no answer, so the outcome is unknown),
	// and Cleanup must still remove it (a
	// missing bucket is no error to EmptyAndDeleteBucket). Setup calls
	// retry what S3 asks to retry (503 SlowDown, 500 InternalError); the
	// measured copies never do.
	s.bucketCreated.Store(true)
	ex, err := s3call.Retry(ctx, func() (*s3call.Exchange, error) { return s.c.CreateBucket(ctx, s.bucket, nil) })
	if err := s3call.Check("CreateBucket "+s.bucket, ex, err, 200); err != nil {
		if ex != nil {
			// A definite refusal: the bucket is not the run's, and cleanup
			// must never empty a bucket it does not own.
			s.bucketCreated.Store(false)
		}
		return err
	}
	srcHdr := http.Header{}
	if s.w.SSEC.source() {
		srcHdr = s.srcKey.Header()
	}
	for i := 0; i < s.w.Sources; i++ {
		key := fmt.Sprintf("src/%03d", i)
		ex, err := s3call.Retry(ctx, func() (*s3call.Exchange, error) {
			return s.c.PutObject(ctx, s.bucket, key, s3call.NewGen(uint64(i)+1, s.w.SourceSize), s.w.SourceSize, srcHdr)
		})
		if err := s3call.Check("PutObject "+key, ex, err, 200); err != nil {
			return err
		}
		s.srcKeys = append(s.srcKeys, key)
	}
	for i := 0; i < uploads; i++ {
		u, err := s.newUpload(ctx)
		if err != nil {
			return err
		}
		s.put(u)
	}
	return nil
}

// Cleanup deletes everything the run created: every upload, every object
// and the bucket. It does nothing when Setup did not create the bucket.
// Call it with a context that is not the (possibly cancelled) run's.
func (s *CopyScenario) Cleanup(ctx context.Context) error {
	s.closeFast()
	s.mu.Lock()
	s.idle = nil
	s.mu.Unlock()
	if !s.bucketCreated.Load() {
		return nil
	}
	return s.c.EmptyAndDeleteBucket(ctx, s.bucket)
}

func (s *CopyScenario) newUpload(ctx context.Context) (*upload, error) {
	n := s.uploadSeq.Add(1)
	key := fmt.Sprintf("dst/%08d", n)
	if s.w.Tag != "" {
		key = fmt.Sprintf("dst/%s/%08d", s.w.Tag, n)
	}
	var id string
	_, err := s3call.Retry(ctx, func() (ex *s3call.Exchange, err error) {
		id, ex, err = s.c.CreateMultipartUpload(ctx, s.bucket, key, s.dstHdr)
		return ex, err
	})
	if err != nil {
		return nil, err
	}
	s.created.Add(1)
	win := uint64(s.w.window())
	base := int((s.partNext.Add(win) - win) % MaxPartNumber)
	return &upload{key: key, id: id, base: base, etags: map[int]string{}}, nil
}

func (s *CopyScenario) take() *upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.idle); n > 0 {
		u := s.idle[n-1]
		s.idle = s.idle[:n-1]
		return u
	}
	return nil
}

func (s *CopyScenario) put(u *upload) {
	s.mu.Lock()
	s.idle = append(s.idle, u)
	s.mu.Unlock()
}

// FailureCreateUpload counts copies that could not be sent because no
// multipart upload could be opened for them.
const FailureCreateUpload = "create-upload-failed"

// Op sends one UploadPartCopy and records its outcome by the D02 rule.
func (s *CopyScenario) Op(ctx context.Context, h Hit, r *Result) {
	u := s.take()
	if u == nil {
		// More copies in flight than open uploads: open one more. Its time
		// counts in this copy's latency; the pool keeps it afterwards.
		var err error
		if u, err = s.newUpload(ctx); err != nil {
			r.Done, r.FailureKey = time.Now(), FailureCreateUpload
			return
		}
	}
	i := s.seq.Add(1) - 1
	si := int(i % uint64(len(s.srcKeys)))
	length := s.w.SourceSize
	var off int64
	ranged := s.w.PartSize < s.w.SourceSize
	if ranged {
		// D07: aligned ranges cycling over the source.
		chunks := uint64(s.w.SourceSize / s.w.PartSize)
		off = int64((i/uint64(len(s.srcKeys)))%chunks) * s.w.PartSize
		length = s.w.PartSize
	}
	// Part numbers cycle through 1..10000 across uploads (D23); within an
	// upload one copy in four overwrites an earlier part number (D03).
	pn := (u.base+u.copies%s.w.window())%MaxPartNumber + 1
	var out s3call.Outcome
	if fw := s.fastWorker(h.Worker); fw != nil {
		out = s.fastCopy(ctx, fw, &fastcopy.CopyPart{Bucket: s.bucket, Key: u.key, UploadID: u.id, PartNumber: pn,
			Ranged: ranged, RangeStart: off, RangeEnd: off + length - 1}, si, r)
	} else {
		rng := ""
		if ranged {
			rng = s3call.Range(off, off+length-1)
		}
		var ex *s3call.Exchange
		ex, out = s.c.UploadPartCopy(ctx, s3call.CopyPart{
			Bucket: s.bucket, Key: u.key, UploadID: u.id, PartNumber: strconv.Itoa(pn),
			Source: s3call.CopySource(s.bucket, s.srcKeys[si], ""), Range: rng, Header: s.copyHdr,
		})
		if ex != nil {
			r.Sent, r.FirstByte, r.Done = ex.Timing.Start, ex.Timing.FirstByte, ex.Timing.Done
		} else {
			r.Done = time.Now()
		}
	}
	// D02: out is s3call's one verdict; a 200 without an ETag is a failure.
	r.OK = out.OK
	if out.OK {
		r.Bytes = length
		u.etags[pn] = out.ETag
	} else {
		r.FailureKey = out.FailureKey()
	}
	u.copies++
	if u.copies < s.w.CompleteEvery || ctx.Err() != nil {
		s.put(u)
		return
	}
	s.rotate(ctx, u)
}

// rotate completes u when its parts can be completed (S05), aborts it
// otherwise, deletes the completed object, and opens a replacement.
func (s *CopyScenario) rotate(ctx context.Context, u *upload) {
	completed := false
	if len(u.etags) > 0 && (s.w.PartSize >= minCompletable || len(u.etags) == 1) {
		parts := make([]s3call.CompletedPart, 0, len(u.etags))
		for pn, etag := range u.etags {
			parts = append(parts, s3call.CompletedPart{PartNumber: pn, ETag: etag})
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
		if _, out := s.c.CompleteMultipartUpload(ctx, s.bucket, u.key, u.id, parts, s.dstHdr); out.OK {
			completed = true
			s.completed.Add(1)
			ex, err := s.c.DeleteObject(ctx, s.bucket, u.key, "")
			if s3call.Check("DeleteObject", ex, err, 204, 200) != nil {
				s.maintFailed.Add(1)
			}
		} else {
			s.maintFailed.Add(1)
		}
	}
	if !completed {
		ex, err := s.c.AbortMultipartUpload(ctx, s.bucket, u.key, u.id)
		if s3call.Check("AbortMultipartUpload", ex, err, 204, 200) != nil {
			s.maintFailed.Add(1)
		} else {
			s.aborted.Add(1)
		}
	}
	if nu, err := s.newUpload(ctx); err == nil {
		s.put(nu)
	} else {
		s.maintFailed.Add(1)
	}
}
