package clients

import (
	"fmt"
	"strings"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/reports"
)

// Form is one response form: the fault proxy rules that make the answer to
// the copy, and what a correct client reports for it.
type Form struct {
	// Name identifies the form (letters, digits, '.', '_', '-').
	Name string
	// Title says what the client receives.
	Title string
	// Rules are fault proxy rules (faults.ParseRule grammar); none is the
	// control (a plain pass-through).
	Rules []string
	// Clause is the clause the form is about.
	Clause string
	// Expect is "success" or "error" for the built-in forms: what a correct
	// client reports. Empty for a user's form. The verdict never uses it:
	// it is read from what the proxy actually sent (see judge); Expect is
	// documentation, and a test checks the two agree.
	Expect string
}

// Keep-alive timing of the S06 forms: whitespace every 250ms for at least
// 1s, so every client sees several rounds of it and the matrix stays quick.
const keepaliveArgs = "250ms,1s"

// BuiltinForms are the forms of issue #13, in matrix order.
func BuiltinForms() []Form {
	return []Form{
		{Name: "control", Title: "a normal 200 CopyPartResult", Clause: "D01", Expect: "success"},
		{Name: "error200", Title: "200 whose body is an S3 <Error>", Rules: []string{"copy:error200"}, Clause: "D02", Expect: "error"},
		{Name: "empty200", Title: "200 with an empty body", Rules: []string{"copy:empty200"}, Clause: "D02", Expect: "error"},
		{Name: "noetag200", Title: "200 CopyPartResult without ETag", Rules: []string{"copy:noetag200"}, Clause: "D02", Expect: "error"},
		{Name: "truncate", Title: "200, half the body, then the connection drops", Rules: []string{"copy:truncate"}, Clause: "D02", Expect: "error"},
		{Name: "keepalive", Title: "200, XML declaration, keep-alive whitespace, then the result (legal)", Rules: []string{"copy:keepalive=" + keepaliveArgs}, Clause: "S06", Expect: "success"},
		{Name: "keepalive-error", Title: "200, XML declaration, keep-alive whitespace, then an <Error>", Rules: []string{"copy:keepalive-error=" + keepaliveArgs}, Clause: "S06", Expect: "error"},
		{Name: "pre-decl-whitespace", Title: "200, whitespace BEFORE the XML declaration, then the result (the copy succeeded; the body still carries its ETag)", Rules: []string{"copy:pre-decl-whitespace=" + keepaliveArgs}, Clause: "S06", Expect: "success"},
		{Name: "status500", Title: "500 with an S3 InternalError body (every attempt)", Rules: []string{"copy:status=500"}, Clause: "", Expect: "error"},
		{Name: "status503", Title: "503 SlowDown (every attempt)", Rules: []string{"copy:status=503"}, Clause: "", Expect: "error"},
	}
}

// Report returns the form as the report describes it.
func (f Form) Report() reports.ClientForm {
	return reports.ClientForm{Name: f.Name, Title: f.Title, Rules: append([]string{}, f.Rules...), Clause: f.Clause, Expect: f.Expect}
}

// SelectForms picks built-in forms by name, in the order given; "all" or
// an empty list selects every built-in form.
func SelectForms(names []string) ([]Form, error) {
	all := BuiltinForms()
	if len(names) == 0 || len(names) == 1 && names[0] == "all" {
		return all, nil
	}
	var out []Form
	for _, n := range names {
		found := false
		for _, f := range all {
			if f.Name == n {
				out = append(out, f)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown form %q (built-in forms: %s)", n, strings.Join(FormNames(all), ", "))
		}
	}
	return out, nil
}

// FormNames lists the names of forms.
func FormNames(forms []Form) []string {
	out := make([]string, len(forms))
	for i, f := range forms {
		out[i] = f.Name
	}
	return out
}

// ParseFormFlags reads user forms from --form values "NAME=RULE". The same
// NAME given again adds a rule to that form (rules combine as in the proxy:
// in flag order). Every rule is checked with faults.ParseRule.
func ParseFormFlags(values []string) ([]Form, error) {
	var out []Form
	idx := map[string]int{}
	for _, v := range values {
		name, rule, ok := strings.Cut(v, "=")
		name, rule = strings.TrimSpace(name), strings.TrimSpace(rule)
		if !ok || name == "" || rule == "" {
			return nil, fmt.Errorf("--form %q: want NAME=RULE, e.g. --form 'slow503=copy:status=503@0.5'", v)
		}
		if !validName(name) {
			return nil, fmt.Errorf("--form %q: the name may hold letters, digits, '.', '_' and '-' only", v)
		}
		if _, err := faults.ParseRule(rule); err != nil {
			return nil, fmt.Errorf("--form %s: %w", name, err)
		}
		if i, seen := idx[name]; seen {
			out[i].Rules = append(out[i].Rules, rule)
			out[i].Title = "user form: " + strings.Join(out[i].Rules, " + ")
			continue
		}
		idx[name] = len(out)
		out = append(out, Form{Name: name, Title: "user form: " + rule, Rules: []string{rule}})
	}
	return out, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-", c)) {
			return false
		}
	}
	return true
}
