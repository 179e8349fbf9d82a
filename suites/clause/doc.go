// Package clause is partcopy's clause catalogue: the vocabulary that the
// suites, the reports and the CLI share. It holds every clause that
// partcopy certifies against (its ID, title, the statuses and error codes
// the vendor's page "Upload Part - Copy" names for it, the profiles it
// belongs to, the capabilities an endpoint needs for it), the limits the
// clauses speak of (the 5 GiB part, part numbers 1..10,000, the 5 MiB
// minimum part), the Ginkgo label conventions (one clause label per spec,
// "needs:<capability>" labels) and the report-entry names and message
// prefixes by which a spec tells the report it was unsupported, blocked or
// not run.
//
// It is a leaf: it imports only the standard library and nothing of
// partcopy, so every other package may import it. docs/clauses.md is
// generated from it (WriteMarkdown) and a test keeps the two in sync.
package clause
