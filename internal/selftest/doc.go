// Package selftest proves the conformance suite's verdicts with the
// fault-injecting proxy (issue 5, item 5). It has no API: its tests build
// the partcopy binary, start the embedded reference endpoint and the
// faults proxy in process, run `partcopy conform --record-all` through the
// proxy as a subprocess, and read conformance.json.
//
// The claims checked, one conform run each:
//
//   - D02: with each failure form (noetag200, empty200, error200, truncate,
//     keepalive-error) injected on some copy-part requests, every spec
//     that received a faulted answer fails, every spec that failed
//     received one, and several specs received one (the run is not
//     vacuous). "Received" means one of the spec's recorded exchanges
//     carries the proxy's X-Partcopy-Fault response header - whatever
//     the spec expected of that copy: a copy expected to fail (404) that
//     is answered 200 must fail the spec too.
//   - S06: with harmless keep-alive whitespace after the XML declaration
//     on every copy, every spec ends exactly as it does without the
//     proxy; with whitespace before the declaration, the S06 spec fails
//     and the others end as without the proxy. Both forms send the 200
//     before the target answers, so a copy the target refuses arrives as
//     200 + <Error> (a D02 failure form: its spec must fail) and the
//     target's response headers are lost (specs that may check the D14
//     echo are not compared); see s06_test.go.
//
// A run that breaks one of these is a bug in a spec (or in the client's
// one D02 rule), not in these tests: the tests name the spec, the form and
// the faulted exchanges.
package selftest
