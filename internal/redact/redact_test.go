package redact

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// planted are secrets shaped like real ones: an AWS secret key with '/' and
// '+', a session token, an SSE-C key in base64 and one with characters
// that JSON and XML escape.
var planted = []string{
	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	"FwoGZXIvYXdzEBYaDHqa0AP1/plantedTOKEN+xyz==",
	base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789ABCDEF")),
	`se<cr&t"k'ey/with=odd+chars`,
}

// TestEveryFormRemoved: each secret in each form String knows, alone, inside
// text, and in a SignatureDoesNotMatch body, leaves no form of any secret.
func TestEveryFormRemoved(t *testing.T) {
	Add(planted...)
	for _, sec := range planted {
		for _, f := range Forms(sec) {
			in := "before " + f + " after"
			out := String(in)
			if strings.Contains(out, f) {
				t.Errorf("form %q of %q survives: %q", f, sec, out)
			}
		}
		// base64 of a larger value with the secret at each offset.
		for k := 0; k < 3; k++ {
			blob := strings.Repeat("x", k) + "prefix:" + sec + ":suffix"
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
				e := enc.EncodeToString([]byte(blob))
				if out := String(e); out == e {
					t.Errorf("base64 of %q at offset %d not redacted: %q", sec, k, e)
				}
			}
		}
	}
}

// TestSignatureDoesNotMatchBody: S3's answer to a bad signature quotes the
// canonical request as text and as spaced hex bytes; neither survives, and
// neither does the token when the dump is cut short.
func TestSignatureDoesNotMatchBody(t *testing.T) {
	tok := "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQD-unregistered-token"
	canon := "PUT\n/b/k\npartNumber=1\nhost:127.0.0.1\nx-amz-security-token:" + tok + "\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD"
	body := "<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>" + canon + "</CanonicalRequest><CanonicalRequestBytes>" +
		spacedHex([]byte(canon)) + "</CanonicalRequestBytes><StringToSignBytes>41 57 53 34</StringToSignBytes></Error>"
	for _, in := range []string{body, body[:len(body)/2], strings.ToUpper(body)} {
		out := String(in)
		for _, f := range []string{tok, strings.ToLower(spacedHex([]byte(tok))), strings.ToUpper(spacedHex([]byte(tok))), hex.EncodeToString([]byte(tok))} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(f)) {
				t.Errorf("token form %q survives in %q", f, out)
			}
		}
	}
	if out := String(body); !strings.Contains(out, "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("the error code is gone: %q", out)
	}
}

func TestPatterns(t *testing.T) {
	for in, gone := range map[string]string{
		"GET /b?AWSAccessKeyId=AKIDX&Expires=1&Signature=c2lnbmF0dXJl":  "c2lnbmF0dXJl",
		"GET /b?a=1;X-Amz-Security-Token=tok3n;b=2":                     "tok3n",
		"GET /b?AWSAccessKeyId=AKIDSECRETID&x=1":                        "AKIDSECRETID",
		"Authorization: AWS4-HMAC-SHA256 Credential=AK/x, Signature=ff": "Signature=ff",
		`{"X-Amz-Security-Token":"abcdefg"}`:                            "abcdefg",
	} {
		if out := String(in); strings.Contains(out, gone) {
			t.Errorf("String(%q) = %q keeps %q", in, out, gone)
		}
	}
	if out := String("x-amz-server-side-encryption-customer-key-MD5: abcd=="); !strings.Contains(out, "abcd==") {
		t.Errorf("the key MD5 is not a secret: %q", out)
	}
	if out := String("hello", "ab"); out != "hello" {
		t.Errorf("short secret mangled text: %q", out)
	}
}

func TestStripUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"http://AK:wJal/rX+Ut@127.0.0.1:9000":     "http://127.0.0.1:9000",
		"https://AK:p%2Fw@host":                   "https://host",
		"http://AK:se/cr?et#x@host:1":             "http://host:1",
		"AK:secret@host:9000":                     "host:9000",
		"http://127.0.0.1:9000":                   "http://127.0.0.1:9000",
		"http://u:a@b@host":                       "http://host",
		"http://u:a@b@host/?X-Amz-Signature=abcd": "http://host/?X-Amz-Signature=abcd",
	} {
		if got := StripUserinfo(in); got != want {
			t.Errorf("StripUserinfo(%q) = %q, want %q", in, got, want)
		}
	}
}
