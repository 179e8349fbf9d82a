package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// loadMergeOptions are the flags of 'report merge' that apply to load
// results.
type loadMergeOptions struct {
	shards     int
	wait       time.Duration
	thresholds []string
}

// isLoadMergeArgs says whether merge's arguments are load results: a
// directory (a shard's results, or a run's --out with shard-I directories)
// or a load.json. Conformance reports are JSON files of the other schema.
func isLoadMergeArgs(args []string) (bool, error) {
	load, conf := 0, 0
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return false, usageError("merge: %v", err)
		}
		if st.IsDir() {
			load++
			continue
		}
		schema, _, err := readReportFile(a)
		if err != nil {
			return false, err
		}
		if schema == reports.LoadSchema {
			load++
		} else {
			conf++
		}
	}
	if load > 0 && conf > 0 {
		return false, usageError("merge: give either load results (directories, load.json) or conformance reports, not both")
	}
	return load > 0, nil
}

// mergeLoadResults merges the shards of a load run into the directory out.
// It exits 1 when the merged run is incomplete (a shard missing, failed or
// interrupted): the merged results are still written.
func mergeLoadResults(w, stderr io.Writer, args []string, out string, o loadMergeOptions) error {
	if o.shards < 0 {
		return usageError("--shards must not be negative")
	}
	ths, err := reports.ParseThresholds(o.thresholds)
	if err != nil {
		return usageError("--threshold: %v", err)
	}
	shards, err := readShardsWaiting(stderr, args, o)
	if err != nil {
		return err
	}
	m, err := reports.MergeLoad(shards, o.shards)
	if err != nil {
		return usageError("%s", oneLine(err.Error()))
	}
	m.Load.Provenance = collectProvenance("") // the merge is what wrote this report
	if len(ths) > 0 {
		// On the merged histograms: the run's percentiles, not the shards'.
		m.Load.Thresholds = reports.EvaluateThresholds(ths, m.Load, m.Quantiler())
	}
	if err := reports.WriteLoadMerge(out, m); err != nil {
		return asUsage(err)
	}
	l := m.Load
	ok := 0
	var bad []string
	for _, r := range l.ShardResults {
		switch r.Status {
		case reports.ShardFailed, reports.ShardMissing, reports.ShardInterrupted:
			bad = append(bad, fmt.Sprintf("shard %d %s (%s)", r.Index, r.Status, r.Reason))
		}
		if r.Status != reports.ShardFailed && r.Status != reports.ShardMissing {
			ok++
		}
		if r.Status == reports.ShardLate {
			fmt.Fprintf(stderr, "partcopy: shard %d was late: %s\n", r.Index, r.Reason)
		}
	}
	t := l.LatencyMs.Total
	fmt.Fprintf(w, "merged %d of %d shards of run %s into %s: %d copies (%d failed), %.2f copies/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		ok, l.Shards, l.RunID, filepath.Join(filepath.Clean(out), reports.FileLoadJSON), l.Ops.Total, l.Ops.Failed,
		l.Throughput.OpsPerSecond, t.P50, t.P99, t.Max)
	if g := l.Generator; g != nil && g.Limited {
		fmt.Fprintf(stderr, "partcopy: %s\n", oneLine(g.Warning))
	}
	var missed []string
	if len(l.Thresholds) > 0 {
		fmt.Fprintln(w, "Thresholds (on the merged run):")
		for _, r := range l.Thresholds {
			fmt.Fprintf(w, "  %s\n", r.Line())
			if !r.OK {
				missed = append(missed, fmt.Sprintf("%s (measured %s)", r.Expr, reports.FormatThresholdValue(r.Value, r.Unit)))
			}
		}
		fmt.Fprintf(w, "Verdict: %s\n", reports.ThresholdVerdict(l.Thresholds, l.Generator != nil && l.Generator.Limited))
	}
	switch {
	case l.Incomplete && len(missed) > 0:
		return checkFailed("merged run %s is incomplete: %s; threshold not met: %s", l.RunID, strings.Join(bad, "; "), strings.Join(missed, ", "))
	case l.Incomplete:
		return checkFailed("merged run %s is incomplete: %s", l.RunID, strings.Join(bad, "; "))
	case len(missed) > 0:
		return checkFailed("threshold not met on the merged run: %s", strings.Join(missed, ", "))
	}
	return nil
}

// readShardsWaiting reads the shards; with --wait it polls until every
// shard has written its load.json or the time is up (a merge Job started
// beside the load Job waits for it this way).
func readShardsWaiting(stderr io.Writer, args []string, o loadMergeOptions) ([]reports.LoadShard, error) {
	deadline := time.Now().Add(o.wait)
	announced := false
	for {
		shards, err := reports.ReadLoadShards(args...)
		if err != nil && o.wait == 0 {
			return nil, usageError("merge: %s", oneLine(err.Error()))
		}
		if err == nil && (o.wait == 0 || allShardsDone(shards, o.shards, time.Now())) {
			return shards, nil
		}
		if !time.Now().Before(deadline) {
			if err != nil {
				return nil, usageError("merge: after waiting %s: %s", o.wait, oneLine(err.Error()))
			}
			fmt.Fprintf(stderr, "partcopy: waited %s; merging the shards that finished\n", o.wait)
			return shards, nil
		}
		if !announced {
			announced = true
			fmt.Fprintf(stderr, "partcopy: waiting up to %s for every shard's %s\n", o.wait, reports.FileLoadJSON)
		}
		time.Sleep(time.Second)
	}
}

// deadShardAfter is how long a shard's latency.hlog may stay unchanged,
// once the common start is that far behind, before a waiting merge takes
// the shard for dead. A running shard writes it every second; after its
// window it drains (30 s by default) and cleans up (at most 2 min) before
// it writes load.json.
const deadShardAfter = 3 * time.Minute

// allShardsDone says whether every shard of the run is done: it wrote its
// load.json, or it is dead (no load.json, and its interval log has not
// changed for deadShardAfter after the common start).
func allShardsDone(shards []reports.LoadShard, expected int, now time.Time) bool {
	n := expected
	var startAt time.Time
	for _, s := range shards {
		if s.Report != nil && s.Report.Shard != nil {
			if n == 0 {
				n = s.Report.Shard.Count
			}
			if s.Report.Shard.StartAt != nil {
				startAt = *s.Report.Shard.StartAt
			}
		}
	}
	seen := map[int]bool{}
	for _, s := range shards {
		if s.Report == nil {
			st, err := os.Stat(filepath.Join(s.Dir, reports.FileLatencyHlog))
			dead := !startAt.IsZero() && now.Sub(startAt) > deadShardAfter && err == nil && now.Sub(st.ModTime()) > deadShardAfter
			if !dead {
				return false
			}
		}
		seen[s.Index] = true
	}
	return n > 0 && len(seen) >= n
}
