// Package suites holds partcopy's conformance specs for S3 UploadPartCopy as
// a library: a Config, Register(cfg) to add every spec to the Ginkgo tree,
// and Test(t, cfg) to run them from `go test`. The same specs run from
// `partcopy conform`, from another project's suite, and from the ginkgo CLI.
//
// Every spec names the clauses it checks (../shared/spec/clauses.md) as
// Ginkgo labels ("D03"), one file per behaviour area. Every successful copy
// is judged by s3call's one D02 outcome rule. A spec whose endpoint lacks a
// capability the clause needs calls Unsupported, which Skips with the
// "unsupported: " prefix the reports recognise; that is a distinct outcome
// from pass, fail and skip.
//
// suites never imports load or reports, and never the embedded reference
// endpoint outside its own tests.
package suites
