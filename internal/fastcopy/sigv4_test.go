package fastcopy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	exampleAK = "AKIAIOSFODNN7EXAMPLE"
	exampleSK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// TestSignerAWSExamples signs the worked examples of AWS's "Signature
// Calculations for the Authorization Header: Transferring Payload in a
// Single Chunk" (sig-v4-header-based-auth) page, virtual-hosted on
// examplebucket.s3.amazonaws.com, 2013-05-24, us-east-1.
func TestSignerAWSExamples(t *testing.T) {
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	putHash := sha256Hex("Welcome to Amazon S3.")
	if putHash != "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" {
		t.Fatalf("sha256 of the PUT example's body = %s", putHash)
	}
	cases := []struct {
		name, method, path, query string
		header                    [][2]string
		hash                      string
		signed, signature         string
	}{
		{"GET Object", "GET", "/test.txt", "", [][2]string{{"Range", "bytes=0-9"}}, emptySHA256,
			"host;range;x-amz-content-sha256;x-amz-date", "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
		{"PUT Object", "PUT", "/test%24file.text", "",
			[][2]string{{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"X-Amz-Storage-Class", "REDUCED_REDUNDANCY"}}, putHash,
			"date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
		{"GET Bucket Lifecycle", "GET", "/", "lifecycle", nil, emptySHA256,
			"host;x-amz-content-sha256;x-amz-date", "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
		{"Get Bucket (List Objects)", "GET", "/", "max-keys=2&prefix=J", nil, emptySHA256,
			"host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
		{"Get Bucket, query unsorted", "GET", "/", "prefix=J&max-keys=2", nil, emptySHA256,
			"host;x-amz-content-sha256;x-amz-date", "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
	}
	s := NewSigner(exampleAK, exampleSK, "", "us-east-1", "s3")
	var r Request
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r.Reset()
			r.Method, r.Scheme, r.Host, r.PayloadHash = tc.method, "https", "examplebucket.s3.amazonaws.com", tc.hash
			r.SetPath(tc.path)
			r.SetQuery(tc.query)
			for _, h := range tc.header {
				r.AddHeader(h[0], h[1])
			}
			r.AddHeader("X-Amz-Content-Sha256", tc.hash)
			s.Sign(&r, at)
			want := "AWS4-HMAC-SHA256 Credential=" + exampleAK + "/20130524/us-east-1/s3/aws4_request, SignedHeaders=" +
				tc.signed + ", Signature=" + tc.signature
			if got := string(r.Header("Authorization")); got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
			if got := string(r.Header("X-Amz-Date")); got != "20130524T000000Z" {
				t.Errorf("X-Amz-Date = %s", got)
			}
		})
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestSignerMatchesSDK signs thousands of random requests with Signer and
// with aws-sdk-go-v2's v4 signer (as s3call configures it) and wants the
// same X-Amz-Date, X-Amz-Security-Token and, byte for byte, the same
// Authorization. One Signer signs them all, so state carried from one
// request to the next (buffers, the cached key across days, the HMAC)
// is covered too.
func TestSignerMatchesSDK(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 1000
	}
	rng := rand.New(rand.NewPCG(1, 16))
	sdk := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	type principal struct{ ak, sk, token string }
	principals := []principal{
		{exampleAK, exampleSK, ""},
		{"ASIATEMPORARYKEY", "temp/secret+key=", "FwoGZXIvYXdzEJr//////////token=="},
	}
	signers := make([]*Signer, len(principals))
	for i, p := range principals {
		signers[i] = NewSigner(p.ak, p.sk, p.token, "us-east-1", "s3")
	}
	var r Request
	for i := 0; i < n; i++ {
		pi := rng.IntN(len(principals))
		p := principals[pi]
		rq := randomRequest(rng)
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
		if rng.IntN(50) == 0 {
			at = at.In(time.FixedZone("X", 3600*5)) // the signer converts to UTC
		}

		// The SDK's view: an http.Request as s3call builds it.
		u := &url.URL{Scheme: rq.scheme, Host: rq.host, Opaque: rq.path, RawQuery: rq.query}
		hr := &http.Request{Method: rq.method, URL: u, Host: rq.host, Header: http.Header{}, ContentLength: rq.length}
		for _, h := range rq.header {
			hr.Header.Add(h[0], h[1])
		}
		err := sdk.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: p.ak, SecretAccessKey: p.sk, SessionToken: p.token},
			hr, rq.hash, "s3", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}

		r.Reset()
		r.Method, r.Scheme, r.Host, r.PayloadHash, r.ContentLength = rq.method, rq.scheme, rq.host, rq.hash, rq.length
		r.SetPath(rq.path)
		r.SetQuery(rq.query)
		for _, h := range rq.header {
			r.AddHeader(textproto.CanonicalMIMEHeaderKey(h[0]), h[1])
		}
		signers[pi].Sign(&r, at)

		if got, want := string(r.Header("Authorization")), hr.Header.Get("Authorization"); got != want {
			t.Fatalf("request %d: %+v\nAuthorization\n got %s\nwant %s", i, rq, got, want)
		}
		if got, want := string(r.Header("X-Amz-Date")), hr.Header.Get("X-Amz-Date"); got != want {
			t.Fatalf("request %d: X-Amz-Date %s, SDK %s", i, got, want)
		}
		if got, want := string(r.Header("X-Amz-Security-Token")), hr.Header.Get("X-Amz-Security-Token"); got != want {
			t.Fatalf("request %d: X-Amz-Security-Token %q, SDK %q", i, got, want)
		}
	}
}

type randReq struct {
	method, scheme, host, path, query, hash string
	header                                  [][2]string
	length                                  int64
}

var (
	methods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	hosts   = []string{"127.0.0.1:9000", "s3.example.com", "bucket.s3.example.com:443", "h:80", "[::1]:443",
		"[::1]:80", "[::1]:9000", "localhost:", "Example.COM:8080", "a  b", "x.y:0443"}
	hashes = []string{emptySHA256, "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", sha256Hex("x")}
	names  = []string{"X-Amz-Copy-Source", "X-Amz-Copy-Source-Range", "x-amz-meta-a", "X-Amz-Meta-B", "Content-Type",
		"Range", "Date", "If-Match", "Authorization", "User-Agent", "X-Amzn-Trace-Id", "Expect", "Transfer-Encoding",
		"Content-Length", "content-md5", "X-Amz-Server-Side-Encryption-Customer-Key", "Cache-Control", "x-custom",
		"X-Amz-Content-Sha256", "Accept-Encoding", "X-Amz-Checksum-Crc32", "a", "Z", "X-Amz-Date", "X-Amz-Security-Token"}
	valueAtoms = []string{"", " ", "  ", "\t", "a", "b c", "x  y", " lead", "trail ", "\u00a0", "\u2003", "é", "/",
		"bytes=0-9", "\"etag\"", ",", "=", "%", "+", "\x01", "\u0085"}
	queryAtoms = []string{"a", "B", "0", "-", "_", ".", "~", "+", "%20", "%2B", "%2b", "%zz", "%", "%4", "=", ";", "/",
		"?", "é", "%C3%A9", " ", "partNumber", "uploadId", "null-upload-id", "a%2Fb", "&", ""}
	pathAtoms = []string{"a", "b", "/", "%20", "%2F", "key", "~", "-", "_", ".", "%E2%82%AC", "%24"}
)

func randomRequest(rng *rand.Rand) randReq {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	rq := randReq{method: pick(methods), scheme: pick([]string{"http", "https", "HTTP"}), host: pick(hosts), hash: pick(hashes)}
	var b strings.Builder
	b.WriteByte('/')
	for i := rng.IntN(6); i > 0; i-- {
		b.WriteString(pick(pathAtoms))
	}
	rq.path = b.String()
	// An opaque "//..." would read as a host (s3call sends such paths in
	// absolute form; the load path never has one).
	rq.path = "/" + strings.TrimLeft(rq.path, "/")
	b.Reset()
	for i := rng.IntN(12); i > 0; i-- {
		b.WriteString(pick(queryAtoms))
	}
	rq.query = b.String()
	for i := rng.IntN(8); i > 0; i-- {
		var v strings.Builder
		for j := rng.IntN(5); j > 0; j-- {
			v.WriteString(pick(valueAtoms))
		}
		rq.header = append(rq.header, [2]string{pick(names), v.String()})
	}
	if rng.IntN(3) == 0 {
		rq.length = rng.Int64N(1 << 40)
	}
	return rq
}

// BenchmarkSign is one copy's signature: the canonical request, the
// string to sign and the HMAC, with the day's key cached.
func BenchmarkSign(b *testing.B) {
	s := NewSigner(exampleAK, exampleSK, "", "us-east-1", "s3")
	var r Request
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r.Reset()
		r.Method, r.Scheme, r.Host, r.PayloadHash = "PUT", "http", "127.0.0.1:9000", emptySHA256
		r.SetPath("/bench-bucket/dst/00000001")
		r.SetQuery("partNumber=17&uploadId=null-upload-id")
		r.AddHeader("X-Amz-Copy-Source", "/bench-bucket/src/000")
		r.AddHeader("X-Amz-Content-Sha256", emptySHA256)
		s.Sign(&r, at)
	}
}

// BenchmarkSignSDK is the same signature through aws-sdk-go-v2's signer,
// as s3call signs.
func BenchmarkSignSDK(b *testing.B) {
	sdk := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: exampleAK, SecretAccessKey: exampleSK}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		u := &url.URL{Scheme: "http", Host: "127.0.0.1:9000", Path: "/bench-bucket/dst/00000001", RawQuery: "partNumber=17&uploadId=null-upload-id"}
		hr := &http.Request{Method: "PUT", URL: u, Host: u.Host, Header: http.Header{
			"X-Amz-Copy-Source": {"/bench-bucket/src/000"}, "X-Amz-Content-Sha256": {emptySHA256}}}
		if err := sdk.SignHTTP(ctx, creds, hr, emptySHA256, "s3", "us-east-1", at); err != nil {
			b.Fatal(err)
		}
	}
}
