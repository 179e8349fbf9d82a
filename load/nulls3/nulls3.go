// Package nulls3 is a do-nothing S3 endpoint: it answers every request the
// load scenario makes with a fixed, valid reply and keeps no state. It is
// the target for measuring the load generator itself (benchmarks, the wrk
// comparison) and the base that tests wrap with injected faults. It checks
// no signature and stores nothing; it is not a reference implementation.
package nulls3

import (
	"io"
	"net/http"
	"strings"
)

// Fixed reply bodies.
const (
	CopyPartResult = `<?xml version="1.0" encoding="UTF-8"?>
<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag></CopyPartResult>`
	// CopyPartResultNoETag is a D02 failure: 200 and a CopyPartResult
	// without an ETag.
	CopyPartResultNoETag = `<?xml version="1.0" encoding="UTF-8"?>
<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-01-01T00:00:00.000Z</LastModified></CopyPartResult>`
	initiateResult = `<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>null-upload-id</UploadId></InitiateMultipartUploadResult>`
	completeResult = `<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"00000000000000000000000000000000-1"</ETag></CompleteMultipartUploadResult>`
	listUploads  = `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListMultipartUploadsResult>`
	listVersions = `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListVersionsResult>`
	listBuckets  = `<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>null</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`
	listObjects  = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></ListBucketResult>`
)

// IsCopyPart reports whether r is an UploadPartCopy request.
func IsCopyPart(r *http.Request) bool {
	return r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" &&
		strings.Contains(r.URL.RawQuery, "partNumber=")
}

// Handler returns the endpoint.
func Handler() http.Handler { return http.HandlerFunc(serve) }

var (
	bodyCopy     = []byte(CopyPartResult)
	bodyInit     = []byte(initiateResult)
	bodyComplete = []byte(completeResult)
	bodyUploads  = []byte(listUploads)
	bodyVersions = []byte(listVersions)
	bodyObjects  = []byte(listObjects)
	bodyBuckets  = []byte(listBuckets)
)

func serve(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	q := r.URL.RawQuery
	switch {
	case IsCopyPart(r):
		write(w, http.StatusOK, bodyCopy)
	case r.Method == http.MethodPost && strings.HasPrefix(q, "uploads"):
		write(w, http.StatusOK, bodyInit)
	case r.Method == http.MethodPost && strings.Contains(q, "uploadId="):
		write(w, http.StatusOK, bodyComplete)
	case r.Method == http.MethodGet && strings.HasPrefix(q, "uploads"):
		write(w, http.StatusOK, bodyUploads)
	case r.Method == http.MethodGet && strings.HasPrefix(q, "versions"):
		write(w, http.StatusOK, bodyVersions)
	case r.Method == http.MethodGet && r.URL.Path == "/":
		// ListBuckets (partcopy's pre-check asks it).
		write(w, http.StatusOK, bodyBuckets)
	case r.Method == http.MethodGet:
		write(w, http.StatusOK, bodyObjects)
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("ETag", `"d41d8cd98f00b204e9800998ecf8427e"`)
		w.WriteHeader(http.StatusOK)
	}
}

// Write sends a fixed XML reply.
func write(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/xml"}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
