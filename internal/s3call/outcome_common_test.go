package s3call

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// commonBody is the body the do-nothing endpoint (load/nulls3) answers
// every copy with.
const commonBody = `<?xml version="1.0" encoding="UTF-8"?>
<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag></CopyPartResult>`

// checkCommon fails t when readCommon accepts b but parseDoc does not read
// the same document from it without an error.
func checkCommon(t *testing.T, b []byte, root string) bool {
	t.Helper()
	got, ok := readCommon(b, root)
	if !ok {
		return false
	}
	want, err := parseDoc(b)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("readCommon(%q, %q) = %+v; parseDoc = %+v, %v", b, root, got, want, err)
	}
	return true
}

func TestReadCommon(t *testing.T) {
	cases := []struct {
		name, body, root string
		want             bool // readCommon takes it (else parseDoc does)
	}{
		{"nulls3 answer", commonBody, RootCopyPartResult, true},
		{"no namespace, short decl", `<?xml version="1.0"?><CopyPartResult><LastModified>x</LastModified><ETag>"e"</ETag></CopyPartResult>`, RootCopyPartResult, true},
		{"trailing white space", commonBody + "\r\n\t ", RootCopyPartResult, true},
		{"empty ETag", `<?xml version="1.0"?><CopyObjectResult><LastModified></LastModified><ETag></ETag></CopyObjectResult>`, RootCopyObjectResult, true},
		{"complete result", `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><LastModified>a</LastModified><ETag>b</ETag></CompleteMultipartUploadResult>`, RootCompleteResult, true},
		{"other root asked", commonBody, RootCompleteResult, false},
		{"alias root", strings.ReplaceAll(commonBody, "CopyPartResult", "CompleteMultipartUploadResponse"), RootCompleteResult, false},
		{"unknown root asked", commonBody, "Other", false},
		{"no declaration", commonBody[strings.Index(commonBody, "<Copy"):], RootCopyPartResult, false},
		{"lower-case encoding", strings.Replace(commonBody, "UTF-8", "utf-8", 1), RootCopyPartResult, false},
		{"entity in ETag", strings.Replace(commonBody, `"d41d`, `&quot;d41d`, 1), RootCopyPartResult, false},
		{"CR in ETag", strings.Replace(commonBody, `"d41d`, "\r\"d41d", 1), RootCopyPartResult, false},
		{"non-ASCII in LastModified", strings.Replace(commonBody, "2026", "2026\u00a0", 1), RootCopyPartResult, false},
		{"ETag first", `<?xml version="1.0"?><CopyPartResult><ETag>e</ETag><LastModified>x</LastModified></CopyPartResult>`, RootCopyPartResult, false},
		{"extra child", strings.Replace(commonBody, "</ETag>", "</ETag><X/>", 1), RootCopyPartResult, false},
		{"truncated", commonBody[:len(commonBody)-3], RootCopyPartResult, false},
		{"text after root", commonBody + "x", RootCopyPartResult, false},
		{"second root", commonBody + "<a/>", RootCopyPartResult, false},
		{"other attribute", strings.Replace(commonBody, "2006-03-01/", "2006-03-01", 1), RootCopyPartResult, false},
		{"longer root name", strings.ReplaceAll(commonBody, "CopyPartResult", "CopyPartResultX"), RootCopyPartResult, false},
		{"mismatched close", strings.Replace(commonBody, "</CopyPartResult>", "</CopyPartResulx>", 1), RootCopyPartResult, false},
		{"error body", decl + awsError, RootCopyPartResult, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkCommon(t, []byte(tc.body), tc.root); got != tc.want {
				t.Fatalf("readCommon took it = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzReadCommon: whatever readCommon accepts, parseDoc reads the same
// from, without an error; Outcome200 therefore gives the same verdict with
// and without it. Seeds are the common shape and the outcome cases.
func FuzzReadCommon(f *testing.F) {
	f.Add([]byte(commonBody), uint8(0))
	f.Add([]byte(commonBody+"\n"), uint8(0))
	f.Add([]byte(strings.ReplaceAll(commonBody, "CopyPartResult", "CopyObjectResult")), uint8(2))
	for _, tc := range append(append([]outcomeCase(nil), copyPartCases...), completeCases...) {
		f.Add([]byte(tc.body), uint8(0))
		f.Add([]byte(tc.body), uint8(1))
	}
	f.Fuzz(func(t *testing.T, body []byte, rootSel uint8) {
		checkCommon(t, body, fuzzRoots[int(rootSel)%len(fuzzRoots)])
	})
}

// FuzzReadCommonShaped builds bodies of the common shape from fuzzed parts,
// so that readCommon's edges (the texts, the white space, the names) are
// reached far more often than by mutating whole bodies; where it reads one,
// parseDoc must read the same, and every plain body of the shape must be
// read.
func FuzzReadCommonShaped(f *testing.F) {
	f.Add(uint8(0), "\n", true, "2026-01-01T00:00:00.000Z", `"d41d8cd98f00b204e9800998ecf8427e"`, "", uint8(0), "")
	f.Add(uint8(1), "", false, "", "", " \r\n", uint8(1), "")
	f.Add(uint8(0), "\t", true, "a&amp;b", "]]>", "x", uint8(2), "X")
	f.Fuzz(func(t *testing.T, declSel uint8, ws1 string, ns bool, lm, etag, ws2 string, rootSel uint8, closeSuffix string) {
		root := fuzzRoots[int(rootSel)%len(fuzzRoots)]
		var b bytes.Buffer
		b.WriteString(commonDecls[int(declSel)%len(commonDecls)])
		b.WriteString(ws1)
		b.WriteString("<" + root)
		if ns {
			b.WriteString(s3NS)
		}
		b.WriteString("><LastModified>" + lm + "</LastModified><ETag>" + etag + "</ETag></" + root + closeSuffix + ">" + ws2)
		took := checkCommon(t, b.Bytes(), root)
		plain := func(s string) bool {
			for i := 0; i < len(s); i++ {
				if c := s[i]; c < 0x20 || c > 0x7e || strings.IndexByte("<>&]", c) >= 0 {
					return false
				}
			}
			return true
		}
		isSpace := func(s string) bool { return strings.Trim(s, xmlSpace) == "" }
		if !took && plain(lm) && plain(etag) && isSpace(ws1) && isSpace(ws2) && closeSuffix == "" {
			t.Fatalf("readCommon did not take the plain body %q", b.Bytes())
		}
	})
}

// BenchmarkOutcome200 is the D02 verdict on the do-nothing endpoint's
// answer, the one the load generator classifies on every copy.
func BenchmarkOutcome200(b *testing.B) {
	ex := &Exchange{Status: 200, Body: []byte(commonBody)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if o := CopyPartOutcome(ex, nil); !o.OK {
			b.Fatal(o)
		}
	}
}
