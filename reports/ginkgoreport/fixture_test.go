package ginkgoreport

import (
	"encoding/json"
	"testing"
	"time"

	ginkgotypes "github.com/onsi/ginkgo/v2/types"

	"github.com/partcopy/partcopy/reports"
)

// Secrets planted in the fixture; none may appear in any output. The same
// values are planted in reports/fixture_test.go, whose hand-built specs are
// what FromGinkgo makes of fixtureReport (TestFromGinkgoGolden).
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

func entry(name string, v string) ginkgotypes.ReportEntry {
	return ginkgotypes.ReportEntry{Name: name, Value: ginkgotypes.WrapEntryValue(v)}
}

// rehydratedEntry is an entry as a parallel process or a JSON report hands
// it back: only AsJSON is set.
func rehydratedEntry(t *testing.T, name string, v string) ginkgotypes.ReportEntry {
	t.Helper()
	b, _ := json.Marshal(v)
	wrapped, _ := json.Marshal(map[string]string{"AsJSON": string(b), "Representation": v})
	var val ginkgotypes.ReportEntryValue
	if err := json.Unmarshal(wrapped, &val); err != nil {
		t.Fatal(err)
	}
	return ginkgotypes.ReportEntry{Name: name, Value: val}
}

func it(containers []string, text string, containerLabels [][]string, labels []string, state ginkgotypes.SpecState, msg string, entries ...ginkgotypes.ReportEntry) ginkgotypes.SpecReport {
	return ginkgotypes.SpecReport{
		ContainerHierarchyTexts:  containers,
		ContainerHierarchyLabels: containerLabels,
		LeafNodeType:             ginkgotypes.NodeTypeIt,
		LeafNodeText:             text,
		LeafNodeLabels:           labels,
		LeafNodeLocation:         ginkgotypes.CodeLocation{FileName: "suites/spec.go", LineNumber: 10},
		State:                    state,
		RunTime:                  1500 * time.Millisecond,
		Failure: ginkgotypes.Failure{
			Message:  msg,
			Location: ginkgotypes.CodeLocation{FileName: "suites/spec.go", LineNumber: 42},
		},
		ReportEntries: entries,
	}
}

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

// fixtureReport is a hand-built Ginkgo report with every kind of spec.
func fixtureReport(t *testing.T) ginkgotypes.Report {
	t.Helper()
	return ginkgotypes.Report{
		SuiteDescription: "partcopy",
		SuiteSucceeded:   false,
		SpecReports: ginkgotypes.SpecReports{
			{LeafNodeType: ginkgotypes.NodeTypeBeforeSuite, State: ginkgotypes.SpecStatePassed},
			it([]string{"UploadPartCopy", "basic copy"}, "copies the whole source", [][]string{nil, {"D01"}}, []string{"D13", "D25"},
				ginkgotypes.SpecStatePassed, ""),
			it([]string{"UploadPartCopy"}, "overwrites an existing part", nil, []string{"D03", "large"},
				ginkgotypes.SpecStateFailed, "Expected ListParts to show one part 1\nwith sse key "+sseKey+" and secret "+secretKey,
				entry(EntryExchange, failedExchange), entry(EntryObserved, "status=200 code=")),
			it([]string{"UploadPartCopy"}, "rejects a missing token", nil, []string{"D12"},
				ginkgotypes.SpecStateSkipped, "unsupported: endpoint has no STS (temporary credentials)"),
			it([]string{"UploadPartCopy", "SSE-C"}, "copies an SSE-C source", [][]string{nil, {"ssec"}}, []string{"D10", "D14"},
				ginkgotypes.SpecStateSkipped, "unsupported: SSE-C not enabled"),
			it([]string{"UploadPartCopy", "SSE-C"}, "echoes SSE-C headers", [][]string{nil, {"ssec"}}, []string{"D14"},
				ginkgotypes.SpecStatePassed, "", entry(EntryExchange, `[{"ignored":"exchange of a passed spec"}]`)),
			it([]string{"UploadPartCopy"}, "denies access without READ", nil, []string{"D18"},
				ginkgotypes.SpecStatePassed, "", rehydratedEntry(t, EntryObserved, "status=403 code=AccessDenied")),
			it([]string{"UploadPartCopy"}, "copies a 5 GiB part", nil, []string{"D22", "large"},
				ginkgotypes.SpecStateSkipped, "large specs are disabled (--large)"),
			it([]string{"UploadPartCopy"}, "[S02] rejects a failed if-match", nil, nil,
				ginkgotypes.SpecStatePanicked, "runtime error: index out of range"),
			it([]string{"UploadPartCopy"}, "pending spec", nil, []string{"S03"},
				ginkgotypes.SpecStatePending, ""),
		},
	}
}

func fixtureMeta() reports.Meta {
	return reports.Meta{
		Endpoint:       "http://AKIAIOSFODNN7EXAMPLE:" + secretKey + "@127.0.0.1:9000/",
		Profile:        reports.ProfileS3,
		Implementation: &reports.Implementation{Name: "refserver", Version: "1.0"},
		Version:        "v0.1.0-test",
		Time:           time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		Secrets:        []string{secretKey, sseKey, sseSrcKey, sessionToken, "", "AKIAIOSFODNN7EXAMPLE"},
	}
}
