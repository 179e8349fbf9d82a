package nulls3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoutes(t *testing.T) {
	for _, tc := range []struct {
		name, method, target string
		header               map[string]string
		status               int
		root                 string // expected in the body; "" means an empty body
	}{
		{"copy part", "PUT", "/b/k?partNumber=3&uploadId=u", map[string]string{"X-Amz-Copy-Source": "/b/src"}, 200, "<ETag>"},
		{"upload part (no copy source)", "PUT", "/b/k?partNumber=3&uploadId=u", nil, 200, ""},
		{"create upload", "POST", "/b/k?uploads", nil, 200, "<UploadId>null-upload-id</UploadId>"},
		{"complete", "POST", "/b/k?uploadId=u", nil, 200, "<CompleteMultipartUploadResult"},
		{"list uploads", "GET", "/b?uploads", nil, 200, "<ListMultipartUploadsResult"},
		{"list versions", "GET", "/b?versions", nil, 200, "<ListVersionsResult"},
		{"list objects", "GET", "/b", nil, 200, "<ListBucketResult"},
		{"list buckets (the pre-check)", "GET", "/", nil, 200, "<ListAllMyBucketsResult"},
		{"abort", "DELETE", "/b/k?uploadId=u", nil, 204, ""},
		{"create bucket", "PUT", "/b", nil, 200, ""},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		Handler().ServeHTTP(w, r)
		body := w.Body.String()
		if w.Code != tc.status || (tc.root == "" && body != "") || !strings.Contains(body, tc.root) {
			t.Errorf("%s: %d %q, want %d with %q", tc.name, w.Code, body, tc.status, tc.root)
		}
	}
	if IsCopyPart(httptest.NewRequest(http.MethodPut, "/b/k", nil)) {
		t.Error("a PUT without x-amz-copy-source is not a copy")
	}
	if strings.Contains(CopyPartResultNoETag, "ETag") {
		t.Error("CopyPartResultNoETag carries an ETag")
	}
}
