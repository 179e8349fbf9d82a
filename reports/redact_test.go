package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedactorString(t *testing.T) {
	r := NewRedactor("s3cr3t/+=", "", "tok")
	tests := []struct{ in, want string }{
		{"Authorization: AWS4-HMAC-SHA256 Credential=AK/x, Signature=abc\nHost: h", "Authorization: AWS4-HMAC-SHA256 [REDACTED]\nHost: h"},
		{"authorization:AWS AK:sig", "authorization:AWS [REDACTED]"},
		{`"Authorization":"Bearer zzz","x":1`, `"Authorization":"Bearer [REDACTED]","x":1`},
		{"map[Authorization:[AWS4-HMAC-SHA256 Credential=a, Signature=b] Host:[h]]", "map[Authorization:[REDACTED]"},
		{"X-Amz-Security-Token: FQoG\r\n", "X-Amz-Security-Token: [REDACTED]\r\n"},
		{"x-amz-server-side-encryption-customer-key: a2V5\nx-amz-server-side-encryption-customer-key-MD5: bWQ1", "x-amz-server-side-encryption-customer-key: [REDACTED]\nx-amz-server-side-encryption-customer-key-MD5: bWQ1"},
		{"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key: a2V5", "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key: [REDACTED]"},
		{"GET /b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AK%2F1&X-Amz-Signature=ff00&X-Amz-Security-Token=t%2B1 HTTP/1.1",
			"GET /b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&X-Amz-Security-Token=[REDACTED] HTTP/1.1"},
		{"header value AWS4-HMAC-SHA256 Credential=AK/1, Signature=ff", "header value AWS4-HMAC-SHA256 Credential=AK/1, Signature=[REDACTED]"},
		{"key s3cr3t/+= plain, s3cr3t%2F%2B%3D query-escaped, s3cr3t%2F+= path-escaped", "key [REDACTED] plain, [REDACTED] query-escaped, [REDACTED] path-escaped"},
		{"status=403 code=AccessDenied", "status=403 code=AccessDenied"},
		// A secret shorter than 4 bytes is not removed by value (it would
		// mangle every line); the header's value goes all the same.
		{"x-amz-security-token: FQoGtok", "x-amz-security-token: [REDACTED]"},
		{"Authorization: AWS4-HMAC-SHA256 Credential=tok/1, Signature=ff", "Authorization: AWS4-HMAC-SHA256 [REDACTED]"},
		{"x-amz-server-side-encryption-customer-algorithm: AES256", "x-amz-server-side-encryption-customer-algorithm: AES256"},
		// An unknown scheme could be the secret itself.
		{"Authorization: s3cr3tvalue", "Authorization: [REDACTED]"},
		{"Authorization: Custom s3cr3tvalue", "Authorization: [REDACTED]"},
	}
	for _, tt := range tests {
		got := r.String(tt.in)
		if got != tt.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		// Writers redact a report that was redacted when it was built.
		if again := r.String(got); again != got {
			t.Errorf("String is not idempotent on %q: %q", got, again)
		}
	}
	var nilR *Redactor
	if got := nilR.String("Authorization: x"); got != "Authorization: [REDACTED]" {
		t.Errorf("nil redactor: %q", got)
	}
}

func TestRedactorJSON(t *testing.T) {
	r := NewRedactor("planted")
	tests := []struct{ in, want string }{
		{`{"headers":{"Authorization":["AWS4 x"],"Host":["h"]}}`, `{"headers":{"Authorization":["[REDACTED]"],"Host":["h"]}}`},
		{`{"x-amz-security-token":"t","b":"<Error>planted</Error>"}`, `{"b":"<Error>[REDACTED]</Error>","x-amz-security-token":"[REDACTED]"}`},
		{`[{"name":"X-Amz-Server-Side-Encryption-Customer-Key","value":"k"}]`, `[{"name":"X-Amz-Server-Side-Encryption-Customer-Key","value":"[REDACTED]"}]`},
		{`[["authorization","v"],["Host","h"]]`, `[["authorization","[REDACTED]"],["Host","h"]]`},
		{`{"requestHeaders":{"Authorization":["AWS4-HMAC-SHA256 Credential=AK/1, Signature=ff"]}}`, `{"requestHeaders":{"Authorization":["AWS4-HMAC-SHA256 [REDACTED]"]}}`},
		{`[{"name":"Authorization","value":"AWS AK:sig"}]`, `[{"name":"Authorization","value":"AWS [REDACTED]"}]`},
		{`{"n":12345678901234567890}`, `{"n":12345678901234567890}`},
		{`not json planted`, `"not json [REDACTED]"`},
		{`{"a":1} {"b":2}`, `"{\"a\":1} {\"b\":2}"`},
	}
	for _, tt := range tests {
		got := r.JSON(json.RawMessage(tt.in))
		if string(got) != tt.want {
			t.Errorf("JSON(%s)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("JSON(%s) is not valid JSON", tt.in)
		}
		if again := r.JSON(got); string(again) != string(got) {
			t.Errorf("JSON is not idempotent on %s: %s", got, again)
		}
	}
}

// TestNoSecretInAnyOutput plants secrets in messages, exchange records, the
// endpoint and the observed entries, and checks every output format.
func TestNoSecretInAnyOutput(t *testing.T) {
	c := NewConformance(fixtureMeta(), fixtureSpecs(t), []string{"aborted with token " + sessionToken})
	if len(c.SuiteFailures) != 1 || c.Result != ResultFail {
		t.Errorf("suite failures %v, result %s", c.SuiteFailures, c.Result)
	}

	// The secrets must be gone from the in-memory report too, since callers
	// may write it themselves.
	inMemory, _ := json.Marshal(c)
	outputs := map[string][]byte{"in-memory": inMemory}

	dir := t.TempDir()
	if err := WriteAll(dir, c); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileConformanceJSON, FileJUnit, FileConformanceMD, FileConformanceHTML} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		outputs[f] = b
	}
	// Writers called directly on a report whose fields were set after
	// NewConformance (the secrets list travels with the report).
	c.Specs[0].Message = "late message with " + secretKey
	for name, w := range map[string]func(*bytes.Buffer) error{
		"WriteJSON":     func(b *bytes.Buffer) error { return WriteJSON(b, c) },
		"WriteJUnit":    func(b *bytes.Buffer) error { return WriteJUnit(b, c) },
		"WriteMarkdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, c) },
		"WriteHTML":     func(b *bytes.Buffer) error { return WriteHTML(b, c) },
	} {
		var buf bytes.Buffer
		if err := w(&buf); err != nil {
			t.Fatal(err)
		}
		outputs[name] = buf.Bytes()
	}
	merged, err := Merge(c, c)
	if err != nil {
		t.Fatal(err)
	}
	var mbuf bytes.Buffer
	if err := WriteMarkdown(&mbuf, merged); err != nil {
		t.Fatal(err)
	}
	outputs["merged markdown"] = mbuf.Bytes()

	for name, out := range outputs {
		for _, s := range allSecrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s contains secret %q", name, s)
			}
		}
		// The failed spec's evidence is still there, only redacted.
		if name != "in-memory" && !bytes.Contains(out, []byte(Redacted)) {
			t.Errorf("%s has no [REDACTED] marker: the exchange excerpt is missing", name)
		}
	}
	if !strings.Contains(string(outputs[FileConformanceJSON]), `"x-amz-copy-source":"/src/obj"`) &&
		!strings.Contains(string(outputs[FileConformanceJSON]), `"x-amz-copy-source": "/src/obj"`) {
		t.Errorf("non-secret headers were lost: %s", outputs[FileConformanceJSON])
	}
}
