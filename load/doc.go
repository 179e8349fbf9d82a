// Package load is partcopy's load generator for S3 UploadPartCopy.
//
// It is shaped like vegeta: a Pacer decides when each request is due, a
// Scenario decides what it is (CopyScenario: one part copy), Attack runs
// the requests (closed loop with a fixed number of workers, or open loop at
// a fixed rate with a bound on requests in flight), Metrics collects them
// in HdrHistograms, and sinks and reporters write the results (load.json in
// the reports package's partcopy/load/v1 schema, an HdrHistogram interval
// log, a percentile distribution, a per-second CSV, a live progress line).
//
// Latency is measured from each request's intended start time, as wrk2
// does: in open-loop mode a request the generator could not send on time
// (because the endpoint held every in-flight slot) still counts the time it
// waited, so a stalled endpoint cannot hide its stall by slowing the
// generator down (coordinated omission). The figure from the actual send is
// kept beside it as "uncorrected".
//
// Every copy is classified by s3call's one D02 rule (Client.UploadPartCopy
// returns s3call.CopyPartOutcome): a 200 whose body carries no ETag is a
// failed copy, counted under Outcome.FailureKey. This package writes no
// classification of its own.
//
// Memory is constant however long the run: each recorder holds three
// fixed-size histograms (1 us .. 1 h at 3 significant digits), interval
// histograms are merged once a second and streamed to the interval log, and
// the time series in load.json is coalesced to a bounded length.
//
// load must not import Ginkgo, the conformance suites, or the embedded
// endpoint; the CLI (cmd/partcopy) wires it to them.
package load
