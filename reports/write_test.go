package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wellFormedXML fails t unless doc is well-formed XML (see xmlWellFormed).
func wellFormedXML(t *testing.T, name string, doc []byte) {
	t.Helper()
	if err := xmlWellFormed(doc); err != nil {
		t.Fatalf("%s is not well-formed XML: %v", name, err)
	}
}

// xmlWellFormed decodes every token of doc; encoding/xml in strict mode
// fails on anything that is not well-formed.
func xmlWellFormed(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestWellFormedXMLCatchesBrokenDocument(t *testing.T) {
	// The check must be able to fail, or the XML checks below prove nothing,
	// and must pass a well-formed document, or they could not pass.
	for _, doc := range []string{`<a><b></a>`, `<meta charset="utf-8"><p>x</p>`, `<a>&nbsp;</a>`, `<a>`, `<a></a><`} {
		if err := xmlWellFormed([]byte(doc)); err == nil {
			t.Errorf("%q passed as well-formed", doc)
		}
	}
	for _, doc := range []string{`<a><b/></a>`, `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><g>&amp;</g></svg>`} {
		if err := xmlWellFormed([]byte(doc)); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

func TestWriteJUnit(t *testing.T) {
	c := fixtureConformance(t)
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, c); err != nil {
		t.Fatal(err)
	}
	wellFormedXML(t, "junit.xml", buf.Bytes())
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 9 || doc.Failures != 2 || doc.Skipped != 4 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 9 {
		t.Fatalf("counts: tests %d failures %d skipped %d suites %d", doc.Tests, doc.Failures, doc.Skipped, len(doc.Suites))
	}
	var failures, skipped, unsupported int
	for _, tc := range doc.Suites[0].Cases {
		if tc.Failure != nil {
			failures++
		}
		if tc.Skipped != nil {
			skipped++
			if strings.HasPrefix(tc.Skipped.Message, "unsupported: ") {
				unsupported++
			}
		}
		switch tc.Name {
		case "UploadPartCopy basic copy copies the whole source":
			if tc.Classname != "D01,D13,D25" || tc.Time != "1.500" || tc.Failure != nil || tc.Skipped != nil {
				t.Errorf("passed case = %+v", tc)
			}
		case "UploadPartCopy overwrites an existing part":
			if tc.Failure == nil || tc.Failure.Message != "Expected ListParts to show one part 1" ||
				!strings.Contains(tc.Failure.Text, "HTTP exchange") || !strings.Contains(tc.Failure.Text, "suites/spec.go:42") {
				t.Errorf("failed case = %+v", tc.Failure)
			}
		}
	}
	if failures != 2 || skipped != 4 || unsupported != 2 {
		t.Errorf("cases: %d failures, %d skipped of which %d unsupported; want 2, 4, 2", failures, skipped, unsupported)
	}
}

func TestWriteMarkdown(t *testing.T) {
	c := fixtureConformance(t)
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, c); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, want := range []string{
		"# partcopy conformance: FAIL", "http://127.0.0.1:9000/", "| Profile | s3 |",
		"3 passed, 2 failed, 2 unsupported, 2 skipped",
		"| D18 | Requester lacks READ on the source bucket: 403 AccessDenied | ✅ pass | UploadPartCopy denies access without READ (passed) | status=403 code=AccessDenied |",
		"| D02 |", "⚠️ not-run", "➖ unsupported",
		"## Failed specs", "### UploadPartCopy overwrites an existing part", "HTTP exchange (excerpt)",
		"## Unsupported",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// Every clause is a table row with five cells.
	for _, cl := range Clauses {
		found := false
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(line, "| "+cl.ID+" | ") {
				found = true
				if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 6 {
					t.Errorf("row %s has %d pipes: %s", cl.ID, n, line)
				}
			}
		}
		if !found {
			t.Errorf("markdown has no row for %s", cl.ID)
		}
	}
}

func TestMarkdownCellEscaping(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a|b", `a\|b`},
		{"line1\nline2", "line1<br>line2"},
		{"<Error>", "&lt;Error>"},
		{`back\slash`, `back\\slash`},
	}
	for _, tt := range tests {
		if got := mdCell(tt.in); got != tt.want {
			t.Errorf("mdCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteHTML(t *testing.T) {
	c := fixtureConformance(t)
	c.Specs[1].Message += "\n<script>alert(1)</script> & more"
	var buf bytes.Buffer
	if err := WriteHTML(&buf, c); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	wellFormedXML(t, "conformance.html", buf.Bytes())
	for _, want := range []string{`class="badge result fail"`, `<span class="badge not-run">not-run</span>`,
		`<span class="badge unsupported">unsupported</span>`, "&lt;script&gt;", "HTTP exchange: "} {
		if !strings.Contains(page, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Error("html does not escape spec messages")
	}
	for _, cl := range Clauses {
		if !strings.Contains(page, "<td>"+cl.ID+"</td>") {
			t.Errorf("html lacks clause %s", cl.ID)
		}
	}
	for _, external := range []string{"<link", "src=", "@import", "url("} {
		if strings.Contains(page, external) {
			t.Errorf("html is not self-contained: has %q", external)
		}
	}
}

func TestWriteAllAndReadBack(t *testing.T) {
	dir := t.TempDir()
	c := fixtureConformance(t)
	if err := WriteAll(dir, c); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileConformanceJSON, FileJUnit, FileConformanceMD, FileConformanceHTML} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	back, err := ReadConformance(filepath.Join(dir, FileConformanceJSON))
	if err != nil {
		t.Fatal(err)
	}
	if back.Summary != c.Summary || len(back.Clauses) != len(c.Clauses) || len(back.Specs) != len(c.Specs) || back.Result != c.Result {
		t.Errorf("round trip changed the report: %+v", back.Summary)
	}
	// Re-deriving from the saved specs gives the saved verdicts.
	re := back
	re.Clauses = append([]ClauseResult(nil), back.Clauses...)
	re.Recompute()
	for i := range re.Clauses {
		if re.Clauses[i].Verdict != back.Clauses[i].Verdict {
			t.Errorf("clause %s: recomputed %s, saved %s", re.Clauses[i].ID, re.Clauses[i].Verdict, back.Clauses[i].Verdict)
		}
	}
	// Exchange records survive as JSON.
	for _, s := range back.Specs {
		for _, e := range s.Exchange {
			if !json.Valid(e) {
				t.Errorf("invalid exchange record %s", e)
			}
		}
	}
}

func TestExchangeExcerpt(t *testing.T) {
	recs := []json.RawMessage{
		json.RawMessage(`{"method":"PUT","url":"http://h/b/k?partNumber=1","requestHeaders":{"Host":["h"]},"status":200,"body":"<?xml version=\"1.0\"?>\n  <Error><Code>SlowDown</Code></Error>","bodyBytes":52,"totalMs":12.34}`),
		json.RawMessage(`{"method":"PUT","url":"http://h/b/k","transportError":"connection reset"}`),
		json.RawMessage(`{"other":"shape",  "n": 1}`),
	}
	got := exchangeExcerpt(recs, 4, 600)
	want := "PUT http://h/b/k?partNumber=1 -> 200 (52 body bytes, 12.3 ms)\n  body: <?xml version=\"1.0\"?> <Error><Code>SlowDown</Code></Error>\n\n" +
		"PUT http://h/b/k -> no response: connection reset\n\n" +
		`{"other":"shape","n":1}`
	if got != want {
		t.Errorf("excerpt:\n%s\nwant:\n%s", got, want)
	}
	if got := exchangeExcerpt(recs, 1, 600); !strings.HasPrefix(got, "(2 earlier records in conformance.json)") || !strings.HasSuffix(got, `{"other":"shape","n":1}`) {
		t.Errorf("excerpt of the last record only:\n%s", got)
	}
	if got := recordExcerpt(json.RawMessage(`{"method":"GET","url":"`+strings.Repeat("x", 50)+`","status":200}`), 10); !strings.Contains(got, "xxxxxxxxxx… (40 more characters)") {
		t.Errorf("long url not cut: %s", got)
	}
}
