package refserver

import (
	"bytes"
	"context"
	"fmt"
	"github.com/partcopy/partcopy/internal/depcheck"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

func TestHostileRequestsGet4xx(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	e.put(e.main, b, "src", []byte("x"))
	id := e.initiate(e.main, b, "dst")
	cases := []struct {
		name   string
		req    rawReq
		status int
		code   string
	}{
		{"malformed Complete XML", rawReq{method: "POST", path: "/" + b + "/dst?uploadId=" + id, body: []byte("<CompleteMultipartUpload><Part>")}, 400, "MalformedXML"},
		{"Complete with no parts", rawReq{method: "POST", path: "/" + b + "/dst?uploadId=" + id, body: []byte("<CompleteMultipartUpload></CompleteMultipartUpload>")}, 400, "MalformedXML"},
		{"malformed versioning XML", rawReq{method: "PUT", path: "/" + b + "?versioning", body: []byte("<<<")}, 400, "MalformedXML"},
		{"bad versioning status", rawReq{method: "PUT", path: "/" + b + "?versioning", body: []byte("<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>")}, 400, "MalformedXML"},
		{"policy not JSON", rawReq{method: "PUT", path: "/" + b + "?policy", body: []byte("{not json")}, 400, "MalformedPolicy"},
		{"restore without Days", rawReq{method: "POST", path: "/" + b + "/src?restore", body: []byte("<RestoreRequest/>")}, 400, "MalformedXML"},
		{"key too long", rawReq{method: "PUT", path: "/" + b + "/" + strings.Repeat("k", 1025)}, 400, "KeyTooLongError"},
		{"invalid bucket name", rawReq{method: "PUT", path: "/Bad_Bucket"}, 400, "InvalidBucketName"},
		{"unknown storage class", rawReq{method: "PUT", path: "/" + b + "/x", header: map[string]string{"x-amz-storage-class": "FROZEN"}}, 400, "InvalidStorageClass"},
		{"bad Content-MD5", rawReq{method: "PUT", path: "/" + b + "/x", body: []byte("abc"), header: map[string]string{"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}}, 400, "BadDigest"},
		{"huge metadata", rawReq{method: "PUT", path: "/" + b + "/x", header: map[string]string{"x-amz-meta-big": strings.Repeat("m", 3000)}}, 400, "MetadataTooLarge"},
		{"unsupported sub-resource", rawReq{method: "GET", path: "/" + b + "?lifecycle"}, 501, "NotImplemented"},
		{"garbage SigV4 header", rawReq{method: "GET", path: "/", anonymous: true, header: map[string]string{"Authorization": "AWS4-HMAC-SHA256 garbage"}}, 400, "AuthorizationHeaderMalformed"},
		{"unknown auth scheme", rawReq{method: "GET", path: "/", anonymous: true, header: map[string]string{"Authorization": "Bearer abc"}}, 400, "InvalidArgument"},
		{"presigned query", rawReq{method: "GET", path: "/" + b + "?X-Amz-Signature=abc&X-Amz-Credential=x", anonymous: true}, 501, "NotImplemented"},
		{"method not allowed", rawReq{method: "PATCH", path: "/" + b + "/src"}, 405, "MethodNotAllowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.req)
			if r.status != c.status || r.errorCode() != c.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, c.status, c.code)
			}
			if r.header.Get("x-amz-request-id") == "" || !bytes.HasPrefix(r.body, []byte(xmlDecl)) {
				t.Fatalf("error response without request id or XML declaration: %v %s", r.header, r.body)
			}
		})
	}
}

func TestHostileOverTheWire(t *testing.T) {
	run, err := Start(context.Background(), Options{}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	main := run.Server.Options().Main
	e := &env{t: t, srv: run.Server, url: run.URL}
	if err := func() error {
		req, _ := http.NewRequest("PUT", run.URL+"/hostile", nil)
		e.sign(req, main, "", time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("create bucket: %d", resp.StatusCode)
		}
		return nil
	}(); err != nil {
		t.Fatal(err)
	}
	t.Run("huge header", func(t *testing.T) {
		req, _ := http.NewRequest("GET", run.URL+"/", nil)
		req.Header.Set("X-Junk", strings.Repeat("j", 200<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("bad percent-encoding in path", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(run.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /hostile/%%zz HTTP/1.1\r\nHost: x\r\n\r\n")
		line := make([]byte, 12)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(conn, line); err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 400")) {
			t.Fatalf("%q %v", line, err)
		}
	})
	t.Run("bad percent-encoding in query", func(t *testing.T) {
		req, _ := http.NewRequest("GET", run.URL+"/hostile", nil)
		e.sign(req, main, "", time.Now())
		req.URL.RawQuery = "prefix=%zz" // the SDK signer would have dropped it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !bytes.Contains(body, []byte("InvalidArgument")) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("endless XML body", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", run.URL+"/hostile?policy", io.NopCloser(endless{}))
		e.sign(req, main, unsignedPayload, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !bytes.Contains(body, []byte("MaxMessageLengthExceeded")) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("object PUT without Content-Length", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", run.URL+"/hostile/obj", io.NopCloser(io.LimitReader(endless{}, 10<<20)))
		e.sign(req, main, unsignedPayload, time.Now())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusLengthRequired {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

func TestHostileHugeDeclaredLength(t *testing.T) {
	s := New(Options{})
	e := &env{t: t, srv: s}
	s.buckets["b1"] = &bucket{name: "b1", owner: "main", objects: map[string]*objectEntry{}}
	req := httptest.NewRequest("PUT", "http://x/b1/obj", io.NopCloser(endless{}))
	req.ContentLength = 6 << 30
	e.sign(req, s.Options().Main, unsignedPayload, time.Now())
	w := newRecorder()
	s.ServeHTTP(w, req)
	if w.code != 400 || !strings.Contains(w.body.String(), "EntityTooLarge") {
		t.Fatalf("%d %s", w.code, w.body.String())
	}
}

// panicky is a body whose Read panics, standing in for any bug.
type panicky struct{}

func (panicky) Read([]byte) (int, error) { panic("boom") }

func TestRecoverMiddlewareAnswers500(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	s := New(Options{Logf: func(f string, a ...any) { mu.Lock(); fmt.Fprintf(&logged, f+"\n", a...); mu.Unlock() }})
	e := &env{t: t, srv: s}
	s.buckets["b1"] = &bucket{name: "b1", owner: "main", objects: map[string]*objectEntry{}}
	req := httptest.NewRequest("PUT", "http://x/b1/obj", io.NopCloser(panicky{}))
	req.ContentLength = 10
	e.sign(req, s.Options().Main, unsignedPayload, time.Now())
	w := newRecorder()
	s.ServeHTTP(w, req)
	if w.code != 500 || !strings.Contains(w.body.String(), "<Code>InternalError</Code>") {
		t.Fatalf("%d %s", w.code, w.body.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "panic") {
		t.Fatal("panic not logged")
	}
	// Logs never carry secrets.
	for _, secret := range []string{s.opt.Main.SecretKey, "Signature=", s.opt.Temp.SessionToken} {
		if strings.Contains(logged.String(), secret) {
			t.Fatalf("log contains a secret: %q", secret)
		}
	}
}

func TestConcurrentCopiesRaceFree(t *testing.T) {
	e := newEnv(t, Options{MinPartSize: 1})
	b := e.bucket(e.main)
	srcs := make([][]byte, 4)
	for i := range srcs {
		srcs[i] = randBytes(1000 + i)
		e.put(e.main, b, fmt.Sprint("src", i), srcs[i])
	}
	id := e.initiate(e.main, b, "dst")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				// Several writers overwrite the same part numbers (D03).
				if _, err := e.copyPart(e.main, b, "dst", id, int32(i%4+1), fmt.Sprintf("%s/src%d", b, (w+i)%4), ""); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			_, _ = e.main.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("dst"), UploadId: aws.String(id)})
			_, _ = e.main.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("src0")})
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	parts := e.listParts(e.main, b, "dst", id)
	if len(parts) != 4 {
		t.Fatalf("%d parts, want 4", len(parts))
	}
	for _, p := range parts {
		ok := false
		for _, s := range srcs {
			if aws.ToString(p.ETag) == `"`+md5Hex(s)+`"` && aws.ToInt64(p.Size) == int64(len(s)) {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("part %d has ETag/size of no source: %s %d", aws.ToInt32(p.PartNumber), aws.ToString(p.ETag), aws.ToInt64(p.Size))
		}
	}
}

func TestVirtualHostedAddressing(t *testing.T) {
	e := newEnv(t, Options{BaseDomain: "s3.partcopy.test"})
	b := e.bucket(e.main)
	e.put(e.main, b, "k/ey", []byte("vhost"))
	req, _ := http.NewRequest("GET", e.url+"/k/ey", nil)
	req.Host = b + ".s3.partcopy.test:9000"
	e.sign(req, e.srv.Options().Main, "", time.Now())
	resp, err := e.hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "vhost" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

// TestNoClientImports keeps refserver independent of the client layer: it
// must share no code with internal/s3call, nor with anything else of
// partcopy's (an independent implementation is what makes it an opponent).
func TestNoClientImports(t *testing.T) {
	depcheck.Check(t, []string{"."}, []string{"github.com/partcopy/partcopy/internal/refserver"},
		"github.com/partcopy/partcopy/internal/s3call*", "github.com/partcopy/partcopy/internal/faults*", "github.com/partcopy/partcopy/suites*", "github.com/partcopy/partcopy/load*", "github.com/partcopy/partcopy/reports*", "github.com/partcopy/partcopy/cmd*")
}

func TestStartServesAndCloses(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	run, err := Start(ctx, Options{}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(run.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("anonymous ListBuckets: %d", resp.StatusCode)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := http.Get(run.URL + "/"); err != nil {
			return // closed
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server still answering after ctx was cancelled")
}

// TestPutObjectStoredInChunks checks a body larger than one storage chunk
// reads back byte-exact, whole and across chunk boundaries.
func TestPutObjectStoredInChunks(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	data := randBytes(2*bodyChunk + 5)
	out := e.put(e.main, b, "big", data)
	if aws.ToString(out.ETag) != `"`+md5Hex(data)+`"` {
		t.Fatalf("ETag %s", aws.ToString(out.ETag))
	}
	if !bytes.Equal(e.get(e.main, b, "big"), data) {
		t.Fatal("whole object differs")
	}
	r := e.do(rawReq{method: "GET", path: "/" + b + "/big", header: map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", bodyChunk-3, 2*bodyChunk+2)}})
	if r.status != 206 || !bytes.Equal(r.body, data[bodyChunk-3:2*bodyChunk+3]) {
		t.Fatalf("range across chunks: %d, %d bytes", r.status, len(r.body))
	}
}
