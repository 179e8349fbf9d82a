// Package reports defines partcopy's versioned report schemas and writes
// them: the conformance report (partcopy/conformance/v1), built with
// NewConformance from the specs of a run, and the load report
// (partcopy/load/v1) that the load module fills.
//
// Writers render a report as JSON, JUnit XML, Markdown and self-contained
// HTML (with hand-written SVG plots for load results). Compare and Merge work
// on saved JSON so CI can gate on regressions between runs.
//
// Every string is passed through a Redactor before it is written: secrets
// (Authorization headers, session tokens, SSE-C keys, presigned-URL
// signatures, and any explicit secret the caller names) never reach a file.
//
// This package must not import the suites or load packages (load imports
// reports for the schema types) nor any Ginkgo or Gomega package: load never
// depends on Ginkgo. Turning a Ginkgo report into a conformance report is
// the job of the subpackage ginkgoreport.
package reports
