package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testProvenance() *Provenance {
	return &Provenance{
		PartcopyVersion: "v0.0.0-20261204185455-1284635e03fd",
		VCSRevision:     "1284635e03fd11a14802fa859d54f69b2f179f2a",
		VCSTime:         "2026-12-04T18:54:55Z",
		VCSModified:     true,
		GoVersion:       "go1.26.8",
		// A secret the collector missed is still caught by the report's own.
		CommandLine: []string{"partcopy", "conform", "--endpoint", "http://127.0.0.1:9000", "--labels", "D01 || D02", "--note=" + secretKey},
		AWSProfile:  "cluster",
	}
}

// TestProvenanceInEveryWriter: every conformance and load file shows the
// build, the Go version and the command line, redacted, and the JSON still
// matches its schema.
func TestProvenanceInEveryWriter(t *testing.T) {
	dir := t.TempDir()
	meta := fixtureMeta()
	meta.Provenance = testProvenance()
	if err := WriteAll(dir, NewConformance(meta, fixtureSpecs(t), nil)); err != nil {
		t.Fatal(err)
	}
	l := fixtureLoad()
	l.Provenance = testProvenance()
	l.Provenance.CommandLine = l.Provenance.CommandLine[:6]
	if err := WriteLoadAll(dir, l); err != nil {
		t.Fatal(err)
	}
	cl := fixtureClients()
	cl.Provenance = l.Provenance
	cdir := filepath.Join(dir, "clients")
	if err := WriteClients(cdir, cl); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileConformanceJSON, FileJUnit, FileConformanceMD, FileConformanceHTML, FileLoadJSON, FileLoadMD, FileLoadHTML,
		"clients/clients.json", "clients/clients.md", "clients/clients.html"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, want := range []string{"1284635e03fd11a14802fa859d54f69b2f179f2a", "go1.26.8", "conform", "127.0.0.1:9000", "cluster"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s does not show %q", f, want)
			}
		}
		if strings.Contains(s, secretKey) {
			t.Errorf("%s shows the secret key", f)
		}
		if !strings.HasSuffix(f, ".json") && !strings.Contains(s, "dirty") {
			t.Errorf("%s does not say the tree was modified", f)
		}
	}
	for _, f := range []struct{ file, schema string }{{FileConformanceJSON, ConformanceSchema}, {FileLoadJSON, LoadSchema}, {"clients/clients.json", ClientsSchema}} {
		b, err := os.ReadFile(filepath.Join(dir, f.file))
		if err != nil {
			t.Fatal(err)
		}
		newValidator(t, f.schema).check(t, f.file, b)
	}
}

// TestLoadNamesItsParameters: the open loop's number is the in-flight cap,
// the closed loop's the workers, and SSE-C is named by mode.
func TestLoadNamesItsParameters(t *testing.T) {
	l := fixtureLoad()
	l.SSECMode = "source"
	var md bytes.Buffer
	if err := WriteLoadMarkdown(&md, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| In-flight cap | 64 |", "| SSE-C | source |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("open-loop load.md lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "Concurrency") {
		t.Errorf("open-loop load.md says Concurrency")
	}
	l.Mode, l.SSECMode, l.SSEC = ModeClosed, "", false
	md.Reset()
	if err := WriteLoadMarkdown(&md, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| Workers | 64 |", "| SSE-C | none |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("closed-loop load.md lacks %q", want)
		}
	}
}

func TestModuleRelative(t *testing.T) {
	if moduleRoot == "" {
		t.Fatal("no module root")
	}
	for in, want := range map[string]string{
		moduleRoot + "/suites/d01.go:12":        "suites/d01.go:12",
		"/elsewhere/suites/d01.go:12":           "/elsewhere/suites/d01.go:12",
		moduleRoot + "x/suites/d01.go:3":        moduleRoot + "x/suites/d01.go:3",
		"":                                      "",
		moduleRoot + "/reports/provenance.go:1": "reports/provenance.go:1",
	} {
		if got := ModuleRelative(in); got != want {
			t.Errorf("ModuleRelative(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProvenanceCommand(t *testing.T) {
	p := &Provenance{CommandLine: []string{"partcopy", "conform", "--labels", "D01 || D02", "--x=it's"}}
	if got, want := p.Command(), `partcopy conform --labels 'D01 || D02' '--x=it'\''s'`; got != want {
		t.Errorf("Command() = %s, want %s", got, want)
	}
	var nilP *Provenance
	if nilP.Rows() != nil || nilP.Revision() != "unknown" {
		t.Errorf("nil provenance renders")
	}
}
