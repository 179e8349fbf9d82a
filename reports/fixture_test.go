package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Secrets planted in the fixture; none may appear in any output. The same
// values are planted in ginkgoreport/fixture_test.go.
const (
	secretKey     = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sseKey        = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	sseSrcKey     = "c3JjS2V5c3JjS2V5c3JjS2V5c3JjS2V5c3JjS2V5MTI="
	sessionToken  = "FwoGZXIvYXdzEBYaDHqa0AP+token/with=chars"
	authSignature = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
	presignSig    = "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	credential    = "AKIAIOSFODNN7EXAMPLE/20261125/us-east-1/s3/aws4_request"
)

// allSecrets are the strings the tests look for in outputs. The access key
// ID is part of credential.
var allSecrets = []string{secretKey, sseKey, sseSrcKey, sessionToken, authSignature, presignSig, "AKIAIOSFODNN7EXAMPLE"}

// failedExchange is an exchange record array with secrets in every place a
// careless suite could leave them.
const failedExchange = `[
 {"request":{"method":"PUT","url":"http://127.0.0.1:9000/b/k?partNumber=1&uploadId=u1&X-Amz-Signature=` + presignSig + `&X-Amz-Credential=` + "AKIAIOSFODNN7EXAMPLE%2F20261125%2Fus-east-1%2Fs3%2Faws4_request" + `",
  "headers":{"Authorization":["AWS4-HMAC-SHA256 Credential=` + credential + `, SignedHeaders=host, Signature=` + authSignature + `"],
   "X-Amz-Security-Token":"` + sessionToken + `",
   "x-amz-server-side-encryption-customer-key":"` + sseKey + `",
   "x-amz-server-side-encryption-customer-key-MD5":"md5ofkey==",
   "x-amz-copy-source-server-side-encryption-customer-key":"` + sseSrcKey + `",
   "x-amz-copy-source":"/src/obj"}},
  "response":{"status":200,"headers":[{"name":"Content-Type","value":"application/xml"}],"body":"<Error><Code>InternalError</Code></Error>"}},
 {"raw":"PUT /b/k HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=` + credential + `, Signature=` + authSignature + `\r\nx-amz-security-token: ` + sessionToken + `\r\n\r\n", "secretKeyEcho":"` + secretKey + `"}
]`

// fixtureSpecs are the specs of a run with every kind of outcome, not yet
// redacted: what ginkgoreport.FromGinkgo hands to NewConformance for its
// Ginkgo fixture (TestFixtureMatchesGinkgoGolden keeps the two equal).
func fixtureSpecs(t *testing.T) []SpecResult {
	t.Helper()
	var exchange []json.RawMessage
	if err := json.Unmarshal([]byte(failedExchange), &exchange); err != nil {
		t.Fatal(err)
	}
	spec := func(name string, clauses, labels []string, state SpecState, msg string) SpecResult {
		return SpecResult{Name: name, Clauses: clauses, Labels: labels, State: state, Message: msg,
			Location: "suites/spec.go:42", DurationSeconds: 1.5}
	}
	specs := []SpecResult{
		spec("UploadPartCopy basic copy copies the whole source", []string{"D01", "D13", "D25"}, []string{}, StatePassed, ""),
		spec("UploadPartCopy overwrites an existing part", []string{"D03"}, []string{"large"}, StateFailed,
			"Expected ListParts to show one part 1\nwith sse key "+sseKey+" and secret "+secretKey),
		spec("UploadPartCopy rejects a missing token", []string{"D12"}, []string{}, StateUnsupported,
			"unsupported: endpoint has no STS (temporary credentials)"),
		spec("UploadPartCopy SSE-C copies an SSE-C source", []string{"D10", "D14"}, []string{"ssec"}, StateUnsupported,
			"unsupported: SSE-C not enabled"),
		spec("UploadPartCopy SSE-C echoes SSE-C headers", []string{"D14"}, []string{"ssec"}, StatePassed, ""),
		spec("UploadPartCopy denies access without READ", []string{"D18"}, []string{}, StatePassed, ""),
		spec("UploadPartCopy copies a 5 GiB part", []string{"D22"}, []string{"large"}, StateSkipped, "large specs are disabled (--large)"),
		spec("UploadPartCopy [S02] rejects a failed if-match", []string{}, []string{}, StateFailed,
			"panicked: runtime error: index out of range"),
		spec("UploadPartCopy pending spec", []string{"S03"}, []string{}, StateSkipped, "pending"),
	}
	specs[1].Exchange = exchange
	specs[1].Observed = []string{"status=200 code="}
	// A passed spec's exchange is there only when the suite recorded it
	// (--record-all).
	specs[4].Exchange = []json.RawMessage{json.RawMessage(`{"ignored":"exchange of a passed spec"}`)}
	specs[5].Observed = []string{"status=403 code=AccessDenied"}
	return specs
}

func fixtureMeta() Meta {
	return Meta{
		Endpoint:       "http://AKIAIOSFODNN7EXAMPLE:" + secretKey + "@127.0.0.1:9000/",
		Profile:        ProfileS3,
		Implementation: &Implementation{Name: "refserver", Version: "1.0"},
		Version:        "v0.1.0-test",
		Time:           time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		Secrets:        []string{secretKey, sseKey, sseSrcKey, sessionToken, "", "AKIAIOSFODNN7EXAMPLE"},
	}
}

// fixtureConformance is the report the writer tests render.
func fixtureConformance(t *testing.T) Conformance {
	t.Helper()
	return NewConformance(fixtureMeta(), fixtureSpecs(t), nil)
}

// TestFixtureMatchesGinkgoGolden: the hand-built fixture is, byte for byte,
// the report ginkgoreport.FromGinkgo builds from its Ginkgo fixture (which
// ginkgoreport's TestFromGinkgoGolden pins to the same file). So the writer,
// schema and redaction tests here run on what a real conversion produces.
func TestFixtureMatchesGinkgoGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fixtureConformance(t)); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "fixture.conformance.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("fixtureConformance differs from testdata/fixture.conformance.json:\n%s", buf.Bytes())
	}
}
