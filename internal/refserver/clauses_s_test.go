package refserver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestS01_MalformedOrOutsideRange(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", randBytes(100))
	id := e.initiate(e.main, b, "dst")
	cases := []struct {
		rng  string
		code string
	}{
		{"bytes=", "InvalidArgument"},
		{"bytes=a-b", "InvalidArgument"},
		{"0-10", "InvalidArgument"},
		{"bytes=5-2", "InvalidArgument"},
		{"bytes=-10", "InvalidArgument"},
		{"bytes=10-", "InvalidArgument"},
		{"bytes=0-1,3-4", "InvalidArgument"},
		{"bytes= 0-1", "InvalidArgument"},
		{"bytes=0-100", "InvalidRange"},
		{"bytes=100-100", "InvalidRange"},
		{"bytes=0-99999999999999999999", "InvalidArgument"},
	}
	for _, c := range cases {
		t.Run(c.rng, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "1"), header: map[string]string{"x-amz-copy-source": "/" + b + "/src", "x-amz-copy-source-range": c.rng}})
			if r.status != 400 || r.errorCode() != c.code {
				t.Fatalf("%d %s, want 400 %s", r.status, r.body, c.code)
			}
		})
	}
	if parts := e.listParts(e.main, b, "dst", id); len(parts) != 0 {
		t.Fatalf("a failed copy stored a part: %+v", parts)
	}
}

func TestS02_ConditionalCopy(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	out := e.put(e.main, b, "src", randBytes(10))
	etag := aws.ToString(out.ETag)
	head, err := e.main.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("src")})
	if err != nil {
		t.Fatal(err)
	}
	lm := *head.LastModified
	past, future := lm.Add(-time.Hour).Format(http.TimeFormat), lm.Add(time.Hour).Format(http.TimeFormat)
	id := e.initiate(e.main, b, "dst")
	const (
		im  = "x-amz-copy-source-if-match"
		inm = "x-amz-copy-source-if-none-match"
		ims = "x-amz-copy-source-if-modified-since"
		ius = "x-amz-copy-source-if-unmodified-since"
	)
	cases := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"if-match true", map[string]string{im: etag}, 200},
		{"if-match unquoted", map[string]string{im: strings.Trim(etag, `"`)}, 200},
		{"if-match star", map[string]string{im: "*"}, 200},
		{"if-match false", map[string]string{im: `"0123"`}, 412},
		{"if-none-match true", map[string]string{inm: `"0123"`}, 200},
		{"if-none-match false", map[string]string{inm: etag}, 412},
		{"if-modified-since past", map[string]string{ims: past}, 200},
		{"if-modified-since future", map[string]string{ims: future}, 412},
		{"if-unmodified-since future", map[string]string{ius: future}, 200},
		{"if-unmodified-since past", map[string]string{ius: past}, 412},
		// AWS precedence: a true if-match beats a false if-unmodified-since,
		{"if-match true + if-unmodified-since false", map[string]string{im: etag, ius: past}, 200},
		// and a false if-none-match with a true if-modified-since fails.
		{"if-none-match false + if-modified-since true", map[string]string{inm: etag, ims: past}, 412},
		{"if-match false + if-unmodified-since true", map[string]string{im: `"x"`, ius: future}, 412},
		{"unparsable date ignored", map[string]string{ius: "yesterday"}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "1"), header: merge(map[string]string{"x-amz-copy-source": "/" + b + "/src"}, c.hdr)})
			if r.status != c.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, c.status)
			}
			if c.status == 412 && r.errorCode() != "PreconditionFailed" {
				t.Fatalf("code %s", r.errorCode())
			}
		})
	}
}

func TestS03_VersionIDCopiesThatVersion(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	if _, err := e.main.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	v1, v2 := randBytes(100), randBytes(120)
	o1 := e.put(e.main, b, "src", v1)
	e.put(e.main, b, "src", v2)
	id := e.initiate(e.main, b, "dst")
	out, err := e.copyPart(e.main, b, "dst", id, 1, b+"/src?versionId="+aws.ToString(o1.VersionId), "")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CopyPartResult.ETag) != `"`+md5Hex(v1)+`"` || aws.ToString(out.CopySourceVersionId) != aws.ToString(o1.VersionId) {
		t.Fatalf("copied %s (version %s), want version 1", aws.ToString(out.CopyPartResult.ETag), aws.ToString(out.CopySourceVersionId))
	}
	etag := e.mustCopyPart(e.main, b, "dst", id, 2, b+"/src", "")
	if etag != `"`+md5Hex(v2)+`"` {
		t.Fatal("no versionId did not copy the current version")
	}
	_, err = e.copyPart(e.main, b, "dst", id, 3, b+"/src?versionId=doesnotexist", "")
	wantCode(t, err, 404, "NoSuchVersion")
}

func TestS04_SpecialCharacterKeys(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	keys := []string{"with space", "plus+sign", "percent%25", "question?mark", "hash#tag", "ünïcødé/键", "a//double/slash", "amp&eq=semi;", "tilde~star*", "quote'\"", "brackets[]{}"}
	for _, k := range keys {
		t.Run(k, func(t *testing.T) {
			data := randBytes(37)
			e.put(e.main, b, k, data)
			id := e.initiate(e.main, b, "dst/"+k)
			etag := e.mustCopyPart(e.main, b, "dst/"+k, id, 1, b+"/"+url.PathEscape(k), "")
			if etag != `"`+md5Hex(data)+`"` {
				t.Fatalf("wrong bytes copied for %q", k)
			}
			// The same key encoded the AWS way (everything but unreserved and '/').
			r := e.do(rawReq{method: "PUT", path: copyPath(b, awsEscape("dst/"+k, false), id, "2"),
				header: map[string]string{"x-amz-copy-source": "/" + b + "/" + awsEscape(k, false)}})
			if r.status != 200 || !bytes.Contains(r.body, []byte(md5Hex(data))) {
				t.Fatalf("raw: %d %s", r.status, r.body)
			}
		})
	}
}

func TestS05_EntityTooSmall(t *testing.T) {
	cases := []struct {
		name    string
		minPart int64
		sizes   []int
		code    string
	}{
		{"default 5 MiB: small first part", 0, []int{1 << 20, 10}, "EntityTooSmall"},
		{"default 5 MiB: exact minimum", 0, []int{5 << 20, 10}, ""},
		{"vendor 100 KB", 100_000, []int{100_000, 10}, ""},
		{"vendor 100 KB: one byte short", 100_000, []int{99_999, 10}, "EntityTooSmall"},
		{"small last part alone", 0, []int{10}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Options{MinPartSize: c.minPart})
			b := e.bucket(e.main)
			var etags []string
			id := e.initiate(e.main, b, "dst")
			for i, n := range c.sizes {
				e.put(e.main, b, fmt.Sprint("src", i), randBytes(n))
				etags = append(etags, e.mustCopyPart(e.main, b, "dst", id, int32(i+1), fmt.Sprint(b, "/src", i), ""))
			}
			_, err := e.complete(e.main, b, "dst", id, etags...)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, 400, c.code)
		})
	}
}

// readKeepAlive sends a copy and records when the first body byte came.
func readKeepAlive(t *testing.T, e *env, path, source string) (status int, firstByte time.Duration, body []byte) {
	t.Helper()
	req, _ := http.NewRequest("PUT", e.url+path, nil)
	req.Header.Set("x-amz-copy-source", source)
	e.sign(req, e.srv.Options().Main, "", time.Now())
	start := time.Now()
	resp, err := e.hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.Peek(1); err != nil {
		t.Fatal(err)
	}
	firstByte = time.Since(start)
	body, _ = io.ReadAll(br)
	return resp.StatusCode, firstByte, body
}

func TestS06_KeepAliveWhitespaceAfterDeclaration(t *testing.T) {
	e := newEnv(t, Options{KeepAliveCopy: 10 * time.Millisecond, CopyDelay: 200 * time.Millisecond})
	b := e.bucket(e.main)
	data := randBytes(1000)
	e.put(e.main, b, "src", data)
	id := e.initiate(e.main, b, "dst")
	status, first, body := readKeepAlive(t, e, copyPath(b, "dst", id, "1"), "/"+b+"/src")
	decl := `<?xml version="1.0" encoding="UTF-8"?>`
	if status != 200 || !bytes.HasPrefix(body, []byte(decl)) {
		t.Fatalf("%d %q", status, body)
	}
	if first >= 200*time.Millisecond {
		t.Fatalf("first byte after %v: headers and declaration were not sent early", first)
	}
	rest := body[len(decl):]
	root := bytes.IndexByte(rest, '<')
	pad := rest[:root]
	if len(bytes.TrimSpace(pad)) != 0 || bytes.Count(pad, []byte(" ")) < 3 {
		t.Fatalf("padding %q: want several spaces between declaration and root", pad)
	}
	if !bytes.HasPrefix(rest[root:], []byte("<CopyPartResult")) || !bytes.Contains(rest, []byte(md5Hex(data))) {
		t.Fatalf("root: %s", rest[root:])
	}
	// The SDK, a client nobody here wrote, copes with the padded body.
	e.mustCopyPart(e.main, b, "dst", id, 2, b+"/src", "")

	t.Run("failure found late is an Error root in a 200 (D02)", func(t *testing.T) {
		id := e.initiate(e.main, b, "late")
		go func() {
			time.Sleep(50 * time.Millisecond)
			_, _ = e.main.AbortMultipartUpload(context.Background(), &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("late"), UploadId: aws.String(id)})
		}()
		status, _, body := readKeepAlive(t, e, copyPath(b, "late", id, "1"), "/"+b+"/src")
		if status != 200 || !bytes.HasPrefix(body, []byte(decl)) || !bytes.Contains(body, []byte("<Error><Code>NoSuchUpload</Code>")) || bytes.Contains(body, []byte("<ETag>")) {
			t.Fatalf("%d %s", status, body)
		}
	})
	t.Run("errors found before the copy keep their status", func(t *testing.T) {
		r := e.do(rawReq{method: "PUT", path: copyPath(b, "dst", id, "1"), header: map[string]string{"x-amz-copy-source": "/" + b + "/missing"}})
		if r.status != 404 {
			t.Fatalf("%d", r.status)
		}
	})
}

func TestS07_CrossBucketAndSameKey(t *testing.T) {
	e := newEnv(t, Options{MinPartSize: 1})
	srcB, dstB := e.bucket(e.main), e.bucket(e.main)
	data := randBytes(500)
	e.put(e.main, srcB, "obj", data)
	id := e.initiate(e.main, dstB, "obj")
	et := e.mustCopyPart(e.main, dstB, "obj", id, 1, srcB+"/obj", "")
	if _, err := e.complete(e.main, dstB, "obj", id, et); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.get(e.main, dstB, "obj"), data) {
		t.Fatal("cross-bucket copy: wrong bytes")
	}
	// Source == destination key: the object is replaced by the completed upload.
	id = e.initiate(e.main, srcB, "obj")
	e1 := e.mustCopyPart(e.main, srcB, "obj", id, 1, srcB+"/obj", "bytes=0-9")
	e2 := e.mustCopyPart(e.main, srcB, "obj", id, 2, srcB+"/obj", "")
	if _, err := e.complete(e.main, srcB, "obj", id, e1, e2); err != nil {
		t.Fatal(err)
	}
	if got := e.get(e.main, srcB, "obj"); !bytes.Equal(got, append(append([]byte{}, data[:10]...), data...)) {
		t.Fatal("same-key copy: wrong bytes")
	}
}

func TestS08_CompletedObjectBytesAndETag(t *testing.T) {
	e := newEnv(t, Options{MinPartSize: 64})
	b := e.bucket(e.main)
	a, c := randBytes(1000), randBytes(2000)
	e.put(e.main, b, "a", a)
	e.put(e.main, b, "c", c)
	id := e.initiate(e.main, b, "dst")
	ranges := []struct {
		src        string
		data       []byte
		rng        string
		start, end int
	}{{"a", a, "bytes=100-199", 100, 199}, {"c", c, "", 0, 1999}, {"a", a, "bytes=0-63", 0, 63}, {"c", c, "bytes=1999-1999", 1999, 1999}}
	var etags []string
	var want, sums []byte
	for i, r := range ranges {
		etags = append(etags, e.mustCopyPart(e.main, b, "dst", id, int32(i+1), b+"/"+r.src, r.rng))
		part := r.data[r.start : r.end+1]
		want = append(want, part...)
		s := md5.Sum(part)
		sums = append(sums, s[:]...)
	}
	out, err := e.complete(e.main, b, "dst", id, etags...)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.get(e.main, b, "dst"); !bytes.Equal(got, want) {
		t.Fatal("completed bytes != concatenation of the parts' source ranges")
	}
	whole := md5.Sum(sums)
	if wantETag := `"` + hex.EncodeToString(whole[:]) + `-4"`; aws.ToString(out.ETag) != wantETag {
		t.Fatalf("ETag %s, want %s", aws.ToString(out.ETag), wantETag)
	}
	// GET with a Range over the segment boundaries.
	r := e.do(rawReq{method: "GET", path: "/" + b + "/dst", header: map[string]string{"Range": "bytes=90-1110"}})
	if r.status != 206 || !bytes.Equal(r.body, want[90:1111]) || r.header.Get("Content-Range") != fmt.Sprintf("bytes 90-1110/%d", len(want)) {
		t.Fatalf("range GET: %d %v", r.status, r.header)
	}
}
