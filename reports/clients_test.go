package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const clientsSecret = "wJalrXUtnFEMI-clients-secret"

func fixtureClients() Clients {
	c := Clients{
		PartcopyVersion: "test", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), DurationSeconds: 1.5,
		Endpoint: "http://user:pw@127.0.0.1:9000", Seed: 7,
		Provenance: &Provenance{PartcopyVersion: "test", GoVersion: "go1.26.8", CommandLine: []string{"partcopy", "clients", "--secret-key", clientsSecret}},
		Forms: []ClientForm{
			{Name: "control", Title: "a normal 200", Clause: "D01", Expect: "success"},
			{Name: "empty200", Title: "200 with an empty body", Rules: []string{"copy:empty200"}, Clause: "D02", Expect: "error"},
		},
		Clients: []ClientInfo{
			{Name: "sdk", Kind: "builtin", SDK: "sdk", Retries: "default", Versions: []string{"sdk v1"}, Command: "drv -retries default"},
			{Name: "app|x", Kind: "exec", Command: "run --key " + clientsSecret},
			{Name: "py", Kind: "builtin", SDK: "boto3", Retries: "off", Unsupported: "boto3 not installed"},
		},
		Results: []ClientResult{
			{Client: "sdk", Form: "control", Verdict: ClientOK, Attempts: 1, Reported: ClientReported{Success: true, ETag: `"abc"`},
				Answer: &ClientAnswer{Status: 200, Outcome: "ok", ETag: `"abc"`, Detail: "ok"}, Detail: "fine"},
			{Client: "sdk", Form: "empty200", Verdict: ClientSilent, Attempts: 1, Reported: ClientReported{Success: true},
				Answer: &ClientAnswer{Status: 200, Outcome: "empty-200", Faults: []string{"empty200"}}, Detail: "silent"},
			{Client: "app|x", Form: "control", Verdict: ClientFalseFailure, Attempts: 3,
				Reported: ClientReported{ExitCode: 1, Error: "Authorization: AWS4-HMAC-SHA256 Credential=AK/x, Signature=deadbeef\nsecret " + clientsSecret},
				Answer:   &ClientAnswer{Status: 200, Outcome: "ok"}, Detail: "<b>false</b>"},
			{Client: "app|x", Form: "empty200", Verdict: ClientLate, Attempts: 1, CompleteAttempts: 1, Reported: ClientReported{ExitCode: 1}},
			{Client: "py", Form: "control", Verdict: ClientUnsupported, Reported: ClientReported{ExitCode: -1}, Detail: "unsupported: boto3 not installed"},
			{Client: "py", Form: "empty200", Verdict: ClientUnsupported, Reported: ClientReported{ExitCode: -1}, Detail: "unsupported: boto3 not installed"},
		},
	}
	c.SetSecrets(clientsSecret)
	c.Finish()
	return c
}

func TestClientsFinish(t *testing.T) {
	c := fixtureClients()
	s := c.Summary
	if s.Cells != 6 || s.OK != 1 || s.Silent != 1 || s.FalseFailure != 1 || s.Late != 1 || s.Unsupported != 2 {
		t.Errorf("summary %+v", s)
	}
	if len(c.Gate) != 2 || c.Gate[0] != "sdk / empty200" || c.Gate[1] != "app|x / control" {
		t.Errorf("gate %v: silent and false-failure trip it, late and unsupported do not", c.Gate)
	}
	if c.Partial {
		t.Error("partial without not-run cells")
	}
}

func TestClientsJSONMatchesSchema(t *testing.T) {
	v := newValidator(t, ClientsSchema)
	for name, c := range map[string]Clients{"fixture": fixtureClients(), "zero": {}} {
		c.Finish()
		var buf bytes.Buffer
		if err := WriteClientsJSON(&buf, c); err != nil {
			t.Fatal(err)
		}
		v.check(t, name, buf.Bytes())
		back, err := ParseClients(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(back.Results) != len(c.Results) || back.Summary != c.Summary {
			t.Errorf("%s: round trip lost data: %+v", name, back.Summary)
		}
	}
	if _, err := ParseClients([]byte(`{"schema":"partcopy/load/v1"}`)); err == nil {
		t.Error("a load report parsed as a clients report")
	}
	// The validator catches a wrong verdict.
	bad := []byte(strings.Replace(mustClientsJSON(t), `"verdict": "ok"`, `"verdict": "fine"`, 1))
	if errs := v.validate(v.root, decodeNumbers(t, bad), "$"); len(errs) == 0 {
		t.Error("validator accepted verdict \"fine\"")
	}
}

func mustClientsJSON(t *testing.T) string {
	var buf bytes.Buffer
	if err := WriteClientsJSON(&buf, fixtureClients()); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestWriteClientsRedacts: every output drops the secret, the Authorization
// value and the endpoint's user info; the matrix is in every rendering.
func TestWriteClientsRedacts(t *testing.T) {
	dir := t.TempDir()
	if err := WriteClients(dir, fixtureClients()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{FileClientsJSON, FileClientsMD, FileClientsHTML} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, leak := range []string{clientsSecret, "deadbeef", "user:pw"} {
			if strings.Contains(s, leak) {
				t.Errorf("%s shows %q", f, leak)
			}
		}
		if f == FileClientsJSON {
			continue
		}
		for _, want := range []string{"SILENT", "FALSE FAILURE ×3", "late", "unsupported", "boto3 not installed", "sdk v1", "go1.26.8"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s does not show %q", f, want)
			}
		}
		if f == FileClientsHTML && strings.Contains(s, "<b>false</b>") {
			t.Error("HTML does not escape a detail")
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileClientsMD))
	if !strings.Contains(string(md), "| app\\|x | **FALSE FAILURE ×3** | late |") {
		t.Errorf("matrix row of app|x missing or unescaped:\n%s", md)
	}
}
