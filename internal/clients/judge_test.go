package clients

import (
	"strings"
	"testing"

	"github.com/partcopy/partcopy/reports"
)

const okBody = `<?xml version="1.0" encoding="UTF-8"?>
<CopyPartResult><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"0123456789abcdef0123456789abcdef"</ETag></CopyPartResult>`

// TestJudge covers every verdict and the rule that the truth is the last
// copy answer the proxy sent, whatever the form meant to send.
func TestJudge(t *testing.T) {
	good := answer{status: 200, body: []byte(okBody)}
	empty := answer{status: 200, body: []byte{}}
	errIn200 := answer{status: 200, body: []byte(`<?xml version="1.0"?><Error><Code>InternalError</Code><Message>m</Message></Error>`)}
	cut := answer{status: 200, body: []byte(okBody[:60]), aborted: true}
	// A complete body whose connection was dropped anyway is not a success.
	dropped := answer{status: 200, body: []byte(okBody), aborted: true}
	reset := answer{}
	preDecl := answer{status: 200, body: []byte("\n   " + okBody)}
	slowDown := answer{status: 503, body: []byte(`<Error><Code>SlowDown</Code><Message>m</Message></Error>`)}
	complete := answer{complete: true, status: 200, body: []byte(`<CompleteMultipartUploadResult><ETag>"x-1"</ETag></CompleteMultipartUploadResult>`)}
	completeFail := answer{complete: true, status: 400, body: []byte(`<Error><Code>InvalidPart</Code><Message>m</Message></Error>`)}

	success := func(etag string) reports.ClientReported {
		return reports.ClientReported{Success: true, ETag: etag}
	}
	failure := reports.ClientReported{ExitCode: 1, Error: "boom"}
	timedOut := reports.ClientReported{ExitCode: -1, TimedOut: true}
	const etag = `"0123456789abcdef0123456789abcdef"`

	for _, tt := range []struct {
		name    string
		rep     reports.ClientReported
		answers []answer
		want    reports.ClientVerdict
		detail  string
	}{
		{"good copy, its ETag", success(etag), []answer{good}, reports.ClientOK, "reported its ETag"},
		{"good copy, ETag without quotes", success("0123456789abcdef0123456789abcdef"), []answer{good}, reports.ClientOK, ""},
		{"good copy, other ETag", success(`"ffff"`), []answer{good}, reports.ClientSilent, "reported ETag"},
		{"good copy, entity-encoded ETag", success(`&#34;0123456789abcdef0123456789abcdef&#34;`), []answer{good}, reports.ClientSilent, "reported ETag"},
		{"good copy, no ETag", success(""), []answer{good}, reports.ClientSilent, "without an ETag"},
		{"good copy, error", failure, []answer{good}, reports.ClientFalseFailure, "reported an error"},
		{"good copy, timeout", timedOut, []answer{good}, reports.ClientFalseFailure, "timeout"},
		{"pre-decl whitespace is a good copy", failure, []answer{preDecl}, reports.ClientFalseFailure, ""},
		{"empty 200, success", success(""), []answer{empty}, reports.ClientSilent, "empty-200"},
		{"error in 200, success", success(""), []answer{errIn200}, reports.ClientSilent, "error-in-200"},
		{"error in 200, error", failure, []answer{errIn200}, reports.ClientDetected, ""},
		{"truncated, error", failure, []answer{cut}, reports.ClientDetected, "truncated"},
		{"dropped after a full body, success", success(etag), []answer{dropped}, reports.ClientSilent, ""},
		{"reset, error", failure, []answer{reset}, reports.ClientDetected, "transport"},
		{"503 then good, success", success(etag), []answer{slowDown, good}, reports.ClientOK, ""},
		{"good then 503, success", success(etag), []answer{good, slowDown}, reports.ClientSilent, "http-error"},
		{"failed copy, noticed at Complete", failure, []answer{empty, completeFail}, reports.ClientLate, "CompleteMultipartUpload"},
		{"failed copy, Complete passed, success", success(""), []answer{empty, complete}, reports.ClientSilent, ""},
		{"good copy, Complete failed, error", failure, []answer{good, completeFail}, reports.ClientDetected, "CompleteMultipartUpload failed"},
		{"good copy, Complete failed, success", success(etag), []answer{good, completeFail}, reports.ClientSilent, "CompleteMultipartUpload failed"},
		{"good copy and Complete, success", success(etag), []answer{good, complete}, reports.ClientOK, ""},
		{"failed copy, timeout", timedOut, []answer{errIn200}, reports.ClientDetected, "timeout"},
		{"nothing reached the proxy", success(etag), nil, reports.ClientNotRun, "PARTCOPY_ENDPOINT"},
		{"only a Complete reached the proxy", failure, []answer{completeFail}, reports.ClientNotRun, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, ans, detail := judge(tt.rep, tt.answers)
			if v != tt.want {
				t.Errorf("verdict %s, want %s (%s)", v, tt.want, detail)
			}
			if !strings.Contains(detail, tt.detail) {
				t.Errorf("detail %q does not say %q", detail, tt.detail)
			}
			if (ans == nil) != (v == reports.ClientNotRun) {
				t.Errorf("answer %+v for verdict %s", ans, v)
			}
		})
	}
}

// TestRedactOutput: the report redactor's patterns, the explicit secret and
// SigV4 debug values (64 hex digits) go; an ETag stays.
func TestRedactOutput(t *testing.T) {
	red := reports.NewRedactor("s3cr3t-key-value")
	in := "key s3cr3t-key-value\nAuthorization: AWS4-HMAC-SHA256 Credential=AK/x, Signature=abc\n" +
		"botocore.auth [DEBUG] Signature:\n769873406de574560c7e7a65779e770c9d78bbd06ffecc125798488e7a0e1b08\n" +
		`ETag "0123456789abcdef0123456789abcdef"`
	out := redactOutput(red, in)
	for _, leak := range []string{"s3cr3t-key-value", "Signature=abc", "769873406de5745"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q survived: %s", leak, out)
		}
	}
	if !strings.Contains(out, "0123456789abcdef0123456789abcdef") {
		t.Errorf("the ETag was redacted: %s", out)
	}
}

// TestParseFormFlags: NAME=RULE, a repeated name combines rules, bad rules
// and names are refused with the flag named.
func TestParseFormFlags(t *testing.T) {
	forms, err := ParseFormFlags([]string{"flaky=copy:status=503@0.5", "flaky=latency=10ms", "slow=keepalive=100ms,200ms"})
	if err != nil {
		t.Fatal(err)
	}
	if len(forms) != 2 || len(forms[0].Rules) != 2 || forms[1].Name != "slow" || forms[0].Expect != "" {
		t.Fatalf("forms %+v", forms)
	}
	for _, bad := range []string{"noequals", "=copy:empty200", "x=", "bad name=empty200", "x=bogus-action"} {
		if _, err := ParseFormFlags([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := SelectForms([]string{"control", "nope"}); err == nil {
		t.Error("unknown form accepted")
	}
	all, _ := SelectForms(nil)
	if len(all) != 10 {
		t.Errorf("%d built-in forms, want the issue's 10", len(all))
	}
}
