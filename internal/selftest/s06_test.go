package selftest

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/reports"
)

// xmlDecl is the declaration the reference endpoint and the proxy write.
const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// The streamed forms (keepalive, pre-decl-whitespace) send the 200 and the
// first bytes at once, before the target has answered - that is what a
// long copy looks like (S06). Two things of the target's answer therefore
// cannot reach the client, and the tests below account for both:
//
//   - its status: a copy the target refuses (404 NoSuchUpload, 403
//     AccessDenied, 400 InvalidArgument...) arrives as 200 + keep-alive +
//     <Error>, which is the keepalive-error form of D02 with the target's
//     code. As in TestD02FailureFormsFailExactlyTheSpecsThatReceiveThem, a
//     spec that received such a 200 must fail (a real server refuses
//     before it starts copying, with the documented status);
//   - its response headers: the SSE echo of D14 (SSE-C algorithm and key
//     MD5, SSE-KMS key id) is lost, so a spec that checks the echo may
//     fail. Such specs (labelled D14, or sending destination SSE-C
//     headers) end either way.
//
// Every other spec must end exactly as it does without the proxy.

// finalRoot returns the root element's opening of a recorded copy body,
// after any whitespace and the declaration: "<Error>", "<CopyPartResult"...
func finalRoot(body string) string {
	b := bytes.TrimLeft([]byte(body), " \t\r\n")
	if bytes.HasPrefix(b, []byte("<?xml")) {
		if i := bytes.Index(b, []byte("?>")); i >= 0 {
			b = b[i+2:]
		}
	}
	b = bytes.TrimLeft(b, " \t\r\n")
	if i := bytes.IndexAny(b, " >"); i >= 0 {
		b = b[:i+1]
	}
	return string(b)
}

// headerLossy reports whether a spec may depend on response headers a
// streamed answer loses: it names D14, or one of its faulted copies sent
// destination SSE-C headers (the target echoes those, D14).
func headerLossy(s specRun) bool {
	if slices.Contains(s.Clauses, "D14") {
		return true
	}
	for _, r := range s.Faulted() {
		if http.Header(r.RequestHeaders).Get(s3call.HdrSSECAlgorithm) != "" {
			return true
		}
	}
	return false
}

// streamedTally counts how the specs of a streamed-form run were judged.
type streamedTally struct {
	receivers, refusals, lossy, compared int
}

// checkStreamed checks a run with a streamed form on every copy against
// the baseline, spec by spec, as the comment above says. prefix is how
// every faulted body must start; skip names specs the caller checks
// itself.
func checkStreamed(t *testing.T, form, prefix string, base, got map[string]specRun, skip []string) streamedTally {
	t.Helper()
	var n streamedTally
	for _, name := range sortedNames(got) {
		if _, ok := base[name]; !ok {
			t.Errorf("spec %q ran through the proxy but not without it", name)
		}
	}
	for _, name := range sortedNames(base) {
		g, ok := got[name]
		if !ok {
			t.Errorf("spec %q ran without the proxy but not through it", name)
			continue
		}
		faulted := g.Faulted()
		refused := false
		for _, r := range faulted {
			// The form really came: the marks, the status, the bytes.
			if !slices.Equal(r.Faults, []string{form}) || r.Status != http.StatusOK || !strings.HasPrefix(r.Body, prefix) {
				t.Errorf("spec %q: a faulted record is not a %s answer (want 200 and a body starting %q): %s", name, form, prefix, r)
			}
			if finalRoot(r.Body) == "<Error>" {
				refused = true
			}
		}
		if len(faulted) > 0 {
			n.receivers++
		}
		if slices.Contains(skip, name) {
			continue
		}
		b := base[name]
		switch {
		case refused && slices.Contains(g.Clauses, "D02"):
			// The D02 spec asks only that a refused copy be reported as a
			// failure, and S06 makes 200 + <Error> a legal report: for it,
			// the streamed refusal changes nothing.
			n.compared++
			if g.State != b.State {
				t.Errorf("%s: spec ended %s through the proxy, %s without it:\n  - %s", form, g.State, b.State, g.describe())
			}
		case refused:
			// A refusal moved to 200: the spec expected another status.
			n.refusals++
			if g.State != reports.StateFailed {
				t.Errorf("%s: a spec received a refusal answered 200 + <Error> and did not fail:\n  - %s", form, g.describe())
			}
		case headerLossy(g):
			n.lossy++
			if g.State != b.State {
				t.Logf("%s: spec %q ended %s (%s without the proxy): it may check the D14 echo the streamed answer loses", form, name, g.State, b.State)
			}
		default:
			n.compared++
			if g.State != b.State {
				t.Errorf("%s: spec ended %s through the proxy, %s without it:\n  - %s", form, g.State, b.State, g.describe())
			}
		}
	}
	return n
}

// TestKeepaliveWhitespaceIsHarmless injects S06 keep-alive - the 200 and
// the XML declaration at once, whitespace while the copy runs, then the
// real result - on every copy. S06: the client waits for and parses the
// final body, so every spec whose copies the target accepted must end
// exactly as it does without the proxy.
func TestKeepaliveWhitespaceIsHarmless(t *testing.T) {
	t.Parallel()
	const rule = "copy:keepalive=10ms,30ms"
	base := specs(t, baselineRun(t).Report)
	res := conform(t, []string{rule}, 1)
	got := specs(t, res.Report)
	st := res.Stats[0]

	// Declaration, newline, at least one keep-alive space (every 10ms for
	// 30ms).
	n := checkStreamed(t, "keepalive", xmlDecl+"\n ", base, got, nil)
	c := countStates(got)
	t.Logf("keepalive (%s): %d of %d copies answered with keep-alive, %d specs received it: %d compared with the run without proxy, %d got a refusal as 200 + <Error>, %d may check the lost D14 echo; specs: %d passed, %d failed, %d unsupported, %d skipped; conform took %s",
		rule, st.Fired, st.Matched, n.receivers, n.compared, n.refusals, n.lossy,
		c[reports.StatePassed], c[reports.StateFailed], c[reports.StateUnsupported], c[reports.StateSkipped],
		res.Elapsed.Round(100*time.Millisecond))
	if st.Fired != st.Matched || st.Fired == 0 {
		t.Errorf("keep-alive answered %d of %d copies, want all", st.Fired, st.Matched)
	}
	if n.receivers < minReceivers || n.compared < len(base)/4 {
		t.Errorf("%d specs received keep-alive answers and %d were compared: too few to prove anything", n.receivers, n.compared)
	}
}

// TestPreDeclWhitespaceFailsS06 injects whitespace before the XML
// declaration on every copy: not well-formed XML, the S06 deviation that
// breaks common clients. S06's spec must fail. The client's D02 rule reads
// the verdict from the body all the same, so every other spec whose copies
// the target accepted must end as it does without the proxy.
func TestPreDeclWhitespaceFailsS06(t *testing.T) {
	t.Parallel()
	const rule = "copy:pre-decl-whitespace"
	base := specs(t, baselineRun(t).Report)
	res := conform(t, []string{rule}, 1)
	got := specs(t, res.Report)

	var s06 []string
	for _, name := range sortedNames(got) {
		s := got[name]
		if !slices.Contains(s.Clauses, "S06") {
			continue
		}
		s06 = append(s06, name)
		if s.State != reports.StateFailed {
			t.Errorf("S06 spec did not fail with whitespace before the XML declaration:\n  - %s", s.describe())
		}
		if len(s.Faulted()) == 0 {
			t.Errorf("S06 spec %q received no pre-decl-whitespace answer: the run proves nothing", name)
		}
	}
	if len(s06) == 0 {
		t.Fatal("no spec names S06")
	}
	verdict := reports.VerdictNotRun
	for _, cl := range res.Report.Clauses {
		if cl.ID == "S06" {
			verdict = cl.Verdict
		}
	}
	if verdict != reports.VerdictFail {
		t.Errorf("clause S06 verdict %s, want fail", verdict)
	}

	n := checkStreamed(t, "pre-decl-whitespace", "\n"+xmlDecl, base, got, s06)
	c := countStates(got)
	t.Logf("pre-decl-whitespace (%s): %d copies answered, %d specs received it; S06 verdict %s (%d spec); besides S06: %d compared with the run without proxy, %d got a refusal as 200 + <Error>, %d may check the lost D14 echo; specs: %d failed, %d passed, %d unsupported, %d skipped; conform took %s",
		rule, res.Stats[0].Fired, n.receivers, verdict, len(s06), n.compared, n.refusals, n.lossy,
		c[reports.StateFailed], c[reports.StatePassed], c[reports.StateUnsupported], c[reports.StateSkipped],
		res.Elapsed.Round(100*time.Millisecond))
	if n.compared < len(base)/4 {
		t.Errorf("only %d specs were compared with the run without proxy: too few to prove anything", n.compared)
	}
}
