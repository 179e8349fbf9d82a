package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/load"
	"github.com/partcopy/partcopy/reports"
)

// loadTarget is the endpoint a load-generating command (load, capacity)
// sends copies to.
type loadTarget struct {
	res      s3call.Resolved
	embedded bool
	impl     *reports.Implementation
	client   *s3call.Client
	close    func()
}

// openLoadTarget resolves the endpoint flags, starts the embedded endpoint
// when no --endpoint was given (it must outlive an interrupt: cleanup
// still talks to it), proves that a real endpoint is S3 (the pre-check)
// and builds the client. verb says what the command does to the endpoint
// ("loading"), what names what an interrupt stops ("run").
func openLoadTarget(ctx context.Context, ep *endpointFlags, timeout time.Duration, implFlag, verb, what string, stderr io.Writer) (*loadTarget, error) {
	res, embedded, err := ep.resolve(ctx)
	if err != nil {
		return nil, err
	}
	t := &loadTarget{embedded: embedded, impl: implementation(implFlag, embedded), close: func() {}}
	if embedded {
		e, err := startEmbedded(context.Background(), 0)
		if err != nil {
			return nil, err
		}
		t.close = e.Close
		res.Endpoint, res.Credentials = e.URL(), e.main()
		fmt.Fprintf(stderr, "partcopy: no --endpoint: %s the embedded reference endpoint at %s\n", verb, e.URL())
	}
	t.res = res
	ccfg := ep.clientConfig(res)
	ccfg.Timeout = timeout
	if !embedded {
		if err := probe(ctx, ccfg, ep.source); err != nil {
			t.close()
			if ctx.Err() != nil {
				return nil, interrupted("interrupted before the %s started", what)
			}
			return nil, err
		}
	}
	if t.client, err = s3call.New(ccfg); err != nil {
		t.close()
		return nil, asUsage(err)
	}
	return t, nil
}

// cleanupScenario removes what a scenario created, with a deadline of its
// own (the run's context may be cancelled already).
func cleanupScenario(sc *load.CopyScenario, stderr io.Writer) {
	cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sc.Cleanup(cctx); err != nil {
		fmt.Fprintf(stderr, "partcopy: cleanup of bucket %s incomplete: %s\n", sc.Bucket(), oneLine(err.Error()))
	}
}

// generatorContext readies the process for sending load and returns the
// run's context, cancelled by the first SIGINT/SIGTERM; after it the
// default handling is back, so a second Ctrl-C quits.
func generatorContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	if os.Getenv("GOGC") == "" {
		// The live heap is small and fixed (histograms, a pool of uploads)
		// while every copy allocates a few KiB: collect less often, so the
		// generator's CPU goes to requests, not to the collector.
		debug.SetGCPercent(400)
	}
	base := cmd.Context()
	if base == nil {
		base = context.Background()
	}
	ctx, stop := signal.NotifyContext(base, os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	return ctx, stop
}
