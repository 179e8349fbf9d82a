package refserver

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func FuzzParseCopySource(f *testing.F) {
	for _, s := range []string{"/b/k", "b/k", "/b/k?versionId=x", "/b/%zz", "", "/", "b/k?x=y", "/b/a%2Fb%3Fc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ref, err := parseCopySource(v)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("status %d", err.Status)
			}
			return
		}
		if ref.bucket == "" || ref.key == "" || strings.Contains(ref.bucket, "/") {
			t.Fatalf("accepted %q as %+v", v, ref)
		}
	})
}

func FuzzParseCopyRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=", "bytes=a-b", "bytes=5-2", "0-1", "bytes=-1", "bytes=99999999999999999999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		start, end, err := parseCopyRange(v)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("status %d", err.Status)
			}
			return
		}
		if start < 0 || end < start {
			t.Fatalf("%q -> %d-%d", v, start, end)
		}
	})
}

func FuzzParseGetRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=5-", "bytes=0-1,2-3", "x"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size < 0 {
			size = -size
		}
		start, end, ok, err := parseGetRange(v, size)
		if ok && (start < 0 || end < start || end >= size) {
			t.Fatalf("%q size %d -> %d-%d", v, size, start, end)
		}
		if err != nil && err.Status != 416 {
			t.Fatalf("status %d", err.Status)
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`)
	f.Add(`{"Statement":{}}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, doc string) {
		if _, err := parsePolicy([]byte(doc), "bkt"); err != nil && err.Status != 400 {
			t.Fatalf("status %d", err.Status)
		}
	})
}

func FuzzParseV4Auth(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	f.Add("AWS4-HMAC-SHA256 ")
	f.Fuzz(func(t *testing.T, h string) {
		if _, err := parseV4Auth(h); err != nil && err.Status != 400 {
			t.Fatalf("status %d", err.Status)
		}
	})
}

// FuzzHandler throws arbitrary methods, paths, headers and bodies at the
// handler, signed or not: it must never answer 500 (a recovered panic).
func FuzzHandler(f *testing.F) {
	f.Add("PUT", "/b/k?partNumber=1&uploadId=x", "x-amz-copy-source", "/b/k", []byte(""), true)
	f.Add("POST", "/b/k?uploadId=x", "Content-Type", "text/xml", []byte("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part>"), true)
	f.Add("PUT", "/b?policy", "x", "y", []byte(`{"Statement":[]}`), true)
	f.Add("GET", "/b?list-type=2&continuation-token=%%%", "Range", "bytes=-", []byte{}, false)
	f.Add("GET", "/ ", "", "", []byte{}, false) // once panicked the harness
	s := New(Options{})
	s.buckets["b"] = &bucket{name: "b", owner: "main", objects: map[string]*objectEntry{}}
	s.buckets["b"].objects["k"] = &objectEntry{versions: []*objVersion{{key: "k", versionID: "null", data: contentOf([]byte("0123456789")), etag: `"e"`, owner: "main", header: http.Header{}}}}
	e := &env{t: &testing.T{}, srv: s}
	f.Fuzz(func(t *testing.T, method, target, hk, hv string, body []byte, sign bool) {
		if _, err := url.ParseRequestURI(target); err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		switch method {
		case "GET", "PUT", "POST", "DELETE", "HEAD":
		default:
			return
		}
		req, ok := fuzzRequest(method, target, body)
		if !ok {
			return // no client can send it: not a request line (e.g. "/ ")
		}
		if hk != "" && validHeader(hk, hv) {
			req.Header.Set(hk, hv)
		}
		if sign {
			e.t = t
			e.sign(req, s.Options().Main, unsignedPayload, time.Now())
		}
		w := newRecorder()
		s.ServeHTTP(w, req)
		if w.code >= 500 && w.code != 501 {
			t.Fatalf("%s %s (%s: %s): %d %s", method, target, hk, hv, w.code, w.body.String())
		}
		_, _ = io.Copy(io.Discard, &w.body)
	})
}

// fuzzRequest is httptest.NewRequest, which panics on a target no
// request line can carry; ok is false then.
func fuzzRequest(method, target string, body []byte) (req *http.Request, ok bool) {
	defer func() {
		if recover() != nil {
			req, ok = nil, false
		}
	}()
	return httptest.NewRequest(method, "http://x"+target, bytes.NewReader(body)), true
}

func validHeader(k, v string) bool {
	for _, c := range k {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return !strings.ContainsAny(v, "\r\n\x00")
}
