// Package suites holds partcopy's conformance specs for S3 UploadPartCopy as
// a library: a Config, Register(cfg) to add every spec to the Ginkgo tree,
// and Test(t, cfg) to run them from `go test`. The same specs run from
// `partcopy conform`, from another project's suite, and from the ginkgo CLI.
//
// Every spec names the one clause it checks (the catalogue in package
// suites/clause, docs/clauses.md) as a Ginkgo label ("D03"), and each
// capability it needs as a "needs:<capability>" label; Register checks
// both before the spec runs and makes a spec whose configuration lacks a
// capability unsupported. One file per behaviour area. Every successful
// copy is judged by s3call's one D02 outcome rule. A spec whose endpoint
// turns out to lack a capability calls Unsupported, which Skips with the
// catalogue's "unsupported: " prefix; that is a distinct outcome from pass,
// fail and skip.
//
// suites never imports load or reports, and never the embedded reference
// endpoint outside its own tests.
package suites
