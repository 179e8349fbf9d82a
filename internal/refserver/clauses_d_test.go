package refserver

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestD01_UploadPartCopyIsListed(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	src := randBytes(1000)
	e.put(e.main, b, "src", src)
	id := e.initiate(e.main, b, "dst")
	etag := e.mustCopyPart(e.main, b, "dst", id, 1, b+"/src", "")
	parts := e.listParts(e.main, b, "dst", id)
	if len(parts) != 1 || aws.ToInt32(parts[0].PartNumber) != 1 || aws.ToInt64(parts[0].Size) != 1000 || aws.ToString(parts[0].ETag) != etag {
		t.Fatalf("ListParts = %+v, want part 1 of 1000 bytes with ETag %s", parts, etag)
	}
	// The raw 200 body starts with the XML declaration and has CopyPartResult.
	r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "2"), header: map[string]string{"x-amz-copy-source": "/" + b + "/src"}})
	if r.status != 200 || !bytes.HasPrefix(r.body, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) || !bytes.Contains(r.body, []byte("<CopyPartResult")) {
		t.Fatalf("raw copy: %d %s", r.status, r.body)
	}
	if r.header.Get("x-amz-request-id") == "" {
		t.Fatal("no x-amz-request-id")
	}
}

func TestD02_EveryCopySuccessCarriesETag(t *testing.T) {
	// D02 is a client rule; the server side of it is that every 200 copy
	// body has an ETag, and a failure found late (S06 mode) is an <Error>
	// root in a 200 body, never a bare 200. See TestS06 for the latter.
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(10))
	id := e.initiate(e.main, b, "dst")
	for i := 1; i <= 3; i++ {
		r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, fmt.Sprint(i)), header: map[string]string{"x-amz-copy-source": b + "/src"}})
		if r.status != 200 || !regexp.MustCompile(`<ETag>&#34;[0-9a-f]{32}&#34;</ETag>|<ETag>"[0-9a-f]{32}"</ETag>`).Match(r.body) {
			t.Fatalf("copy %d: %d %s", i, r.status, r.body)
		}
	}
}

func TestD03_OverwriteKeepsOnlyNewestPart(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	a, c := randBytes(300), randBytes(500)
	e.put(e.main, b, "a", a)
	e.put(e.main, b, "c", c)
	id := e.initiate(e.main, b, "dst")
	first := e.mustCopyPart(e.main, b, "dst", id, 1, b+"/a", "")
	second := e.mustCopyPart(e.main, b, "dst", id, 1, b+"/c", "")
	if first == second {
		t.Fatal("different sources gave the same ETag")
	}
	parts := e.listParts(e.main, b, "dst", id)
	if len(parts) != 1 || aws.ToString(parts[0].ETag) != second || aws.ToInt64(parts[0].Size) != 500 {
		t.Fatalf("ListParts = %+v, want only the newest part 1 (%s, 500 bytes)", parts, second)
	}
	if _, err := e.complete(e.main, b, "dst", id, first); err == nil {
		t.Fatal("Complete with the overwritten part's ETag succeeded")
	}
	if _, err := e.complete(e.main, b, "dst", id, second); err != nil {
		t.Fatal(err)
	}
	if got := e.get(e.main, b, "dst"); !bytes.Equal(got, c) {
		t.Fatal("completed object does not hold the newest part's bytes")
	}
}

func TestD04_SourceUnchanged(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	src := randBytes(4096)
	e.put(e.main, b, "src", src, func(in *s3.PutObjectInput) {
		in.Metadata = map[string]string{"color": "blue"}
		in.ContentType = aws.String("text/x-test")
	})
	head := func() *s3.HeadObjectOutput {
		out, err := e.main.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("src")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := head()
	e.clock.advance(2 * time.Second)
	id := e.initiate(e.main, b, "dst")
	e.mustCopyPart(e.main, b, "dst", id, 1, b+"/src", "bytes=10-99")
	e.mustCopyPart(e.main, b, "dst", id, 2, b+"/src", "")
	after := head()
	if aws.ToString(before.ETag) != aws.ToString(after.ETag) || !before.LastModified.Equal(*after.LastModified) ||
		after.Metadata["color"] != "blue" || aws.ToString(after.ContentType) != "text/x-test" || aws.ToInt64(after.ContentLength) != 4096 {
		t.Fatalf("source changed: before %+v after %+v", before, after)
	}
	if !bytes.Equal(e.get(e.main, b, "src"), src) {
		t.Fatal("source bytes changed")
	}
}

func TestD05_ColdSourceNeedsRestore(t *testing.T) {
	// The delay stays under the 15 minute clock-skew limit, so the test clock
	// can jump over it while clients keep signing with the real time.
	e := newEnv(t, Options{RestoreDelay: 10 * time.Minute})
	b := e.bucket(e.main)
	for _, class := range []string{"GLACIER", "DEEP_ARCHIVE", "COLD"} {
		t.Run(class, func(t *testing.T) {
			key := "cold-" + class
			data := randBytes(100)
			r := e.do(rawReq{method: "PUT", path: "/" + b + "/" + key, body: data, header: map[string]string{"x-amz-storage-class": class}})
			if r.status != 200 {
				t.Fatalf("PUT cold: %d %s", r.status, r.body)
			}
			id := e.initiate(e.main, b, "dst-"+class)
			copyIt := func() rawResp {
				return e.do(rawReq{method: "PUT", path: copyPath(b, "dst-"+class, id, "1"), header: map[string]string{"x-amz-copy-source": "/" + b + "/" + key}})
			}
			wantCold := func(r rawResp, when string) {
				t.Helper()
				if r.status != 403 || r.errorCode() != "InvalidObjectState" || !bytes.Contains(r.body, []byte("Operation is not valid for the source object&#39;s storage class")) {
					t.Fatalf("%s: %d %s, want 403 InvalidObjectState with the document's message", when, r.status, r.body)
				}
			}
			wantCold(copyIt(), "not restored")
			if g := e.do(rawReq{method: "GET", path: "/" + b + "/" + key}); g.status != 403 || g.errorCode() != "InvalidObjectState" {
				t.Fatalf("GET unrestored cold object: %d %s", g.status, g.body)
			}
			rr := e.do(rawReq{method: "POST", path: "/" + b + "/" + key + "?restore",
				body: []byte(`<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Standard</Tier></GlacierJobParameters></RestoreRequest>`)})
			if rr.status != 202 {
				t.Fatalf("restore: %d %s", rr.status, rr.body)
			}
			h := e.do(rawReq{method: "HEAD", path: "/" + b + "/" + key})
			if got := h.header.Get("x-amz-restore"); got != `ongoing-request="true"` {
				t.Fatalf("x-amz-restore while restoring = %q", got)
			}
			if again := e.do(rawReq{method: "POST", path: "/" + b + "/" + key + "?restore", body: []byte(`<RestoreRequest><Days>1</Days></RestoreRequest>`)}); again.status != 409 {
				t.Fatalf("second restore while in progress: %d", again.status)
			}
			wantCold(copyIt(), "restore in progress")
			e.clock.advance(10*time.Minute + time.Second)
			h = e.do(rawReq{method: "HEAD", path: "/" + b + "/" + key})
			if got := h.header.Get("x-amz-restore"); !strings.HasPrefix(got, `ongoing-request="false", expiry-date="`) {
				t.Fatalf("x-amz-restore after restore = %q", got)
			}
			if r := copyIt(); r.status != 200 || !bytes.Contains(r.body, []byte("<ETag>")) {
				t.Fatalf("copy after restore: %d %s", r.status, r.body)
			}
			e.clock.advance(-(10*time.Minute + time.Second))
		})
	}
	t.Run("restore of a standard object", func(t *testing.T) {
		e.put(e.main, b, "warm", []byte("x"))
		r := e.do(rawReq{method: "POST", path: "/" + b + "/warm?restore", body: []byte(`<RestoreRequest><Days>1</Days></RestoreRequest>`)})
		if r.status != 403 || r.errorCode() != "InvalidObjectState" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestD05_RestoreDelayZeroCompletesAtOnce(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "cold", []byte("abc"), func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassGlacier })
	_, err := e.main.RestoreObject(context.Background(), &s3.RestoreObjectInput{Bucket: aws.String(b), Key: aws.String("cold"),
		RestoreRequest: &types.RestoreRequest{Days: aws.Int32(1)}})
	if err != nil {
		t.Fatal(err)
	}
	id := e.initiate(e.main, b, "dst")
	e.mustCopyPart(e.main, b, "dst", id, 1, b+"/cold", "")
}

func TestD06_CopySourceHeader(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	src := randBytes(64)
	e.put(e.main, b, "src", src)
	id := e.initiate(e.main, b, "dst")
	t.Run("both forms work", func(t *testing.T) {
		for i, cs := range []string{"/" + b + "/src", b + "/src"} {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, fmt.Sprint(i+1)), header: map[string]string{"x-amz-copy-source": cs}})
			if r.status != 200 || !bytes.Contains(r.body, []byte(md5Hex(src))) {
				t.Fatalf("%q: %d %s", cs, r.status, r.body)
			}
		}
	})
	t.Run("missing header is a plain UploadPart", func(t *testing.T) {
		body := []byte("not a copy")
		r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "3"), body: body})
		if r.status != 200 || r.header.Get("ETag") != `"`+md5Hex(body)+`"` {
			t.Fatalf("%d %v", r.status, r.header)
		}
	})
	for _, cs := range []string{"", "/", "/" + b, b + "/", "//src", "/%zz/src", "/" + b + "/src?foo=bar", "/" + b + "/src?versionId="} {
		t.Run("malformed "+cs, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "4"), header: map[string]string{"x-amz-copy-source": cs}})
			if r.status != 400 || r.errorCode() != "InvalidArgument" {
				t.Fatalf("%q: %d %s", cs, r.status, r.body)
			}
		})
	}
}

func TestD07_RangeCopiesInclusiveOffsets(t *testing.T) {
	e := newEnv(t, Options{MinPartSize: 1})
	b := e.bucket(e.main)
	src := randBytes(1000)
	e.put(e.main, b, "src", src)
	cases := []struct {
		rng        string
		start, end int
	}{{"bytes=0-0", 0, 0}, {"bytes=0-999", 0, 999}, {"bytes=500-501", 500, 501}, {"bytes=999-999", 999, 999}, {"", 0, 999}}
	for i, c := range cases {
		key := fmt.Sprintf("dst%d", i)
		id := e.initiate(e.main, b, key)
		etag := e.mustCopyPart(e.main, b, key, id, 1, b+"/src", c.rng)
		want := src[c.start : c.end+1]
		if etag != `"`+md5Hex(want)+`"` {
			t.Fatalf("%q: ETag %s is not the MD5 of source[%d..%d]", c.rng, etag, c.start, c.end)
		}
		if _, err := e.complete(e.main, b, key, id, etag); err != nil {
			t.Fatal(err)
		}
		if got := e.get(e.main, b, key); !bytes.Equal(got, want) {
			t.Fatalf("%q: part bytes != source[%d..%d]", c.rng, c.start, c.end)
		}
	}
}

func TestD08_PartNumberAndUploadIDMandatory(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", []byte("x"))
	id := e.initiate(e.main, b, "dst")
	cs := map[string]string{"x-amz-copy-source": "/" + b + "/src"}
	cases := []struct {
		name, path string
		status     int
		code       string
	}{
		{"no uploadId", "/" + b + "/dst?partNumber=1", 400, "InvalidArgument"},
		{"empty uploadId", "/" + b + "/dst?partNumber=1&uploadId=", 400, "InvalidArgument"},
		{"no partNumber", "/" + b + "/dst?uploadId=" + id, 400, "InvalidArgument"},
		{"unknown uploadId", "/" + b + "/dst?partNumber=1&uploadId=nosuchupload", 404, "NoSuchUpload"},
		{"upload of another key", "/" + b + "/other?partNumber=1&uploadId=" + id, 404, "NoSuchUpload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: c.path, header: cs})
			if r.status != c.status || r.errorCode() != c.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, c.status, c.code)
			}
		})
	}
}

func TestD09_DestinationSSEC(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(100))
	key, other := randBytes(32), randBytes(32)
	init := e.do(rawReq{method: "POST", path: "/" + b + "/dst?uploads", header: ssecHeaders("", key)})
	if init.status != 200 {
		t.Fatalf("initiate SSE-C: %d %s", init.status, init.body)
	}
	id := regexp.MustCompile(`<UploadId>([^<]+)</UploadId>`).FindSubmatch(init.body)[1]
	cs := map[string]string{"x-amz-copy-source": "/" + b + "/src"}
	partial := ssecHeaders("", key)
	delete(partial, "x-amz-server-side-encryption-customer-key-MD5")
	cases := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"missing", cs, 400},
		{"partial", merge(cs, partial), 400},
		{"different key", merge(cs, ssecHeaders("", other)), 403},
		{"same key", merge(cs, ssecHeaders("", key)), 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", string(id), "1"), header: c.hdr})
			if r.status != c.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
			}
			if c.status != 200 {
				return
			}
			// D14: SSE-C is echoed.
			sum := md5.Sum(key)
			if r.header.Get("x-amz-server-side-encryption-customer-algorithm") != "AES256" ||
				r.header.Get("x-amz-server-side-encryption-customer-key-MD5") != base64.StdEncoding.EncodeToString(sum[:]) {
				t.Fatalf("SSE-C not echoed: %v", r.header)
			}
		})
	}
	// Failures stored nothing: only the successful part is listed.
	if parts := e.listParts(e.main, b, "dst", string(id)); len(parts) != 1 {
		t.Fatalf("parts = %d, want 1", len(parts))
	}
	t.Run("SSE-C headers for a plain upload", func(t *testing.T) {
		plain := e.initiate(e.main, b, "plain")
		r := e.do(rawReq{method: "PUT", path: copyPath(b, "plain", plain, "1"), header: merge(cs, ssecHeaders("", key))})
		if r.status != 400 {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestD10_SourceSSEC(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	key := randBytes(32)
	data := randBytes(200)
	if r := e.do(rawReq{method: "PUT", path: "/" + b + "/enc", body: data, header: ssecHeaders("", key)}); r.status != 200 {
		t.Fatalf("PUT SSE-C: %d %s", r.status, r.body)
	}
	e.put(e.main, b, "plain", []byte("plain"))
	id := e.initiate(e.main, b, "dst")
	cs := map[string]string{"x-amz-copy-source": "/" + b + "/enc"}
	partial := ssecHeaders("copy-source-", key)
	delete(partial, "x-amz-copy-source-server-side-encryption-customer-algorithm")
	cases := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"missing", cs, 400},
		{"partial", merge(cs, partial), 400},
		{"wrong key", merge(cs, ssecHeaders("copy-source-", randBytes(32))), 403},
		{"right key", merge(cs, ssecHeaders("copy-source-", key)), 200},
		{"source headers for a plain source", merge(map[string]string{"x-amz-copy-source": "/" + b + "/plain"}, ssecHeaders("copy-source-", key)), 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "1"), header: c.hdr})
			if r.status != c.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
			}
			if c.status == 200 && !bytes.Contains(r.body, []byte(md5Hex(data))) {
				t.Fatalf("ETag is not the MD5 of the source bytes: %s", r.body)
			}
		})
	}
	t.Run("GET needs the key", func(t *testing.T) {
		if r := e.do(rawReq{method: "GET", path: "/" + b + "/enc"}); r.status != 400 {
			t.Fatalf("GET without key: %d", r.status)
		}
		if r := e.do(rawReq{method: "GET", path: "/" + b + "/enc", header: ssecHeaders("", randBytes(32))}); r.status != 403 {
			t.Fatalf("GET with wrong key: %d", r.status)
		}
		if r := e.do(rawReq{method: "GET", path: "/" + b + "/enc", header: ssecHeaders("", key)}); r.status != 200 || !bytes.Equal(r.body, data) {
			t.Fatalf("GET with key: %d", r.status)
		}
	})
}

func TestD11_SSECKeyFormat(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", []byte("data"))
	good := randBytes(32)
	goodSum := md5.Sum(good)
	short := randBytes(16)
	shortSum := md5.Sum(short)
	h := func(alg, key, sum string) map[string]string {
		return map[string]string{
			"x-amz-server-side-encryption-customer-algorithm": alg,
			"x-amz-server-side-encryption-customer-key":       key,
			"x-amz-server-side-encryption-customer-key-MD5":   sum,
		}
	}
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"MD5 of another key", h("AES256", b64(good), b64(shortSum[:])), 400},
		{"MD5 not base64", h("AES256", b64(good), "not base64!"), 400},
		{"128-bit key", h("AES256", b64(short), b64(shortSum[:])), 400},
		{"key not base64", h("AES256", "%%%", b64(goodSum[:])), 400},
		{"algorithm AES128", h("AES128", b64(good), b64(goodSum[:])), 400},
		{"256-bit key", h("AES256", b64(good), b64(goodSum[:])), 200},
	}
	long := randBytes(64)
	longSum := md5.Sum(long)
	cases = append(cases, struct {
		name   string
		hdr    map[string]string
		status int
	}{"512-bit key", h("AES256", b64(long), b64(longSum[:])), 200})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(rawReq{method: "POST", path: "/" + b + "/k-" + strings.ReplaceAll(c.name, " ", "") + "?uploads", header: c.hdr})
			if r.status != c.status {
				t.Fatalf("initiate: %d %s, want %d", r.status, r.body, c.status)
			}
			if c.status == 400 && r.errorCode() != "InvalidArgument" {
				t.Fatalf("code %s", r.errorCode())
			}
		})
	}
}

func TestD12_TemporaryCredentials(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(10))
	id := e.initiate(e.main, b, "dst")
	// With its token, temp acts as main: it may copy into main's upload.
	e.mustCopyPart(e.temp, b, "dst", id, 1, b+"/src", "")
	tp := e.srv.Options().Temp
	noTok := tp
	noTok.SessionToken = ""
	badTok := tp
	badTok.SessionToken = "not-the-token"
	for name, p := range map[string]Principal{"without token": noTok, "wrong token": badTok} {
		t.Run(name, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "2"), header: map[string]string{"x-amz-copy-source": "/" + b + "/src"}, principal: &p})
			if r.status != 403 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	t.Run("long-term key with a token", func(t *testing.T) {
		m := e.srv.Options().Main
		m.SessionToken = tp.SessionToken
		r := e.do(rawReq{method: "GET", path: "/", principal: &m})
		if r.status != 403 {
			t.Fatalf("%d", r.status)
		}
	})
}

func TestD13_CopyPartResultWellFormed(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	src := randBytes(333)
	e.put(e.main, b, "src", src)
	id := e.initiate(e.main, b, "dst")
	r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "1"), header: map[string]string{"x-amz-copy-source": "/" + b + "/src"}})
	m := regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>\s*<CopyPartResult xmlns="[^"]+"><LastModified>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)</LastModified><ETag>(?:&#34;|")([0-9a-f]{32})(?:&#34;|")</ETag></CopyPartResult>$`).FindSubmatch(r.body)
	if r.status != 200 || m == nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if string(m[2]) != md5Hex(src) {
		t.Fatalf("ETag %s is not MD5 of the part", m[2])
	}
	lm, err := time.Parse("2006-01-02T15:04:05.000Z", string(m[1]))
	if err != nil || time.Since(lm) > time.Minute || time.Since(lm) < -time.Minute {
		t.Fatalf("LastModified %s", m[1])
	}
}

func TestD14_SSEKMSEchoed(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(10))
	for _, c := range []struct{ name, keyID, want string }{
		{"default key", "", DefaultKMSKeyARN},
		{"named key", "arn:aws:kms:us-east-1:000000000001:key/test-key", "arn:aws:kms:us-east-1:000000000001:key/test-key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := e.initiate(e.main, b, "kms", func(in *s3.CreateMultipartUploadInput) {
				in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
				if c.keyID != "" {
					in.SSEKMSKeyId = aws.String(c.keyID)
				}
			})
			out, err := e.copyPart(e.main, b, "kms", id, 1, b+"/src", "")
			if err != nil {
				t.Fatal(err)
			}
			if out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != c.want {
				t.Fatalf("echo: %q %q", out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
			}
		})
	}
}

func TestD15_InvalidKeyOrSignature(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	unknown := Principal{AccessKey: "AKIAUNKNOWN000000000", SecretKey: "x"}
	badSecret := e.srv.Options().Main
	badSecret.SecretKey = "wrong"
	cases := []struct {
		name string
		req  rawReq
		code string
	}{
		{"unknown key", rawReq{method: "GET", path: "/" + b, principal: &unknown}, "InvalidAccessKeyId"},
		{"bad signature", rawReq{method: "GET", path: "/" + b, principal: &badSecret}, "SignatureDoesNotMatch"},
		{"anonymous", rawReq{method: "GET", path: "/" + b, anonymous: true}, "AccessDenied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.req)
			if r.status != 403 || r.errorCode() != c.code {
				t.Fatalf("%d %s, want 403 %s", r.status, r.body, c.code)
			}
		})
	}
	t.Run("SigV2 bad signature", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.url+"/"+b, nil)
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		req.Header.Set("Authorization", "AWS "+e.srv.Options().Main.AccessKey+":bm90IGEgc2lnbmF0dXJl")
		resp, err := e.hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

func TestD16_DestinationBucketMissing(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", []byte("x"))
	_, err := e.copyPart(e.main, "no-such-bucket-d16", "dst", "someupload", 1, b+"/src", "")
	wantCode(t, err, 404, "NoSuchBucket")
}

func TestD17_SourceObjectMissing(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	id := e.initiate(e.main, b, "dst")
	_, err := e.copyPart(e.main, b, "dst", id, 1, b+"/no-such-key", "")
	wantCode(t, err, 404, "NoSuchKey")
	_, err = e.copyPart(e.main, b, "dst", id, 1, "no-such-src-bucket/key", "")
	wantCode(t, err, 404, "NoSuchBucket")
	// A key whose current version is a delete marker is missing too.
	if _, err := e.main.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	e.put(e.main, b, "gone", []byte("x"))
	if _, err := e.main.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.copyPart(e.main, b, "dst", id, 1, b+"/gone", "")
	wantCode(t, err, 404, "NoSuchKey")
}

// grantPolicy puts a bucket policy allowing principal the actions on bucket.
func (e *env) grantPolicy(c *s3.Client, bucket, principal, effect string, actions ...string) {
	e.t.Helper()
	acts := `"` + strings.Join(actions, `","`) + `"`
	pol := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":%q,"Principal":{"AWS":[%q]},"Action":[%s],"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`,
		effect, principal, acts, bucket, bucket)
	if _, err := c.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(pol)}); err != nil {
		e.t.Fatalf("PutBucketPolicy: %v", err)
	}
}

func TestD18_NoReadOnSource(t *testing.T) {
	e := newEnv(t, Options{})
	srcB := e.bucket(e.main)
	e.put(e.main, srcB, "src", randBytes(50))
	altB := e.bucket(e.alt)
	id := e.initiate(e.alt, altB, "dst")
	copyIt := func() error { _, err := e.copyPart(e.alt, altB, "dst", id, 1, srcB+"/src", ""); return err }
	wantCode(t, copyIt(), 403, "AccessDenied")

	t.Run("policy grant", func(t *testing.T) {
		e.grantPolicy(e.main, srcB, e.srv.Options().Alt.AccessKey, "Allow", "s3:GetObject")
		if err := copyIt(); err != nil {
			t.Fatal(err)
		}
		e.grantPolicy(e.main, srcB, "alt", "Deny", "s3:*")
		wantCode(t, copyIt(), 403, "AccessDenied")
		if _, err := e.main.DeleteBucketPolicy(context.Background(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(srcB)}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, copyIt(), 403, "AccessDenied")
	})
	t.Run("ACL grant-read", func(t *testing.T) {
		r := e.do(rawReq{method: "PUT", path: "/" + srcB + "?acl", header: map[string]string{"x-amz-grant-read": `id="alt"`}})
		if r.status != 200 {
			t.Fatalf("PUT ?acl: %d %s", r.status, r.body)
		}
		if err := copyIt(); err != nil {
			t.Fatal(err)
		}
		if _, err := e.main.PutBucketAcl(context.Background(), &s3.PutBucketAclInput{Bucket: aws.String(srcB), ACL: types.BucketCannedACLPrivate}); err != nil {
			t.Fatal(err)
		}
		wantCode(t, copyIt(), 403, "AccessDenied")
	})
	t.Run("canned ACLs", func(t *testing.T) {
		for _, c := range []struct {
			acl types.BucketCannedACL
			ok  bool
		}{{types.BucketCannedACLPublicRead, true}, {types.BucketCannedACLAuthenticatedRead, true}, {types.BucketCannedACLPublicReadWrite, true}, {types.BucketCannedACLPrivate, false}} {
			if _, err := e.main.PutBucketAcl(context.Background(), &s3.PutBucketAclInput{Bucket: aws.String(srcB), ACL: c.acl}); err != nil {
				t.Fatal(err)
			}
			err := copyIt()
			if c.ok && err != nil {
				t.Fatalf("%s: %v", c.acl, err)
			}
			if !c.ok {
				wantCode(t, err, 403, "AccessDenied")
			}
		}
	})
}

func TestD19_NoWriteOnDestination(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(50))
	// alt may write for a while: it initiates an upload and reads the source.
	e.grantPolicy(e.main, b, "alt", "Allow", "s3:PutObject", "s3:GetObject")
	id := e.initiate(e.alt, b, "dst")
	e.mustCopyPart(e.alt, b, "dst", id, 1, b+"/src", "")
	// Now only READ stays: the copy into the bucket is denied.
	e.grantPolicy(e.main, b, "alt", "Allow", "s3:GetObject")
	_, err := e.copyPart(e.alt, b, "dst", id, 2, b+"/src", "")
	wantCode(t, err, 403, "AccessDenied")
	// WRITE by ACL works again.
	if _, err := e.main.DeleteBucketPolicy(context.Background(), &s3.DeleteBucketPolicyInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	if r := e.do(rawReq{method: "PUT", path: "/" + b + "?acl", header: map[string]string{"x-amz-grant-write": `id="alt"`, "x-amz-grant-read": `id="alt"`}}); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	e.mustCopyPart(e.alt, b, "dst", id, 2, b+"/src", "")
}

func TestD20_NoSuchUpload(t *testing.T) {
	e := newEnv(t, Options{MinPartSize: 1})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(10))
	aborted := e.initiate(e.main, b, "dst")
	if _, err := e.main.AbortMultipartUpload(context.Background(), &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(aborted)}); err != nil {
		t.Fatal(err)
	}
	completed := e.initiate(e.main, b, "dst")
	et := e.mustCopyPart(e.main, b, "dst", completed, 1, b+"/src", "")
	if _, err := e.complete(e.main, b, "dst", completed, et); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"unknown": "0123456789abcdef", "aborted": aborted, "completed": completed} {
		t.Run(name, func(t *testing.T) {
			_, err := e.copyPart(e.main, b, "dst", id, 1, b+"/src", "")
			wantCode(t, err, 404, "NoSuchUpload")
		})
	}
}

func TestD21_RequesterNotInitiator(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(50))
	e.grantPolicy(e.main, b, "alt", "Allow", "s3:*")
	id := e.initiate(e.main, b, "dst")
	_, err := e.copyPart(e.alt, b, "dst", id, 1, b+"/src", "")
	wantCode(t, err, 403, "AccessDenied")
	_, err = e.alt.UploadPart(context.Background(), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
		PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
	wantCode(t, err, 403, "AccessDenied")
	// The initiator (and temp, the same user) may.
	e.mustCopyPart(e.main, b, "dst", id, 1, b+"/src", "")
	e.mustCopyPart(e.temp, b, "dst", id, 2, b+"/src", "")
}

func TestD23_PartNumberRange(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", []byte("x"))
	id := e.initiate(e.main, b, "dst")
	cs := map[string]string{"x-amz-copy-source": "/" + b + "/src"}
	for _, pn := range []string{"abc", "", "-1", "0", "10001", "1.5", "%201", "99999999999999999999", "0x10"} {
		t.Run("bad "+pn, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, pn), header: cs})
			if r.status != 400 || r.errorCode() != "InvalidArgument" {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	for _, pn := range []string{"1", "10000"} {
		t.Run("good "+pn, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, pn), header: cs})
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	if parts := e.listParts(e.main, b, "dst", id); len(parts) != 2 || aws.ToInt32(parts[1].PartNumber) != 10000 {
		t.Fatalf("parts %+v", parts)
	}
}

func TestD24_RequestBodyIgnored(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	src := randBytes(100)
	e.put(e.main, b, "src", src)
	id := e.initiate(e.main, b, "dst")
	r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "1"), header: map[string]string{"x-amz-copy-source": "/" + b + "/src"},
		body: []byte("<CopyPartRequest>ignored</CopyPartRequest>")})
	if r.status != 200 || !bytes.Contains(r.body, []byte(md5Hex(src))) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if parts := e.listParts(e.main, b, "dst", id); aws.ToInt64(parts[0].Size) != 100 {
		t.Fatalf("part size %d, want the source's 100", aws.ToInt64(parts[0].Size))
	}
}

func TestD25_ETagIsThePartsETag(t *testing.T) {
	e := newEnv(t, Options{MinPartSize: 100})
	b := e.bucket(e.main)
	src := randBytes(300)
	e.put(e.main, b, "src", src)
	id := e.initiate(e.main, b, "dst")
	e1 := e.mustCopyPart(e.main, b, "dst", id, 1, b+"/src", "bytes=0-149")
	e2 := e.mustCopyPart(e.main, b, "dst", id, 2, b+"/src", "bytes=150-299")
	parts := e.listParts(e.main, b, "dst", id)
	if aws.ToString(parts[0].ETag) != e1 || aws.ToString(parts[1].ETag) != e2 {
		t.Fatalf("ListParts ETags %s %s, copy ETags %s %s", aws.ToString(parts[0].ETag), aws.ToString(parts[1].ETag), e1, e2)
	}
	_, err := e.complete(e.main, b, "dst", id, e1, `"00000000000000000000000000000000"`)
	wantCode(t, err, 400, "InvalidPart")
	_, err = e.main.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(2), ETag: aws.String(e2)}, {PartNumber: aws.Int32(1), ETag: aws.String(e1)}}}})
	wantCode(t, err, 400, "InvalidPartOrder")
	out, err := e.complete(e.main, b, "dst", id, e1, e2)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := hex.DecodeString(strings.Trim(e1, `"`))
	m2, _ := hex.DecodeString(strings.Trim(e2, `"`))
	want := fmt.Sprintf(`"%s-2"`, md5Hex(append(m1, m2...)))
	if aws.ToString(out.ETag) != want {
		t.Fatalf("object ETag %s, want %s", aws.ToString(out.ETag), want)
	}
}
