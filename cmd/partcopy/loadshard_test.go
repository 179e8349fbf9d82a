package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/partcopy/partcopy/load"
	"github.com/partcopy/partcopy/reports"
)

// TestShardFlagsBadInput: bad shard flags give one line and exit 2 before
// anything is set up.
func TestShardFlagsBadInput(t *testing.T) {
	os.Unsetenv(envJobIndex)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"load", "--shard", "3/3", "--run-id", "r"}, "0 <= I < N"},
		{[]string{"load", "--shard", "x", "--run-id", "r"}, "want I/N"},
		{[]string{"load", "--shards", "3", "--run-id", "r"}, envJobIndex},
		{[]string{"load", "--shard", "0/2"}, "--start-at"},
		{[]string{"load", "--shard", "0/2", "--start-at", "tomorrow"}, "RFC3339"},
		{[]string{"load", "--shard", "0/2", "--shards", "2", "--run-id", "r"}, "exclude each other"},
		{[]string{"load", "--shard", "0/5", "--concurrency", "3", "--run-id", "r"}, "fewer workers"},
		{[]string{"load", "--run-id", "a b"}, "--run-id"},
	} {
		var buf bytes.Buffer
		errOut = &buf
		code := run(tt.args)
		errOut = os.Stderr
		out := buf.String()
		if code != exitUsage || strings.Count(out, "\n") != 1 || !strings.Contains(out, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tt.args, code, out, tt.want)
		}
	}
}

// TestShardSplit: a shard sends 1/N of the rate, or its share of the
// workers (the remainder to the first shards), and gets a tag of its own.
func TestShardSplit(t *testing.T) {
	start := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	resolve := func(args ...string) (shardOptions, load.Config, load.Workload) {
		t.Helper()
		var s shardOptions
		var conc int
		var rate float64
		fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
		s.add(fs)
		fs.IntVar(&conc, "concurrency", 4, "")
		fs.Float64Var(&rate, "rate", 0, "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg := load.Config{Concurrency: conc, Rate: rate}
		if rate > 0 {
			cfg.Concurrency = 0
		}
		var w load.Workload
		if err := s.resolve(fs, &cfg, &w, start.Add(-10*time.Second), &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		return s, cfg, w
	}
	s, cfg, w := resolve("--shard", "2/3", "--rate", "300", "--start-at", "2026-12-04T19:00:00Z")
	if cfg.Rate != 100 || s.info.TotalRate != 300 || !cfg.Start.Equal(start) || s.runID != "20261204T190000Z" {
		t.Errorf("rate %v total %v start %v run %q", cfg.Rate, s.info.TotalRate, cfg.Start, s.runID)
	}
	if s.info.ClockOffsetSeconds != 10 {
		t.Errorf("clock offset %v, want 10", s.info.ClockOffsetSeconds)
	}
	_, _, w0 := resolve("--shard", "0/3", "--rate", "300", "--start-at", "2026-12-04T19:00:00Z")
	_, _, wOther := resolve("--shard", "2/3", "--rate", "300", "--start-at", "2026-12-04T19:00:00Z", "--run-id", "other")
	if w.Tag == "" || w.Tag == w0.Tag || w.Tag == wOther.Tag {
		t.Errorf("tags %q %q %q: want one per run and shard", w.Tag, w0.Tag, wOther.Tag)
	}
	w.SourceSize = 1
	if err := w.Validate(); err != nil {
		t.Error(err)
	}
	for i, want := range []int{3, 3, 2} {
		_, cfg, _ := resolve("--shard", string(rune('0'+i))+"/3", "--concurrency", "8", "--run-id", "r")
		if cfg.Concurrency != want {
			t.Errorf("shard %d of --concurrency 8: %d workers, want %d", i, cfg.Concurrency, want)
		}
	}
	// The default of 4 workers is per shard.
	s, cfg, _ = resolve("--shard", "1/3", "--run-id", "r")
	if cfg.Concurrency != 4 || s.info.TotalConcurrency != 12 {
		t.Errorf("default: %d workers, total %d", cfg.Concurrency, s.info.TotalConcurrency)
	}
	// Late by more than a second: starts at once and says so.
	s, cfg, _ = resolve("--shard", "1/3", "--rate", "30", "--start-at", "2026-12-04T19:00:00Z")
	var buf bytes.Buffer
	s.beforeAttack(&cfg, start.Add(2500*time.Millisecond), &buf)
	if !cfg.Start.IsZero() || !s.info.Late || s.info.LateSeconds != 2.5 || !strings.Contains(buf.String(), "LATE") {
		t.Errorf("late shard: start %v info %+v log %q", cfg.Start, s.info, buf.String())
	}
	s, cfg, _ = resolve("--shard", "1/3", "--rate", "30", "--start-at", "2026-12-04T19:00:00Z")
	s.beforeAttack(&cfg, start.Add(300*time.Millisecond), &buf)
	if cfg.Start.IsZero() || s.info.Late || s.info.LateSeconds != 0.3 {
		t.Errorf("slightly late shard: start %v info %+v", cfg.Start, s.info)
	}
}

// TestAllShardsDone: a waiting merge is done when every shard wrote its
// load.json, or when the one that did not has a log untouched for
// deadShardAfter after the common start (killed); not before.
func TestAllShardsDone(t *testing.T) {
	start := time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)
	dead := t.TempDir()
	hlog := dead + "/latency.hlog"
	if err := os.WriteFile(hlog, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(hlog, start.Add(time.Minute), start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	rep := &reports.Load{Shard: &reports.ShardInfo{Index: 0, Count: 2, StartAt: &start}}
	shards := []reports.LoadShard{{Dir: t.TempDir(), Index: 0, Report: rep}, {Dir: dead, Index: 1}}
	if allShardsDone(shards, 0, start.Add(2*time.Minute)) {
		t.Error("done while shard 1's log is fresh")
	}
	if !allShardsDone(shards, 0, start.Add(time.Minute+deadShardAfter+time.Second)) {
		t.Error("not done although shard 1's log went stale")
	}
	if allShardsDone(shards[:1], 0, start.Add(time.Hour)) {
		t.Error("done with shard 1 absent")
	}
	shards[1].Report = &reports.Load{Shard: &reports.ShardInfo{Index: 1, Count: 2}}
	if !allShardsDone(shards, 0, start) {
		t.Error("not done with both reports")
	}
}
