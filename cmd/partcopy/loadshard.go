package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/partcopy/partcopy/load"
	"github.com/partcopy/partcopy/reports"
)

// envJobIndex is the variable a Kubernetes Indexed Job sets in each pod.
const envJobIndex = "JOB_COMPLETION_INDEX"

// runIDLayout is the default run id: the start time, UTC, to the second.
const runIDLayout = "20060102T150405Z"

// shardOptions are the flags that split one load run over several
// generators (processes, machines, pods) and tie their reports together.
type shardOptions struct {
	shard       string
	shards      int
	startAt     string
	runID       string
	metricsAddr string

	// Resolved by resolve.
	index, count int
	start        time.Time // zero: no common start
	info         *reports.ShardInfo
}

func (s *shardOptions) add(fs *pflag.FlagSet) {
	fs.StringVar(&s.shard, "shard", "", "run shard `I/N` of a run split over N generators (I from 0): send 1/N of --rate or --concurrency; results go into --out/shard-I")
	fs.IntVar(&s.shards, "shards", 0, "like --shard, taking I from $"+envJobIndex+" (set by a Kubernetes Indexed Job)")
	fs.StringVar(&s.startAt, "start-at", "", "begin the measured window at this RFC3339 time (the same for every shard), e.g. 2026-12-04T19:00:00Z")
	fs.StringVar(&s.runID, "run-id", "", "id tying the shards of one run together, in every report (default: the start time, e.g. 20261204T190000Z)")
	fs.StringVar(&s.metricsAddr, "metrics-addr", "", "serve Prometheus metrics of the run at `HOST:PORT`/metrics while it runs, e.g. 127.0.0.1:9464")
}

// resolve checks the shard flags and splits the run: cfg gets this shard's
// share of the rate or the workers and the common start, w a tag unique to
// the run and the shard. now is the process's clock at launch.
func (s *shardOptions) resolve(fs *pflag.FlagSet, cfg *load.Config, w *load.Workload, now time.Time, stderr io.Writer) error {
	if s.shard != "" && fs.Changed("shards") {
		return usageError("--shard I/N and --shards N exclude each other: give one")
	}
	switch {
	case s.shard != "":
		i, n, ok := strings.Cut(s.shard, "/")
		var err1, err2 error
		s.index, err1 = strconv.Atoi(i)
		s.count, err2 = strconv.Atoi(n)
		if !ok || err1 != nil || err2 != nil || s.count < 1 || s.index < 0 || s.index >= s.count {
			return usageError("--shard %q: want I/N with 0 <= I < N, e.g. 0/10", s.shard)
		}
	case fs.Changed("shards"):
		if s.shards < 1 {
			return usageError("--shards must be >= 1")
		}
		v, ok := os.LookupEnv(envJobIndex)
		if !ok {
			return usageError("--shards takes the shard's index from $%s (set by a Kubernetes Indexed Job); it is not set: give --shard I/N instead", envJobIndex)
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 || i >= s.shards {
			return usageError("$%s=%q is not a shard index 0..%d of --shards %d", envJobIndex, v, s.shards-1, s.shards)
		}
		s.index, s.count = i, s.shards
	}
	if s.startAt != "" {
		t, err := time.Parse(time.RFC3339, s.startAt)
		if err != nil {
			return usageError("--start-at %q: want an RFC3339 time such as 2026-12-04T19:00:00Z", s.startAt)
		}
		s.start = t
		cfg.Start = t
	}
	if s.count > 0 && s.start.IsZero() && s.runID == "" {
		return usageError("a sharded run needs --start-at (a common start) or --run-id to tie its shards together")
	}
	if s.runID == "" {
		t := s.start
		if t.IsZero() {
			t = now
		}
		s.runID = t.UTC().Format(runIDLayout)
	}
	if strings.ContainsAny(s.runID, " \t\r\n,") || len(s.runID) > 100 {
		return usageError("--run-id %q: use at most 100 characters without spaces or commas", s.runID)
	}
	if s.count == 0 {
		if !s.start.IsZero() {
			fmt.Fprintf(stderr, "partcopy: run %s starts at %s, in %.3f s by this clock\n", s.runID, s.start.UTC().Format(time.RFC3339), s.start.Sub(now).Seconds())
		}
		return nil
	}
	info := &reports.ShardInfo{Index: s.index, Count: s.count, TotalRate: cfg.Rate}
	if cfg.Rate > 0 {
		cfg.Rate /= float64(s.count)
	} else {
		total := cfg.Concurrency
		if !fs.Changed("concurrency") {
			// The default of 4 workers is per generator.
			total = cfg.Concurrency * s.count
		}
		if total < s.count {
			return usageError("--concurrency %d is fewer workers than the %d shards: every shard needs one", total, s.count)
		}
		info.TotalConcurrency = total
		cfg.Concurrency = total / s.count
		if s.index < total%s.count {
			cfg.Concurrency++
		}
	}
	if !s.start.IsZero() {
		st := s.start.UTC()
		info.StartAt = &st
		info.ClockOffsetSeconds = s.start.Sub(now).Seconds()
		when := fmt.Sprintf("in %.3f s by this clock", info.ClockOffsetSeconds)
		if info.ClockOffsetSeconds < 0 {
			when = fmt.Sprintf("%.3f s ago by this clock", -info.ClockOffsetSeconds)
		}
		fmt.Fprintf(stderr, "partcopy: shard %d/%d of run %s: common start %s, %s\n", s.index, s.count, s.runID, st.Format(time.RFC3339), when)
	} else {
		fmt.Fprintf(stderr, "partcopy: shard %d/%d of run %s: no common start, starting when set up\n", s.index, s.count, s.runID)
	}
	s.info = info
	sum := sha256.Sum256([]byte(s.runID))
	w.Tag = hex.EncodeToString(sum[:3]) + "s" + strconv.Itoa(s.index)
	return nil
}

// outDir is where this process writes its results: DIR/shard-I for a
// shard, so that shards sharing a volume never overwrite each other.
func (s *shardOptions) outDir(out string) string {
	if s.count == 0 {
		return out
	}
	return filepath.Join(out, reports.ShardDirName(s.index))
}

// beforeAttack is called once setup is done, right before the measured
// window: a generator more than reports.LateShardAfter behind the common
// start says so, records it, and starts its window at once (a window
// starting in the past would send the missed copies in one burst).
func (s *shardOptions) beforeAttack(cfg *load.Config, now time.Time, stderr io.Writer) {
	if s.start.IsZero() {
		return
	}
	late := now.Sub(s.start)
	if late <= 0 {
		return
	}
	if s.info != nil {
		s.info.LateSeconds = late.Seconds()
	}
	if late <= reports.LateShardAfter {
		return
	}
	if s.info != nil {
		s.info.Late = true
	}
	cfg.Start = time.Time{}
	fmt.Fprintf(stderr, "partcopy: LATE: %.3f s behind the common start %s (setup took too long, or this clock is off): starting now; recorded as late\n",
		late.Seconds(), s.start.UTC().Format(time.RFC3339))
}

// meta adds the run id and the shard to a report's metadata.
func (s *shardOptions) meta(m *load.Meta) {
	m.RunID = s.runID
	m.Shard = s.info
}

// startMetrics serves the run's Prometheus metrics at --metrics-addr; it
// returns a nil sink when the flag is not set. Every metric carries the
// run id (and the shard of a sharded run) as labels.
func (s *shardOptions) startMetrics(stderr io.Writer) (*load.PromSink, func(), error) {
	if s.metricsAddr == "" {
		return nil, func() {}, nil
	}
	labels := prometheus.Labels{"run_id": s.runID}
	if s.count > 0 {
		labels["shard"] = strconv.Itoa(s.index)
	}
	sink := load.NewPromSink(labels)
	srv, err := load.ServeMetrics(s.metricsAddr, sink)
	if err != nil {
		return nil, nil, usageError("--metrics-addr %s: %v", s.metricsAddr, err)
	}
	fmt.Fprintf(stderr, "partcopy: Prometheus metrics at http://%s/metrics\n", srv.Addr)
	return sink, func() { _ = srv.Close() }, nil
}
