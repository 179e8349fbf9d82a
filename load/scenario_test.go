package load

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load/nulls3"
)

// seenCopy is what the recording endpoint saw of one copy.
type seenCopy struct {
	key, partNumber, rng, source string
	srcSSEC, dstSSEC             bool
}

// recorder endpoint: nulls3 that remembers the copies and upload calls.
type recordingEndpoint struct {
	mu                sync.Mutex
	copies            []seenCopy
	creates, aborts   int
	createsWithSSEC   int
	completes, puts   int
	putsWithSourceKey int
}

func validSSEC(h http.Header, alg, key, md string) bool {
	k, err := base64.StdEncoding.DecodeString(h.Get(key))
	if err != nil || len(k) != 32 || h.Get(alg) != "AES256" {
		return false
	}
	sum := md5.Sum(k)
	return h.Get(md) == base64.StdEncoding.EncodeToString(sum[:])
}

func (e *recordingEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	q := r.URL.Query()
	dst := validSSEC(r.Header, s3call.HdrSSECAlgorithm, s3call.HdrSSECKey, s3call.HdrSSECKeyMD5)
	switch {
	case nulls3.IsCopyPart(r):
		e.copies = append(e.copies, seenCopy{
			key: r.URL.Path, partNumber: q.Get("partNumber"), rng: r.Header.Get(s3call.HdrCopySourceRange),
			source:  r.Header.Get(s3call.HdrCopySource),
			srcSSEC: validSSEC(r.Header, s3call.HdrCopySSECAlgorithm, s3call.HdrCopySSECKey, s3call.HdrCopySSECKeyMD5),
			dstSSEC: dst,
		})
	case r.Method == http.MethodPost && q.Has("uploads"):
		e.creates++
		if dst {
			e.createsWithSSEC++
		}
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		e.aborts++
	case r.Method == http.MethodPost && q.Has("uploadId"):
		e.completes++
	case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/src/"):
		e.puts++
		if dst {
			e.putsWithSourceKey++
		}
	}
	e.mu.Unlock()
	nulls3.Handler().ServeHTTP(w, r)
}

func TestCopyScenarioRequests(t *testing.T) {
	ep := &recordingEndpoint{}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	w := Workload{SourceSize: 4 << 20, PartSize: 1 << 20, Sources: 2, SSEC: SSECBoth, CompleteEvery: 8}
	sc := newScenario(t, srv.URL, w, 1)
	ctx := context.Background()
	const n = 20
	for i := 0; i < n; i++ {
		var r Result
		sc.Op(ctx, Hit{Seq: uint64(i)}, &r)
		if !r.OK || r.Bytes != 1<<20 || r.Done.IsZero() || r.FirstByte.IsZero() || r.Sent.IsZero() {
			t.Fatalf("op %d: %+v", i, r)
		}
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if len(ep.copies) != n {
		t.Fatalf("%d copies seen, want %d", len(ep.copies), n)
	}
	// Window 8 - 8/4 = 6 part numbers per upload, the 7th and 8th copy
	// overwrite parts 1 and 2 of it (D03); the next upload continues the
	// 1..10000 cycle.
	wantParts := []int{1, 2, 3, 4, 5, 6, 1, 2, 7, 8, 9, 10, 11, 12, 7, 8, 13, 14, 15, 16}
	for i, c := range ep.copies {
		if c.partNumber != strconv.Itoa(wantParts[i]) {
			t.Errorf("copy %d: part %s, want %d", i, c.partNumber, wantParts[i])
		}
		// D07: aligned 1 MiB ranges, sources alternating.
		src := i % 2
		off := int64((i/2)%4) << 20
		if want := s3call.Range(off, off+(1<<20)-1); c.rng != want {
			t.Errorf("copy %d: range %q, want %q", i, c.rng, want)
		}
		if want := "/" + sc.Bucket() + "/src/00" + strconv.Itoa(src); c.source != want {
			t.Errorf("copy %d: source %q, want %q", i, c.source, want)
		}
		if !c.srcSSEC || !c.dstSSEC {
			t.Errorf("copy %d: SSE-C source %v destination %v, want both complete sets (D09, D10)", i, c.srcSSEC, c.dstSSEC)
		}
	}
	if ep.copies[0].key == ep.copies[8].key {
		t.Errorf("the 9th copy went to the same upload key %s; it should have been rotated", ep.copies[8].key)
	}
	// 1 MiB parts cannot be completed (S05): rotation aborts.
	if ep.aborts != 2 || ep.completes != 0 || ep.creates != 3 || ep.createsWithSSEC != 3 {
		t.Errorf("aborts %d completes %d creates %d (with SSE-C %d), want 2, 0, 3, 3", ep.aborts, ep.completes, ep.creates, ep.createsWithSSEC)
	}
	if ep.puts != 2 || ep.putsWithSourceKey != 2 {
		t.Errorf("source puts %d (with SSE-C %d), want 2 and 2", ep.puts, ep.putsWithSourceKey)
	}
	if m := sc.Maintenance(); m.Aborted != 2 || m.Created != 3 || m.Failed != 0 {
		t.Errorf("maintenance %+v", m)
	}
}

func TestPartNumbersWrapAt10000(t *testing.T) {
	ep := &recordingEndpoint{}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	sc := newScenario(t, srv.URL, Workload{SourceSize: 1 << 10, CompleteEvery: 4}, 0)
	sc.partNext.Store(MaxPartNumber - 2) // the next upload starts at part 9999
	for i := 0; i < 4; i++ {
		var r Result
		sc.Op(context.Background(), Hit{}, &r)
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	var got []string
	for _, c := range ep.copies {
		got = append(got, c.partNumber)
	}
	// Window 3: 9999, 10000, 1 (D23: 1..10000 both valid), then 9999 again.
	if strings.Join(got, ",") != "9999,10000,1,9999" {
		t.Errorf("part numbers %v", got)
	}
	if ep.copies[0].rng != "" {
		t.Errorf("whole-source copy sent a range %q", ep.copies[0].rng)
	}
}

func TestWorkloadValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Workload
		ok   bool
	}{
		{"whole source", Workload{SourceSize: 8 << 20}, true},
		{"ranges", Workload{SourceSize: 8 << 20, PartSize: 5 << 20}, true},
		{"no source size", Workload{}, false},
		{"part larger than source", Workload{SourceSize: 1 << 20, PartSize: 2 << 20}, false},
		{"part over 5 GiB (D22)", Workload{SourceSize: 6 << 30, PartSize: 5<<30 + 1}, false},
		{"bad ssec", Workload{SourceSize: 1, SSEC: "maybe"}, false},
		{"bad prefix", Workload{SourceSize: 1, BucketPrefix: "Bad_Prefix"}, false},
		{"negative complete-every", Workload{SourceSize: 1, CompleteEvery: -1}, false},
	} {
		if err := tc.w.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}

// TestAgainstReferenceEndpoint runs the workload end to end against the
// embedded reference endpoint: 5 MiB ranges with SSE-C on both sides,
// uploads completed every 4 copies, everything deleted at the end.
func TestAgainstReferenceEndpoint(t *testing.T) {
	ctx := context.Background()
	rs, err := refserver.Start(ctx, refserver.Options{}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	main := rs.Server.Options().Main
	c, err := s3call.New(s3call.Config{Endpoint: rs.URL, Credentials: s3call.Credentials{AccessKey: main.AccessKey, SecretKey: main.SecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewCopyScenario(c, Workload{SourceSize: 10 << 20, PartSize: 5 << 20, SSEC: SSECBoth, CompleteEvery: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Setup(ctx, 2); err != nil {
		t.Fatal(err)
	}
	run, err := Attack(ctx, sc, Config{Duration: 500 * time.Millisecond, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	m := sc.Maintenance()
	t.Logf("copies %+v failures %v maintenance %+v", run.Counts, run.Failures, m)
	if run.Counts.Ops == 0 || run.Counts.Failed != 0 || run.Counts.Bytes != run.Counts.Succeeded*(5<<20) {
		t.Errorf("counts %+v failures %v", run.Counts, run.Failures)
	}
	if run.Counts.Ops >= 4 && (m.Completed == 0 || m.Failed != 0) {
		t.Errorf("maintenance %+v: uploads of 5 MiB parts should complete (S05)", m)
	}
	ex, err := c.HeadBucket(ctx, sc.Bucket())
	if err != nil || ex.Status != http.StatusNotFound {
		t.Errorf("after cleanup HeadBucket: %v %v, want 404", ex, err)
	}
}

// TestInterruptAndDrain: an interrupted run stops at once and does not
// count the copies the user cut off; a run whose copies outlast the drain
// counts them as unfinished failures.
func TestInterruptAndDrain(t *testing.T) {
	null := nullServer(t)
	proxy := faultServer(t, null.URL, time.Time{}, "copy:latency=2s")
	sc := newScenario(t, proxy.URL, Workload{SourceSize: 1 << 10}, 2)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	run, err := Attack(ctx, sc, Config{Duration: 10 * time.Second, Rate: 20})
	if err != nil {
		t.Fatal(err)
	}
	if !run.Interrupted || time.Since(began) > 5*time.Second || run.Counts.Ops != 0 {
		t.Errorf("interrupted %v after %v with %d ops counted; want an early stop and nothing counted", run.Interrupted, time.Since(began), run.Counts.Ops)
	}
	// load.json says so, with the duration asked for and the one run.
	if l := run.Report(Meta{}); !l.Interrupted || l.RequestedDurationSeconds != 10 || l.DurationSeconds >= 5 {
		t.Errorf("report: interrupted %v, requested %v s, actual %v s", l.Interrupted, l.RequestedDurationSeconds, l.DurationSeconds)
	}

	run, err = Attack(context.Background(), sc, Config{Duration: 200 * time.Millisecond, Rate: 20, Drain: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if run.Interrupted || run.Counts.Ops != 4 || run.Failures[FailureUnfinished] != 4 {
		t.Errorf("interrupted %v, ops %d, failures %v; want 4 unfinished", run.Interrupted, run.Counts.Ops, run.Failures)
	}
}

// TestCleanupOnlyWhatWasCreated: when setup could not create the bucket,
// cleanup sends nothing (it must never empty a bucket it does not own).
func TestCleanupOnlyWhatWasCreated(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<Error><Code>AccessDenied</Code><Message>no</Message></Error>`))
	}))
	t.Cleanup(srv.Close)
	c, err := s3call.New(s3call.Config{Endpoint: srv.URL, Credentials: testCreds})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewCopyScenario(c, Workload{SourceSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	err = sc.Setup(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("Setup: %v, want the AccessDenied", err)
	}
	before := requests.Load()
	if err := sc.Cleanup(context.Background()); err != nil || requests.Load() != before {
		t.Errorf("Cleanup: %v after %d requests", err, requests.Load()-before)
	}
}
