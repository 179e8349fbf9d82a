package selftest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// minReceivers is how many specs must receive a form for its run to prove
// anything.
const minReceivers = 3

// TestD02FailureFormsFailExactlyTheSpecsThatReceiveThem runs the suite
// through the proxy once per D02 failure form - a 200 that is not a
// successful copy - injected on some copy-part requests only. D02: a spec
// that received such an answer must fail, whatever it expected of that copy
// (a copy expected to be refused that is answered 200 fails it as well);
// a spec that did not receive one must not fail (no collateral failures).
func TestD02FailureFormsFailExactlyTheSpecsThatReceiveThem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		form string
		// rule injects the form on a subset of copies so that some specs
		// receive it and most do not: every copy into part 2, or a seeded
		// fifth of all copies. The suite runs its specs in a fixed order
		// (one top-level container), so a seed picks the same copies every
		// run of the same suite.
		rule string
		// seed differs per form so that the shares differ.
		seed int64
		// shape says whether a faulted record is what the form sends, so
		// that a spec is never credited with a fault it did not see.
		shape func(r record) bool
	}{
		{"noetag200", "copy?partNumber=2:noetag200", 0, func(r record) bool {
			return r.Status == 200 && strings.Contains(r.Body, "<CopyPartResult><LastModified>") && !strings.Contains(r.Body, "ETag")
		}},
		{"empty200", "copy:empty200@20%", 2, func(r record) bool {
			return r.Status == 200 && r.BodyBytes == 0 && r.BodyError == ""
		}},
		{"error200", "copy:error200@20%", 3, func(r record) bool {
			return r.Status == 200 && finalRoot(r.Body) == "<Error>" && !strings.HasPrefix(r.Body, xmlDecl+"\n ")
		}},
		{"truncate", "copy?partNumber=2:truncate", 0, func(r record) bool {
			return r.Status == 200 && r.BodyError != "" && !strings.Contains(r.Body, "</CopyPartResult>")
		}},
		// S06+D02: the declaration, keep-alive whitespace, then <Error>.
		{"keepalive-error", "copy:keepalive-error=10ms,30ms@20%", 4, func(r record) bool {
			return r.Status == 200 && strings.HasPrefix(r.Body, xmlDecl+"\n ") && finalRoot(r.Body) == "<Error>"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.form, func(t *testing.T) {
			t.Parallel()
			res := conform(t, []string{tt.rule}, tt.seed)
			got := specs(t, res.Report)
			fired := res.Stats[0].Fired

			var receivers, collateral, survived []string
			recorded := 0
			for _, name := range sortedNames(got) {
				s := got[name]
				faulted := s.Faulted()
				recorded += len(faulted)
				for _, r := range faulted {
					if !slices.Equal(r.Faults, []string{tt.form}) || !tt.shape(r) {
						t.Errorf("spec %q: a faulted record is not a %s answer: %s", name, tt.form, r)
					}
				}
				switch {
				case len(faulted) > 0:
					receivers = append(receivers, name)
					if s.State != reports.StateFailed {
						// (a) D02: the spec took a 200 that is not a
						// successful copy and did not fail.
						survived = append(survived, s.describe())
					}
				case s.State == reports.StateFailed:
					// (b) A failure the fault cannot explain.
					collateral = append(collateral, s.describe())
				}
			}
			c := countStates(got)
			t.Logf("%s (%s): %d faults injected, %d specs received one; specs: %d failed, %d passed, %d unsupported, %d skipped; conform took %s",
				tt.form, tt.rule, fired, len(receivers), c[reports.StateFailed], c[reports.StatePassed],
				c[reports.StateUnsupported], c[reports.StateSkipped], res.Elapsed.Round(100*time.Millisecond))

			for _, s := range survived {
				t.Errorf("D02 (%s): a spec received the fault but did not fail:\n  - %s", tt.form, s)
			}
			for _, s := range collateral {
				t.Errorf("%s: a spec failed without receiving any fault (collateral failure):\n  - %s", tt.form, s)
			}
			// (c) Not vacuous, either way: several specs received the
			// fault, and most did not.
			if len(receivers) < minReceivers {
				t.Errorf("%s: only %d spec(s) received the fault (%q), want >= %d: the run proves nothing",
					tt.form, len(receivers), receivers, minReceivers)
			}
			if ran := c[reports.StatePassed] + c[reports.StateFailed]; 2*len(receivers) > ran {
				t.Errorf("%s: %d of the %d specs that ran received the fault, want fewer than half: no collateral failure could show",
					tt.form, len(receivers), ran)
			}
			// Every injected fault shows in some spec's records: one that
			// did not (cut from a long spec's records, or made during a
			// cleanup) could hide a spec that received it and passed.
			if int64(recorded) != fired {
				t.Errorf("%s: the proxy injected %d faults but the specs' records show %d:\n  %s",
					tt.form, fired, recorded, strings.Join(res.ProxyLog, "\n  "))
			}
		})
	}
}
