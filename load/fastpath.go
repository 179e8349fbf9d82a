package load

import (
	"context"
	"sort"
	"sync"

	"github.com/partcopy/partcopy/internal/fastcopy"
	"github.com/partcopy/partcopy/internal/s3call"
)

// The clients a run's copies can go through (load.json "client").
const (
	// ClientFast is internal/fastcopy: one HTTP/1.1 connection per worker,
	// reused buffers, its own SigV4 signer (proven against the SDK's).
	ClientFast = "fast"
	// ClientS3call is s3call's client (net/http, aws-sdk-go-v2's signer):
	// everything the fast path does not cover (SigV2, a custom HTTP client).
	ClientS3call = "s3call"
)

// fastPath sends the scenario's copies through internal/fastcopy. Setup,
// upload rotation and cleanup stay on s3call; either way the one D02 rule
// (s3call.CopyPartOutcome) judges every copy.
type fastPath struct {
	target  *fastcopy.Target
	workers []*fastcopy.Worker // by Hit.Worker, each used by its worker alone
	hdr     []fastcopy.Field   // the SSE-C headers of every copy

	once    sync.Once
	sources []string // x-amz-copy-source of each source object
}

// UseFastPath makes the scenario send its copies through internal/fastcopy,
// one connection per worker, for workers workers (Config.Workers()). When
// the client's configuration is not covered (SigV2, a custom HTTP client)
// it returns why, and the copies keep going through s3call.
func (s *CopyScenario) UseFastPath(workers int) error {
	t, err := fastcopy.NewTarget(s.c.Config())
	if err != nil {
		return err
	}
	f := &fastPath{target: t, workers: make([]*fastcopy.Worker, workers)}
	names := make([]string, 0, len(s.copyHdr))
	for k := range s.copyHdr {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range s.copyHdr[k] {
			f.hdr = append(f.hdr, fastcopy.Field{Name: k, Value: v})
		}
	}
	s.fast = f
	return nil
}

// ClientPath says which client the copies go through: ClientFast or
// ClientS3call.
func (s *CopyScenario) ClientPath() string {
	if s.fast != nil {
		return ClientFast
	}
	return ClientS3call
}

// fastWorker returns worker w's fast client, or nil when the copies go
// through s3call.
func (s *CopyScenario) fastWorker(w int) *fastcopy.Worker {
	f := s.fast
	if f == nil || w < 0 || w >= len(f.workers) {
		return nil
	}
	if f.workers[w] == nil {
		f.workers[w] = f.target.NewWorker()
	}
	return f.workers[w]
}

// fastCopy sends one copy through fw and fills r's times.
func (s *CopyScenario) fastCopy(ctx context.Context, fw *fastcopy.Worker, in *fastcopy.CopyPart, src int, r *Result) s3call.Outcome {
	f := s.fast
	f.once.Do(func() {
		for _, k := range s.srcKeys {
			f.sources = append(f.sources, s3call.CopySource(s.bucket, k, ""))
		}
	})
	in.Source, in.Header = f.sources[src], f.hdr
	tm, out := fw.UploadPartCopy(ctx, in)
	r.Sent, r.FirstByte, r.Done = tm.Start, tm.FirstByte, tm.Done
	return out
}

// closeFast closes the fast path's connections.
func (s *CopyScenario) closeFast() {
	if s.fast == nil {
		return
	}
	for _, w := range s.fast.workers {
		if w != nil {
			w.Close()
		}
	}
}
