package refserver

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// env is a reference endpoint under test with SDK clients for each
// principal. The SDK is a client nobody in this project wrote, so the
// normal paths are checked against an independent implementation.
type env struct {
	t     *testing.T
	srv   *Server
	hs    *httptest.Server
	url   string
	main  *s3.Client
	alt   *s3.Client
	temp  *s3.Client
	clock *testClock
}

// testClock is a settable clock: real time plus an offset.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	srv := New(o)
	clk := &testClock{}
	srv.now = clk.now
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &env{t: t, srv: srv, hs: hs, url: hs.URL, clock: clk}
	opt := srv.Options()
	e.main = e.client(opt.Main)
	e.alt = e.client(opt.Alt)
	e.temp = e.client(opt.Temp)
	return e
}

func (e *env) client(p Principal) *s3.Client {
	return s3.New(s3.Options{
		Region:                     e.srv.Options().Region,
		BaseEndpoint:               aws.String(e.url),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(p.AccessKey, p.SecretKey, p.SessionToken),
		HTTPClient:                 e.hs.Client(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           1,
	})
}

var bucketSeq struct {
	sync.Mutex
	n int
}

// bucket creates a fresh bucket owned by c's user.
func (e *env) bucket(c *s3.Client) string {
	e.t.Helper()
	bucketSeq.Lock()
	bucketSeq.n++
	name := "b" + strings.ToLower(hex.EncodeToString([]byte{byte(bucketSeq.n >> 8), byte(bucketSeq.n)})) + "-" + randHex(4)
	bucketSeq.Unlock()
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		e.t.Fatalf("CreateBucket %s: %v", name, err)
	}
	return name
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func (e *env) put(c *s3.Client, bucket, key string, data []byte, mod ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	e.t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}
	for _, m := range mod {
		m(in)
	}
	out, err := c.PutObject(context.Background(), in)
	if err != nil {
		e.t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func (e *env) get(c *s3.Client, bucket, key string) []byte {
	e.t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) initiate(c *s3.Client, bucket, key string, mod ...func(*s3.CreateMultipartUploadInput)) string {
	e.t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	for _, m := range mod {
		m(in)
	}
	out, err := c.CreateMultipartUpload(context.Background(), in)
	if err != nil {
		e.t.Fatalf("CreateMultipartUpload: %v", err)
	}
	return aws.ToString(out.UploadId)
}

func (e *env) copyPart(c *s3.Client, bucket, key, uploadID string, n int32, source, rng string) (*s3.UploadPartCopyOutput, error) {
	in := &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID),
		PartNumber: aws.Int32(n), CopySource: aws.String(source)}
	if rng != "" {
		in.CopySourceRange = aws.String(rng)
	}
	return c.UploadPartCopy(context.Background(), in)
}

func (e *env) mustCopyPart(c *s3.Client, bucket, key, uploadID string, n int32, source, rng string) string {
	e.t.Helper()
	out, err := e.copyPart(c, bucket, key, uploadID, n, source, rng)
	if err != nil {
		e.t.Fatalf("UploadPartCopy part %d from %s (%s): %v", n, source, rng, err)
	}
	if out.CopyPartResult == nil || aws.ToString(out.CopyPartResult.ETag) == "" {
		e.t.Fatalf("UploadPartCopy part %d: no ETag in result (D02)", n)
	}
	return aws.ToString(out.CopyPartResult.ETag)
}

func (e *env) complete(c *s3.Client, bucket, key, uploadID string, etags ...string) (*s3.CompleteMultipartUploadOutput, error) {
	var parts []types.CompletedPart
	for i, et := range etags {
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(et)})
	}
	return c.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key),
		UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
}

func (e *env) listParts(c *s3.Client, bucket, key, uploadID string) []types.Part {
	e.t.Helper()
	out, err := c.ListParts(context.Background(), &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: aws.String(uploadID)})
	if err != nil {
		e.t.Fatalf("ListParts: %v", err)
	}
	return out.Parts
}

// apiCode extracts the S3 error code and HTTP status of an SDK error.
func apiCode(err error) (string, int) {
	if err == nil {
		return "", 200
	}
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

func wantCode(t *testing.T, err error, status int, codes ...string) {
	t.Helper()
	code, st := apiCode(err)
	if st != status {
		t.Fatalf("status = %d (%s, err %v), want %d %v", st, code, err, status, codes)
	}
	if len(codes) == 0 {
		return
	}
	for _, c := range codes {
		if c == code {
			return
		}
	}
	t.Fatalf("code = %q (status %d), want one of %v", code, st, codes)
}

// rawResp is a raw HTTP response with its body read.
type rawResp struct {
	status int
	header http.Header
	body   []byte
}

// errorCode returns the <Code> of an <Error> body ("" if none).
func (r rawResp) errorCode() string {
	var doc struct {
		XMLName xml.Name `xml:"Error"`
		Code    string   `xml:"Code"`
	}
	if xml.Unmarshal(r.body, &doc) != nil {
		return ""
	}
	return doc.Code
}

// rawReq describes a raw request for malformed-path tests.
type rawReq struct {
	method, path string // path includes the query, already encoded
	header       map[string]string
	body         []byte
	principal    *Principal // nil: main; use anonymous for no auth
	anonymous    bool
	payloadHash  string // "" means the SHA-256 of body
	signTime     time.Time
}

// do sends r signed with SigV4 by the SDK's signer (not ours).
func (e *env) do(r rawReq) rawResp {
	e.t.Helper()
	req, err := http.NewRequest(r.method, e.url+r.path, bytes.NewReader(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.ContentLength = int64(len(r.body))
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if !r.anonymous {
		p := e.srv.Options().Main
		if r.principal != nil {
			p = *r.principal
		}
		ph := r.payloadHash
		if ph == "" {
			sum := sha256.Sum256(r.body)
			ph = hex.EncodeToString(sum[:])
		}
		st := r.signTime
		if st.IsZero() {
			st = time.Now()
		}
		e.sign(req, p, ph, st)
	}
	resp, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return rawResp{status: resp.StatusCode, header: resp.Header, body: b}
}

// sign signs req with the SDK's SigV4 signer as p; payloadHash "" means an
// empty body.
func (e *env) sign(req *http.Request, p Principal, payloadHash string, at time.Time) {
	e.t.Helper()
	if payloadHash == "" {
		payloadHash = emptySHA256
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	err := signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: p.AccessKey, SecretAccessKey: p.SecretKey, SessionToken: p.SessionToken},
		req, payloadHash, "s3", e.srv.Options().Region, at)
	if err != nil {
		e.t.Fatal(err)
	}
}

// ssecHeaders returns the three SSE-C headers for key (prefix "" for the
// destination, "copy-source-" for the source).
func ssecHeaders(prefix string, key []byte) map[string]string {
	sum := md5.Sum(key)
	return map[string]string{
		"x-amz-" + prefix + "server-side-encryption-customer-algorithm": "AES256",
		"x-amz-" + prefix + "server-side-encryption-customer-key":       base64.StdEncoding.EncodeToString(key),
		"x-amz-" + prefix + "server-side-encryption-customer-key-MD5":   base64.StdEncoding.EncodeToString(sum[:]),
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func md5Hex(p []byte) string {
	s := md5.Sum(p)
	return hex.EncodeToString(s[:])
}

// copyPath is the UploadPartCopy request path.
func copyPath(bucket, key, uploadID, part string) string {
	return "/" + bucket + "/" + key + "?partNumber=" + part + "&uploadId=" + uploadID
}
