package s3call

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The credentials of AWS's documentation examples (non-working by design).
var exampleCreds = Credentials{AccessKey: "AKIAIOSFODNN7EXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

// v4Auth is a parsed SigV4 Authorization header.
type v4Auth struct{ algorithm, credential, signedHeaders, signature string }

func parseV4Auth(t *testing.T, h string) v4Auth {
	t.Helper()
	alg, rest, ok := strings.Cut(h, " ")
	if !ok {
		t.Fatalf("Authorization %q has no scheme", h)
	}
	a := v4Auth{algorithm: alg}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			a.credential = v
		case "SignedHeaders":
			a.signedHeaders = v
		case "Signature":
			a.signature = v
		}
	}
	return a
}

// exampleClient is a client for the documentation's endpoint, signing at
// the documentation's instant.
func exampleClient(t *testing.T, cfg Config, at time.Time) *Client {
	t.Helper()
	if cfg.Credentials.IsZero() {
		cfg.Credentials = exampleCreds
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return at }
	return c
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TestSigV4DocumentedExamples signs the worked examples of AWS's "Signature
// Calculations for the Authorization Header: Transferring Payload in a
// Single Chunk" (sig-v4-header-based-auth) page through the client's own
// build and sign steps, virtual-hosted on s3.amazonaws.com.
func TestSigV4DocumentedExamples(t *testing.T) {
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	// The PUT example's payload; the page gives its SHA-256.
	putBody := "Welcome to Amazon S3."
	if got := sha256Hex(putBody); got != "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072" {
		t.Fatalf("sha256(%q) = %s", putBody, got)
	}
	cases := []struct {
		name          string
		req           Request
		wantPath      string
		wantQuery     string
		signedHeaders string
		signature     string
	}{
		{
			name:          "GET Object",
			req:           Request{Bucket: "examplebucket", Key: "test.txt", Header: http.Header{"Range": {"bytes=0-9"}}},
			wantPath:      "/test.txt",
			signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
			signature:     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		},
		{
			// The SDK signer also signs Content-Length when a body is
			// attached; the page's example does not, so the payload is
			// given by its hash alone.
			name: "PUT Object",
			req: Request{Method: http.MethodPut, Bucket: "examplebucket", Key: "test$file.text", PayloadHash: sha256Hex(putBody),
				Header: http.Header{"Date": {"Fri, 24 May 2013 00:00:00 GMT"}, "X-Amz-Storage-Class": {"REDUCED_REDUNDANCY"}}},
			wantPath:      "/test%24file.text",
			signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			signature:     "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		},
		{
			name:          "GET Bucket Lifecycle",
			req:           Request{Bucket: "examplebucket", Query: "lifecycle"},
			wantPath:      "/",
			wantQuery:     "lifecycle",
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			signature:     "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		},
		{
			name:          "Get Bucket (List Objects)",
			req:           Request{Bucket: "examplebucket", Query: "max-keys=2&prefix=J"},
			wantPath:      "/",
			wantQuery:     "max-keys=2&prefix=J",
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			signature:     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		},
		{
			// The canonical query is sorted, the wire keeps the caller's order.
			name:          "Get Bucket with the query unsorted",
			req:           Request{Bucket: "examplebucket", Query: "prefix=J&max-keys=2"},
			wantPath:      "/",
			wantQuery:     "prefix=J&max-keys=2",
			signedHeaders: "host;x-amz-content-sha256;x-amz-date",
			signature:     "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := exampleClient(t, Config{Endpoint: "https://s3.amazonaws.com", VirtualHost: true}, at)
			req, payloadHash, err := c.build(context.Background(), &tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.sign(req, payloadHash); err != nil {
				t.Fatal(err)
			}
			a := parseV4Auth(t, req.Header.Get("Authorization"))
			if a.algorithm != "AWS4-HMAC-SHA256" {
				t.Errorf("algorithm %q", a.algorithm)
			}
			if want := "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"; a.credential != want {
				t.Errorf("Credential = %q, want %q", a.credential, want)
			}
			if a.signedHeaders != tc.signedHeaders {
				t.Errorf("SignedHeaders = %q, want %q", a.signedHeaders, tc.signedHeaders)
			}
			if a.signature != tc.signature {
				t.Errorf("Signature = %s, want %s", a.signature, tc.signature)
			}
			if req.Host != "examplebucket.s3.amazonaws.com" {
				t.Errorf("Host = %q", req.Host)
			}
			if got := req.Header.Get("X-Amz-Date"); got != "20130524T000000Z" {
				t.Errorf("X-Amz-Date = %q", got)
			}
			if got := req.URL.EscapedPath(); got != tc.wantPath {
				t.Errorf("path = %q, want %q", got, tc.wantPath)
			}
			if req.URL.RawQuery != tc.wantQuery {
				t.Errorf("query after signing = %q, want %q", req.URL.RawQuery, tc.wantQuery)
			}
		})
	}
}

func TestSigV4SessionTokenIsSigned(t *testing.T) {
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	cr := exampleCreds
	cr.SessionToken = "FQoGZXIvYXdzEXAMPLETOKEN"
	c := exampleClient(t, Config{Endpoint: "https://s3.amazonaws.com", Credentials: cr}, at)
	req, ph, err := c.build(context.Background(), &Request{Bucket: "b", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.sign(req, ph); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get(HdrSecurityToken); got != cr.SessionToken {
		t.Errorf("x-amz-security-token = %q", got)
	}
	if a := parseV4Auth(t, req.Header.Get("Authorization")); !strings.Contains(a.signedHeaders, "x-amz-security-token") {
		t.Errorf("SignedHeaders = %q, want the token signed (D12)", a.signedHeaders)
	}
}

func TestSigV4RegionDefault(t *testing.T) {
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ region, want string }{{"", "us-east-1"}, {"eu-west-3", "eu-west-3"}} {
		c := exampleClient(t, Config{Endpoint: "http://127.0.0.1:9000", Region: tc.region}, at)
		req, ph, err := c.build(context.Background(), &Request{Bucket: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.sign(req, ph); err != nil {
			t.Fatal(err)
		}
		if a := parseV4Auth(t, req.Header.Get("Authorization")); !strings.Contains(a.credential, "/20130524/"+tc.want+"/s3/aws4_request") {
			t.Errorf("region %q: Credential = %q", tc.region, a.credential)
		}
	}
}

// v2Example is one example of AWS's "Signing and Authenticating REST
// Requests" (Signature Version 2) page, with the johnsmith bucket and the
// signatures that page published.
type v2Example struct {
	name   string
	method string
	url    string
	bucket string // virtual-hosted bucket as it enters the resource
	header http.Header
	sts    string
	sig    string
}

var v2Examples = []v2Example{
	{
		name: "Object GET", method: "GET", url: "http://johnsmith.s3.amazonaws.com/photos/puppy.jpg", bucket: "johnsmith",
		header: http.Header{"Date": {"Tue, 27 Mar 2007 19:36:42 +0000"}},
		sts:    "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg",
		sig:    "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
	},
	{
		name: "Object PUT", method: "PUT", url: "http://johnsmith.s3.amazonaws.com/photos/puppy.jpg", bucket: "johnsmith",
		header: http.Header{"Date": {"Tue, 27 Mar 2007 21:15:45 +0000"}, "Content-Type": {"image/jpeg"}, "Content-Length": {"94328"}},
		sts:    "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg",
		sig:    "MyyxeRY7whkBe+bq8fHCL/2kKUg=",
	},
	{
		name: "List", method: "GET", url: "http://johnsmith.s3.amazonaws.com/?prefix=photos&max-keys=50&marker=puppy", bucket: "johnsmith",
		header: http.Header{"Date": {"Tue, 27 Mar 2007 19:42:41 +0000"}, "User-Agent": {"Mozilla/5.0"}},
		sts:    "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/",
		sig:    "htDYFYduRNen8P9ZfE/s9SuKy0U=",
	},
	{
		name: "Fetch (acl sub-resource)", method: "GET", url: "http://johnsmith.s3.amazonaws.com/?acl", bucket: "johnsmith",
		header: http.Header{"Date": {"Tue, 27 Mar 2007 19:44:46 +0000"}},
		sts:    "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl",
		sig:    "c2WLPFtWHVgbEmeEG93a4cG37dM=",
	},
	{
		// x-amz headers: lower-cased, sorted, repeated ones joined by ","; only
		// Content-Type and Content-MD5 of the entity headers count.
		name: "Upload (CNAME bucket, x-amz headers)", method: "PUT", url: "http://static.johnsmith.net:8080/db-backup.dat.gz", bucket: "static.johnsmith.net",
		header: http.Header{
			"User-Agent":                   {"curl/7.15.5"},
			"Date":                         {"Tue, 27 Mar 2007 21:06:08 +0000"},
			"X-Amz-Acl":                    {"public-read"},
			"Content-Type":                 {"application/x-download"},
			"Content-Md5":                  {"4gJE4saaMU4BqNR0kLY+lw=="},
			"X-Amz-Meta-Reviewedby":        {"joe@johnsmith.net", "jane@johnsmith.net"},
			"X-Amz-Meta-Filechecksum":      {"0x02661779"},
			"X-Amz-Meta-Checksumalgorithm": {"crc32"},
			"Content-Disposition":          {"attachment; filename=database.dat"},
			"Content-Encoding":             {"gzip"},
			"Content-Length":               {"5913339"},
		},
		sts: "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n" +
			"x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n" +
			"x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n/static.johnsmith.net/db-backup.dat.gz",
		sig: "ilyl83RwaSoYIEdixDQcA4OnAnc=",
	},
	{
		name: "List all my buckets", method: "GET", url: "http://s3.amazonaws.com/",
		header: http.Header{"Date": {"Wed, 28 Mar 2007 01:29:59 +0000"}},
		sts:    "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/",
		sig:    "qGdzdERIC03wnaRNKh6OqZehG9s=",
	},
	{
		// The path is taken literally, percent-encoding case included.
		name: "Unicode keys", method: "GET", url: "http://s3.amazonaws.com/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
		header: http.Header{"Date": {"Wed, 28 Mar 2007 01:49:49 +0000"}},
		sts:    "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
		sig:    "DNEZGsoieTZ92F3bUfSPQcbGmlM=",
	},
}

func TestSigV2DocumentedExamples(t *testing.T) {
	for _, ex := range v2Examples {
		t.Run(ex.name, func(t *testing.T) {
			req, err := http.NewRequest(ex.method, ex.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = ex.header.Clone()
			sts := StringToSignV2(req, ex.bucket)
			if sts != ex.sts {
				t.Errorf("StringToSignV2 =\n%q\nwant\n%q", sts, ex.sts)
			}
			if got := SignV2(exampleCreds.SecretKey, sts); got != ex.sig {
				t.Errorf("SignV2 = %s, want %s", got, ex.sig)
			}
		})
	}
}

func TestStringToSignV2Rules(t *testing.T) {
	cases := []struct {
		name   string
		method string
		url    string
		bucket string
		header http.Header
		want   string
	}{
		{
			// "if you include the x-amz-date header, use the empty string for
			// the Date when constructing the StringToSign"; x-amz-date is then
			// an ordinary x-amz header.
			name: "x-amz-date replaces Date", method: "DELETE", url: "http://s3.amazonaws.com/johnsmith/photos/puppy.jpg",
			header: http.Header{"Date": {"Tue, 27 Mar 2007 21:20:27 +0000"}, "X-Amz-Date": {"Tue, 27 Mar 2007 21:20:26 +0000"}},
			want:   "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg",
		},
		{
			// Sub-resources sorted by name; their values decoded (as botocore's
			// HmacV1 and MinIO do); other parameters left out.
			name: "sub-resources", method: "PUT", url: "http://s3.amazonaws.com/b/k?uploadId=x%3Dy%2Fz&partNumber=3&foo=bar&versionId=a%2Bb",
			header: http.Header{"Date": {"D"}},
			want:   "PUT\n\n\nD\n/b/k?partNumber=3&uploadId=x=y/z&versionId=a+b",
		},
		{
			name: "valueless sub-resource", method: "POST", url: "http://s3.amazonaws.com/b/k?uploads",
			header: http.Header{"Date": {"D"}},
			want:   "POST\n\n\nD\n/b/k?uploads",
		},
		{
			name: "response overrides", method: "GET", url: "http://b.s3.amazonaws.com/k?response-content-type=text%2Fplain&x-id=GetObject", bucket: "b",
			header: http.Header{"Date": {"D"}},
			want:   "GET\n\n\nD\n/b/k?response-content-type=text/plain",
		},
		{
			name: "x-amz header values trimmed, copy source kept encoded", method: "PUT", url: "http://s3.amazonaws.com/atlantic/jetsam",
			header: http.Header{"Date": {"D"}, "X-Amz-Copy-Source": {"  /pacific/fl%20otsam  "}, "X-Amz-Security-Token": {"tok"}},
			want:   "PUT\n\n\nD\nx-amz-copy-source:/pacific/fl%20otsam\nx-amz-security-token:tok\n/atlantic/jetsam",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tc.header
			if got := StringToSignV2(req, tc.bucket); got != tc.want {
				t.Errorf("StringToSignV2 =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestSigV2ThroughClient sends the documented examples through the client
// (virtual-hosted on s3.amazonaws.com where the example is) to a local
// server that stands in for every host name, and checks the Authorization
// header that arrived.
func TestSigV2ThroughClient(t *testing.T) {
	srv := newRecorder(t, nil)
	cases := []struct {
		name        string
		virtualHost bool
		req         Request
		wantHost    string
		sig         string
	}{
		{"Object GET", true, Request{Bucket: "johnsmith", Key: "photos/puppy.jpg",
			Header: http.Header{"Date": {"Tue, 27 Mar 2007 19:36:42 +0000"}}}, "johnsmith.s3.amazonaws.com", "bWq2s1WEIj+Ydj0vQ697zp+IXMU="},
		{"Object PUT", true, Request{Method: "PUT", Bucket: "johnsmith", Key: "photos/puppy.jpg", Body: bytes.NewReader(make([]byte, 94328)),
			Header: http.Header{"Date": {"Tue, 27 Mar 2007 21:15:45 +0000"}, "Content-Type": {"image/jpeg"}}}, "johnsmith.s3.amazonaws.com", "MyyxeRY7whkBe+bq8fHCL/2kKUg="},
		{"List", true, Request{Bucket: "johnsmith", Query: "prefix=photos&max-keys=50&marker=puppy",
			Header: http.Header{"Date": {"Tue, 27 Mar 2007 19:42:41 +0000"}, "User-Agent": {"Mozilla/5.0"}}}, "johnsmith.s3.amazonaws.com", "htDYFYduRNen8P9ZfE/s9SuKy0U="},
		{"Fetch", true, Request{Bucket: "johnsmith", Query: "acl",
			Header: http.Header{"Date": {"Tue, 27 Mar 2007 19:44:46 +0000"}}}, "johnsmith.s3.amazonaws.com", "c2WLPFtWHVgbEmeEG93a4cG37dM="},
		{"List all my buckets", false, Request{Header: http.Header{"Date": {"Wed, 28 Mar 2007 01:29:59 +0000"}}}, "s3.amazonaws.com", "qGdzdERIC03wnaRNKh6OqZehG9s="},
		{"Unicode keys", false, Request{RawPath: "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re",
			Header: http.Header{"Date": {"Wed, 28 Mar 2007 01:49:49 +0000"}}}, "s3.amazonaws.com", "DNEZGsoieTZ92F3bUfSPQcbGmlM="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := exampleClient(t, Config{Endpoint: "http://s3.amazonaws.com", Signature: SigV2, VirtualHost: tc.virtualHost,
				HTTPClient: srv.dialAll()}, time.Now())
			ex, err := c.Do(context.Background(), &tc.req)
			if err != nil {
				t.Fatal(err)
			}
			got := srv.last()
			if got.host != tc.wantHost {
				t.Errorf("Host = %q, want %q", got.host, tc.wantHost)
			}
			if want := "AWS AKIAIOSFODNN7EXAMPLE:" + tc.sig; got.header.Get("Authorization") != want {
				t.Errorf("Authorization = %q, want %q", got.header.Get("Authorization"), want)
			}
			if ex.Status != 200 {
				t.Errorf("status %d", ex.Status)
			}
		})
	}
}

// TestSigV2DateDefault: without a Date the client adds one in HTTP format
// and signs it.
func TestSigV2DateDefault(t *testing.T) {
	at := time.Date(2007, 3, 27, 19, 36, 42, 0, time.UTC)
	c := exampleClient(t, Config{Endpoint: "http://s3.amazonaws.com", Signature: SigV2, VirtualHost: true}, at)
	req, ph, err := c.build(context.Background(), &Request{Bucket: "johnsmith", Key: "photos/puppy.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.sign(req, ph); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Date"); got != "Tue, 27 Mar 2007 19:36:42 GMT" {
		t.Errorf("Date = %q", got)
	}
	want := "AWS AKIAIOSFODNN7EXAMPLE:" + SignV2(exampleCreds.SecretKey, "GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/johnsmith/photos/puppy.jpg")
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	if req.Header.Get("X-Amz-Content-Sha256") != "" || req.Header.Get("X-Amz-Date") != "" {
		t.Errorf("SigV4 headers on a SigV2 request: %v", req.Header)
	}
}
