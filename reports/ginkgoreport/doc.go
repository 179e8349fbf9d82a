// Package ginkgoreport turns a Ginkgo run into partcopy's conformance report
// (partcopy/conformance/v1, defined in package reports).
//
// It is the only place that knows how the suites speak to the report through
// Ginkgo: clause IDs as spec labels or "[D03]" in a spec's text, feature
// labels, Skip("unsupported: ...") for a missing capability, and the report
// entries partcopy.exchange and partcopy.observed.
//
// It is kept apart from reports so that reports, and the load module that
// uses reports' load schema, depend on no Ginkgo package at all. It reads
// Ginkgo's types package only; it must not import the Ginkgo DSL, Gomega,
// the suites or load.
package ginkgoreport
