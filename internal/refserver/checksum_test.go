package refserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestUploadChecksums: the SDK computes x-amz-checksum-* itself, so its
// success proves the server computes every algorithm the same way; a wrong
// or malformed value is refused.
func TestUploadChecksums(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	data := randBytes(100_000)
	// Record which checksum header each upload carried, so the test cannot
	// pass with a client that sent none.
	var mu sync.Mutex
	seen := map[string]bool{}
	spy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		for k := range r.Header {
			if strings.HasPrefix(k, "X-Amz-Checksum-") {
				seen[strings.ToLower(strings.TrimPrefix(k, "X-Amz-Checksum-"))] = true
			}
		}
		mu.Unlock()
		e.srv.ServeHTTP(w, r)
	}))
	defer spy.Close()
	e.url = spy.URL
	client := e.client(e.srv.Options().Main)
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
		t.Run(string(alg), func(t *testing.T) {
			_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("k"),
				Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !seen[strings.ToLower(string(alg))] {
				t.Fatalf("the SDK sent no x-amz-checksum-%s header", strings.ToLower(string(alg)))
			}
		})
	}
	zero4 := base64.StdEncoding.EncodeToString(make([]byte, 4))
	cases := []struct {
		name, hdr, val string
		code           string
	}{
		{"wrong crc32", "x-amz-checksum-crc32", zero4, "BadDigest"},
		{"crc32 of wrong size", "x-amz-checksum-crc32", base64.StdEncoding.EncodeToString(make([]byte, 8)), "InvalidRequest"},
		{"sha256 not base64", "x-amz-checksum-sha256", "***", "InvalidRequest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(rawReq{method: "PUT", path: "/" + b + "/bad", body: data, header: map[string]string{c.hdr: c.val}})
			if r.status != 400 || r.errorCode() != c.code {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	// CRC-64/NVME's published check value.
	h := checksumAlgs[2].new()
	h.Write([]byte("123456789"))
	if got := h.Sum(nil); !bytes.Equal(got, []byte{0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88}) {
		t.Fatalf("crc64nvme check value %x", got)
	}
}
