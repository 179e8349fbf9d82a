package clients

import (
	"fmt"
	"strings"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/reports"
)

// judge compares what the client reported with what the proxy actually
// sent (answers, in order). The copy is good only if the last copy answer
// passes the D02 rule (s3call.CopyPartOutcome) and every complete answer
// after it passes s3call.CompleteOutcome. Then:
//
//	good copy,   client success, its ETag      -> ok
//	good copy,   client success, other ETag    -> silent (its record of the copy is wrong)
//	good copy,   client error                  -> false-failure
//	failed copy, client success                -> silent
//	failed copy, client error after a Complete -> late
//	failed copy, client error                  -> detected
//	no copy reached the proxy                  -> not-run
func judge(rep reports.ClientReported, answers []answer) (reports.ClientVerdict, *reports.ClientAnswer, string) {
	lastCopy := -1
	for i, a := range answers {
		if !a.complete {
			lastCopy = i
		}
	}
	if lastCopy < 0 {
		what := "reported an error"
		if rep.Success {
			what = "reported success"
		}
		return reports.ClientNotRun, nil, "the client " + what + " but no copy-part request reached the proxy: does it use PARTCOPY_ENDPOINT?"
	}
	last := answers[lastCopy]
	o := last.outcome()
	ans := &reports.ClientAnswer{Status: o.Status, Outcome: string(o.Kind), ETag: o.ETag, Detail: o.String(), Faults: append([]string{}, last.faults...)}
	var completes []s3call.Outcome
	for _, a := range answers[lastCopy+1:] {
		completes = append(completes, a.outcome())
	}
	completeFailed := ""
	for _, c := range completes {
		if !c.OK {
			completeFailed = c.String()
		}
	}
	reported := s3call.TrimETag(strings.TrimSpace(rep.ETag))
	answered := s3call.TrimETag(o.ETag)

	switch {
	case o.OK && completeFailed == "" && rep.Success:
		if reported == "" {
			return reports.ClientSilent, ans, "the copy succeeded (ETag " + o.ETag + ") but the client reported success without an ETag: it cannot complete the upload"
		}
		if reported != answered {
			return reports.ClientSilent, ans, fmt.Sprintf("the copy succeeded with ETag %s but the client reported ETag %q", o.ETag, rep.ETag)
		}
		return reports.ClientOK, ans, "the copy succeeded and the client reported its ETag"
	case o.OK && completeFailed == "":
		if rep.TimedOut {
			return reports.ClientFalseFailure, ans, "the copy succeeded (" + o.String() + ") but the client did not finish before the timeout"
		}
		return reports.ClientFalseFailure, ans, "the copy succeeded (" + o.String() + ") but the client reported an error"
	case o.OK:
		if rep.Success {
			return reports.ClientSilent, ans, "the copy succeeded but CompleteMultipartUpload failed (" + completeFailed + ") and the client reported success"
		}
		return reports.ClientDetected, ans, "the copy succeeded, CompleteMultipartUpload failed (" + completeFailed + ") and the client reported an error"
	case rep.Success:
		return reports.ClientSilent, ans, "the copy failed (" + o.String() + ") but the client reported success"
	case len(completes) > 0:
		return reports.ClientLate, ans, "the copy failed (" + o.String() + "); the client went on to CompleteMultipartUpload and only failed there"
	case rep.TimedOut:
		return reports.ClientDetected, ans, "the copy failed (" + o.String() + "); the client never reported success (killed at the timeout)"
	}
	return reports.ClientDetected, ans, "the copy failed (" + o.String() + ") and the client reported an error"
}
