package reports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMerge(t *testing.T) {
	t1 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a := Conformance{Schema: ConformanceSchema, Endpoint: "http://e", Profile: ProfileOBS, GeneratedAt: t1, PartcopyVersion: "v1",
		Specs: []SpecResult{
			{Name: "x", Clauses: []string{"D01"}, State: StatePassed},
			{Name: "y", Clauses: []string{"D03"}, State: StateSkipped},
			{Name: "z", Clauses: []string{"D05"}, State: StatePassed},
			{Name: "w", Clauses: []string{"D12"}, State: StateUnsupported, Message: "unsupported: no STS"},
		}}
	b := Conformance{Schema: ConformanceSchema, Endpoint: "http://e", Profile: ProfileS3, GeneratedAt: t1.Add(time.Hour), PartcopyVersion: "v1",
		Implementation: &Implementation{Name: "minio"},
		SuiteFailures:  []string{"AfterSuite: cleanup failed"},
		Specs: []SpecResult{
			{Name: "y", Clauses: []string{"D03"}, State: StatePassed},                  // skipped in a, ran here
			{Name: "z", Clauses: []string{"D05"}, State: StateFailed, Message: "boom"}, // failure wins
			{Name: "w", Clauses: []string{"D12"}, State: StateSkipped},                 // unsupported beats skipped
			{Name: "s", Clauses: []string{"S01"}, State: StatePassed},
		}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Profile != ProfileS3 || len(m.Clauses) != 33 || !m.GeneratedAt.Equal(t1.Add(time.Hour)) || m.Implementation == nil || m.PartcopyVersion != "v1" {
		t.Errorf("header: profile %s, %d clauses, time %v, impl %v, version %q", m.Profile, len(m.Clauses), m.GeneratedAt, m.Implementation, m.PartcopyVersion)
	}
	want := map[string]SpecState{"x": StatePassed, "y": StatePassed, "z": StateFailed, "w": StateUnsupported, "s": StatePassed}
	if len(m.Specs) != len(want) {
		t.Errorf("%d specs, want %d", len(m.Specs), len(want))
	}
	for _, s := range m.Specs {
		if s.State != want[s.Name] {
			t.Errorf("spec %s = %s, want %s", s.Name, s.State, want[s.Name])
		}
	}
	verdict := map[string]Verdict{}
	for _, c := range m.Clauses {
		verdict[c.ID] = c.Verdict
	}
	for id, v := range map[string]Verdict{"D01": VerdictPass, "D03": VerdictPass, "D05": VerdictFail, "D12": VerdictUnsupported, "S01": VerdictPass, "S02": VerdictNotRun} {
		if verdict[id] != v {
			t.Errorf("clause %s = %s, want %s", id, verdict[id], v)
		}
	}
	if m.Summary != (Summary{Passed: 3, Failed: 1, Unsupported: 1}) || m.Result != ResultFail || len(m.SuiteFailures) != 1 {
		t.Errorf("summary %+v result %s suite failures %v", m.Summary, m.Result, m.SuiteFailures)
	}

	if _, err := Merge(); err == nil {
		t.Error("merge of nothing succeeded")
	}
	other := b
	other.Endpoint = "http://other"
	if _, err := Merge(a, other); err == nil || !strings.Contains(err.Error(), "endpoint") {
		t.Errorf("different endpoints: %v", err)
	}
	bad := b
	bad.Schema = "partcopy/conformance/v9"
	if _, err := Merge(a, bad); !errors.Is(err, ErrUnknownSchema) {
		t.Errorf("unknown schema: %v", err)
	}
}

func TestReaders(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body string
		conf, load string // expected error substrings; "" = ok
	}{
		{"conf.json", `{"schema":"partcopy/conformance/v1","clauses":[],"specs":[]}`, "", "got partcopy/conformance/v1, want partcopy/load/v1"},
		{"load.json", `{"schema":"partcopy/load/v1","mode":"open"}`, "want partcopy/conformance/v1", ""},
		{"v2.json", `{"schema":"partcopy/conformance/v2"}`, `unknown report schema "partcopy/conformance/v2"`, "newer partcopy"},
		{"noschema.json", `{"result":"pass"}`, `no "schema" field`, `no "schema" field`},
		{"garbage.json", `<html>`, "not a JSON report", "not a JSON report"},
		{"extra.json", `{"schema":"partcopy/conformance/v1","bogus":1}`, `unknown field "bogus"`, "want partcopy/load/v1"},
	}
	for _, tt := range tests {
		p := write(tt.name, tt.body)
		_, err := ReadConformance(p)
		checkErr(t, "ReadConformance("+tt.name+")", err, tt.conf)
		_, err = ReadLoad(p)
		checkErr(t, "ReadLoad("+tt.name+")", err, tt.load)
	}
	if _, err := ReadConformance(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file read")
	}
}

func checkErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v", what, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("%s: error %v, want %q", what, err, want)
	}
}
