package s3call

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// echoSecrets answers like a server that quotes back everything it got: a
// SignatureDoesNotMatch body with the signature it was given (as S3's
// does), the token and the SSE-C keys in the body and in headers.
func echoSecrets(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	w.Header().Set("X-Echo-Authorization", auth)
	w.Header().Set("X-Echo-Token", r.Header.Get(HdrSecurityToken))
	w.Header().Set("X-Echo-Key", r.Header.Get(HdrSSECKey))
	w.WriteHeader(403)
	fmt.Fprintf(w, "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>"+
		"<SignatureProvided>%s</SignatureProvided><Authorization>%s</Authorization><Token>%s</Token><Key>%s</Key><SourceKey>%s</SourceKey></Error>",
		authSignature(auth), auth, r.Header.Get(HdrSecurityToken), r.Header.Get(HdrSSECKey), r.Header.Get(HdrCopySSECKey))
}

func TestRecordRedactsSecrets(t *testing.T) {
	srv := newRecorder(t, echoSecrets)
	cr := Credentials{AccessKey: "AKIDRECORDTEST", SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY", SessionToken: "FwoGZXIvYXdzEXAMPLE/SESSION+TOKEN=="}
	dst := NewSSEC(GenBytes(11, 32))
	src := NewSSEC(GenBytes(12, 32))
	for _, sig := range []string{SigV4, SigV2} {
		t.Run(sig, func(t *testing.T) {
			c := srv.client(t, Config{Signature: sig, Credentials: cr})
			in := CopyPart{Bucket: "b", Key: "k", UploadID: "u", PartNumber: "1", Source: CopySource("s", "k", ""),
				Header: MergeHeaders(dst.Header(), src.CopySourceHeader())}
			ex, o := c.UploadPartCopy(context.Background(), in)
			if ex == nil || o.Kind != KindHTTPError || o.Code != "SignatureDoesNotMatch" {
				t.Fatalf("outcome %s", o)
			}
			s := srv.last()
			signature := authSignature(s.header.Get("Authorization"))
			if len(signature) < 20 {
				t.Fatalf("no signature in %q", s.header.Get("Authorization"))
			}
			secrets := map[string]string{
				"secret key":       cr.SecretKey,
				"session token":    cr.SessionToken,
				"SSE-C key":        dst.KeyB64,
				"source SSE-C key": src.KeyB64,
				"signature":        signature,
				"Authorization":    s.header.Get("Authorization"),
				"raw SSE-C key":    string(GenBytes(11, 32)),
				"raw source SSE-C": string(GenBytes(12, 32)),
			}
			// The exchange really carried them, so the redaction is tested.
			if !strings.Contains(string(ex.Body), signature) || !strings.Contains(string(ex.Body), dst.KeyB64) ||
				!strings.Contains(string(ex.Body), src.KeyB64) || !strings.Contains(string(ex.Body), cr.SessionToken) {
				t.Fatalf("the server did not echo the secrets: %s", ex.Body)
			}
			rec := ex.Record()
			out := RecordsJSON([]Record{rec})
			plain := fmt.Sprintf("%+v", rec)
			for what, secret := range secrets {
				if strings.Contains(out, secret) || strings.Contains(plain, secret) {
					t.Errorf("the record contains the %s", what)
				}
				// JSON escapes '+', '/' and '=' nowhere, but '<' '>' '&' are;
				// the values above have none of those.
			}
			// What is useful stays.
			for _, want := range []string{"SignatureDoesNotMatch", dst.KeyMD5B64, src.KeyMD5B64, "AKIDRECORDTEST", "/s/k"} {
				if !strings.Contains(out, want) {
					t.Errorf("the record lost %q: %s", want, out)
				}
			}
			scheme := map[string]string{SigV4: "AWS4-HMAC-SHA256 " + Redacted, SigV2: "AWS " + Redacted}[sig]
			if got := rec.RequestHeaders["Authorization"]; len(got) != 1 || got[0] != scheme {
				t.Errorf("Authorization in the record = %q, want %q", got, scheme)
			}
			for _, h := range []string{HdrSSECKey, HdrCopySSECKey, HdrSecurityToken} {
				if got := rec.RequestHeaders[h]; len(got) != 1 || got[0] != Redacted {
					t.Errorf("%s in the record = %q", h, got)
				}
			}
			if rec.Status != 403 || rec.Method != http.MethodPut || rec.BodyBytes != len(ex.Body) {
				t.Errorf("record %+v", rec)
			}
			var back []Record
			if err := json.Unmarshal([]byte(out), &back); err != nil || len(back) != 1 {
				t.Errorf("RecordsJSON is not a JSON array of records: %v", err)
			}
		})
	}
}

func TestRecordBodyExcerpt(t *testing.T) {
	ex := &Exchange{Method: "GET", URL: "http://h/b", Status: 200, Body: []byte(strings.Repeat("x", 10000)), BodyErr: io.ErrUnexpectedEOF}
	rec := ex.Record()
	if len(rec.Body) != recordBodyMax || rec.BodyBytes != 10000 || rec.BodyError != "unexpected EOF" {
		t.Errorf("record body %d bytes of %d, error %q", len(rec.Body), rec.BodyBytes, rec.BodyError)
	}
	// Extra secrets given by the caller are redacted too.
	ex = &Exchange{Body: []byte("key=CALLER-SECRET-VALUE")}
	if got := ex.Record("CALLER-SECRET-VALUE").Body; got != "key="+Redacted {
		t.Errorf("Record(extra) body = %q", got)
	}
}

func TestTransportRecord(t *testing.T) {
	err := &TransportError{Method: "GET", URL: "http://h/b/k?X-Amz-Signature=abcdef0123&X-Amz-Expires=60",
		Err: errors.New("connection refused while sending TOKEN-VALUE-123")}
	rec := TransportRecord(err, "TOKEN-VALUE-123")
	if rec.Method != "GET" || strings.Contains(rec.URL, "abcdef0123") || !strings.Contains(rec.URL, "X-Amz-Expires=60") {
		t.Errorf("URL %q", rec.URL)
	}
	if strings.Contains(rec.TransportError, "TOKEN-VALUE-123") || strings.Contains(rec.TransportError, "abcdef0123") {
		t.Errorf("TransportError %q", rec.TransportError)
	}
	wrapped := fmt.Errorf("copy: %w", err)
	if rec := TransportRecord(wrapped); rec.Method != "GET" {
		t.Errorf("a wrapped TransportError loses the request: %+v", rec)
	}
}

func TestRedactString(t *testing.T) {
	cases := []struct {
		name, in   string
		secrets    []string
		gone, kept []string
	}{
		{
			name: "SigV4 presigned URL",
			in: "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
				"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
			gone: []string{"aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", "AKIAIOSFODNN7EXAMPLE"},
			kept: []string{"X-Amz-Expires=86400", "X-Amz-Date=20130524T000000Z", "X-Amz-SignedHeaders=host", "X-Amz-Signature=" + Redacted, "/test.txt"},
		},
		{
			name: "presigned with a session token, lower case",
			in:   "/b/k?x-amz-security-token=FwoGZXIvYXdzEBY%2Fabc%3D%3D&x-amz-signature=0123abcd&partNumber=1",
			gone: []string{"FwoGZXIvYXdzEBY", "0123abcd"},
			kept: []string{"partNumber=1"},
		},
		{
			name: "SigV2 presigned URL",
			in:   "http://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
			gone: []string{"NpgCjnDzrM", "AKIAIOSFODNN7EXAMPLE"},
			kept: []string{"Expires=1175139620", "/photos/puppy.jpg"},
		},
		{
			name: "URL quoted in a log line",
			in:   `GET "http://h/k?X-Amz-Signature=deadbeef" failed: EOF`,
			gone: []string{"deadbeef"},
			kept: []string{`" failed: EOF`},
		},
		{
			name:    "given secrets anywhere",
			in:      "token TKN-1234567 and key c2VjcmV0LWtleQ== in a message",
			secrets: []string{"TKN-1234567", "c2VjcmV0LWtleQ=="},
			gone:    []string{"TKN-1234567", "c2VjcmV0LWtleQ=="},
			kept:    []string{"token " + Redacted + " and key " + Redacted},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := RedactString(tc.in, tc.secrets)
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("RedactString = %q still contains %q", got, g)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(got, k) {
					t.Errorf("RedactString = %q lost %q", got, k)
				}
			}
		})
	}
}

func TestAuthSignature(t *testing.T) {
	for in, want := range map[string]string{
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=f0e8bdb8": "f0e8bdb8",
		"AWS4-HMAC-SHA256 Credential=AK/x,SignedHeaders=host,Signature=abc123,Extra=1":                              "abc123",
		"AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=":                                                     "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
		"Bearer opaque-token": "Bearer opaque-token",
	} {
		if got := authSignature(in); got != want {
			t.Errorf("authSignature(%q) = %q, want %q", in, got, want)
		}
	}
}
