package s3call

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// StatusError is a reply whose status was not the one a helper needed.
type StatusError struct {
	Op      string
	Status  int
	Code    string
	Message string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: status %d", e.Op, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Check returns nil when ex's status is one of want (any 2xx when want is
// empty) and err is nil; otherwise an error naming op, status and S3 code.
func Check(op string, ex *Exchange, err error, want ...int) error {
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	ok := false
	if len(want) == 0 {
		ok = ex.Status >= 200 && ex.Status < 300
	}
	for _, w := range want {
		ok = ok || ex.Status == w
	}
	if ok {
		return nil
	}
	se := &StatusError{Op: op, Status: ex.Status}
	if e, isErr := ParseError(ex.Body); isErr {
		se.Code, se.Message = e.Code, e.Message
	}
	return se
}

// ErrorCode returns the S3 error code in ex's body, or "".
func ErrorCode(ex *Exchange) string {
	if ex == nil {
		return ""
	}
	e, _ := ParseError(ex.Body)
	return e.Code
}

// CreateBucket creates bucket; h may carry x-amz-acl or grants.
func (c *Client) CreateBucket(ctx context.Context, bucket string, h http.Header) (*Exchange, error) {
	r := &Request{Method: http.MethodPut, Bucket: bucket, Header: h}
	if reg := c.cfg.region(); reg != "us-east-1" {
		r.Body = strings.NewReader(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` +
			reg + `</LocationConstraint></CreateBucketConfiguration>`)
	}
	return c.Do(ctx, r)
}

// DeleteBucket deletes an empty bucket.
func (c *Client) DeleteBucket(ctx context.Context, bucket string) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodDelete, Bucket: bucket})
}

// HeadBucket asks whether bucket exists and is accessible.
func (c *Client) HeadBucket(ctx context.Context, bucket string) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodHead, Bucket: bucket})
}

// ListBuckets lists the principal's buckets (used as a connectivity and
// credentials probe).
func (c *Client) ListBuckets(ctx context.Context) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodGet})
}

// PutBucketVersioning turns versioning on or suspends it.
func (c *Client) PutBucketVersioning(ctx context.Context, bucket string, enabled bool) (*Exchange, error) {
	status := "Suspended"
	if enabled {
		status = "Enabled"
	}
	body := `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>` + status + `</Status></VersioningConfiguration>`
	return c.Do(ctx, &Request{Method: http.MethodPut, Bucket: bucket, Query: "versioning", Body: strings.NewReader(body),
		Header: contentMD5([]byte(body))})
}

// PutBucketPolicy sets a bucket policy document (JSON).
func (c *Client) PutBucketPolicy(ctx context.Context, bucket, policy string) (*Exchange, error) {
	h := contentMD5([]byte(policy))
	h.Set("Content-Type", "application/json")
	return c.Do(ctx, &Request{Method: http.MethodPut, Bucket: bucket, Query: "policy", Body: strings.NewReader(policy), Header: h})
}

// DeleteBucketPolicy removes a bucket policy.
func (c *Client) DeleteBucketPolicy(ctx context.Context, bucket string) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodDelete, Bucket: bucket, Query: "policy"})
}

// PutBucketACL sets a canned ACL or grant headers (x-amz-grant-read: id="...").
func (c *Client) PutBucketACL(ctx context.Context, bucket string, h http.Header) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodPut, Bucket: bucket, Query: "acl", Header: h})
}

func contentMD5(b []byte) http.Header {
	sum := md5.Sum(b)
	h := http.Header{}
	h.Set("Content-Md5", b64(sum[:]))
	return h
}

// PutObject uploads size bytes from body. Small bodies should be
// *bytes.Reader (SigV4 hashes them); large ones stream UNSIGNED-PAYLOAD.
func (c *Client) PutObject(ctx context.Context, bucket, key string, body io.Reader, size int64, h http.Header) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodPut, Bucket: bucket, Key: key, Body: body, ContentLength: size, Header: h})
}

// HeadObject reads an object's metadata; query may be "versionId=..." or "".
func (c *Client) HeadObject(ctx context.Context, bucket, key, query string, h http.Header) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodHead, Bucket: bucket, Key: key, Query: query, Header: h})
}

// DeleteObject deletes an object or one version of it (versionID "" for
// the current one).
func (c *Client) DeleteObject(ctx context.Context, bucket, key, versionID string) (*Exchange, error) {
	q := ""
	if versionID != "" {
		q = "versionId=" + EncodeQueryValue(versionID)
	}
	return c.Do(ctx, &Request{Method: http.MethodDelete, Bucket: bucket, Key: key, Query: q})
}

// ObjectRead is a GET whose body was streamed and hashed, never held
// whole: multi-GiB objects cost no memory.
type ObjectRead struct {
	*Exchange
	// Size is the number of body bytes read.
	Size int64
	// MD5 is the hex MD5 of the body.
	MD5 string
	// Data holds the body when it was no longer than the keep limit.
	Data []byte
}

// GetObject streams an object (h may carry Range, SSE-C headers; query
// "versionId=...") and hashes it; the first keep bytes are kept in Data.
// A non-2xx reply is returned with its (capped) body in Exchange.Body.
func (c *Client) GetObject(ctx context.Context, bucket, key, query string, h http.Header, keep int64) (*ObjectRead, error) {
	ex, err := c.Do(ctx, &Request{Method: http.MethodGet, Bucket: bucket, Key: key, Query: query, Header: h, Stream: true})
	if err != nil {
		return nil, err
	}
	defer ex.Stream.Close()
	if ex.Status/100 != 2 {
		ex.Body, ex.BodyCapped, ex.BodyErr = readCapped(ex.Stream, c.maxBody)
		ex.Finish(nil)
		return &ObjectRead{Exchange: ex}, nil
	}
	md := md5.New()
	var kept bytes.Buffer
	w := io.MultiWriter(md, &limitedBuffer{buf: &kept, max: keep})
	n, err := io.Copy(w, ex.Stream)
	ex.Finish(err)
	or := &ObjectRead{Exchange: ex, Size: n, MD5: hex.EncodeToString(md.Sum(nil))}
	if n <= keep {
		or.Data = kept.Bytes()
	}
	return or, nil
}

type limitedBuffer struct {
	buf *bytes.Buffer
	max int64
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - int64(l.buf.Len()); room > 0 {
		if int64(len(p)) <= room {
			l.buf.Write(p)
		} else {
			l.buf.Write(p[:room])
		}
	}
	return len(p), nil
}

// CreateMultipartUpload starts an upload; h may carry SSE-C or SSE-KMS
// headers. It returns the upload id parsed from the body.
func (c *Client) CreateMultipartUpload(ctx context.Context, bucket, key string, h http.Header) (string, *Exchange, error) {
	ex, err := c.Do(ctx, &Request{Method: http.MethodPost, Bucket: bucket, Key: key, Query: "uploads", Header: h})
	if err := Check("CreateMultipartUpload", ex, err, 200); err != nil {
		return "", ex, err
	}
	var res struct {
		UploadID string `xml:"UploadId"`
	}
	if err := xml.Unmarshal(ex.Body, &res); err != nil || res.UploadID == "" {
		return "", ex, fmt.Errorf("CreateMultipartUpload: 200 without an UploadId in the body")
	}
	return res.UploadID, ex, nil
}

// UploadPart uploads part partNumber from body (size bytes).
func (c *Client) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, size int64, h http.Header) (*Exchange, error) {
	q := "partNumber=" + strconv.Itoa(partNumber) + "&uploadId=" + EncodeQueryValue(uploadID)
	return c.Do(ctx, &Request{Method: http.MethodPut, Bucket: bucket, Key: key, Query: q, Body: body, ContentLength: size, Header: h})
}

// CopyPart is one UploadPartCopy request, raw enough to send malformed
// ones: PartNumber is sent as given ("abc", "", "-1").
type CopyPart struct {
	Bucket, Key, UploadID string
	// PartNumber as sent; see OmitPartNumber to leave it out.
	PartNumber string
	// Source is the raw x-amz-copy-source value (see CopySource); "" omits
	// the header.
	Source string
	// Range is the raw x-amz-copy-source-range value; "" omits it.
	Range string
	// Header holds extra headers (SSE-C sets, conditions).
	Header http.Header
	// OmitUploadID and OmitPartNumber leave those parameters out (D08).
	OmitUploadID, OmitPartNumber bool
}

// Query is the request's raw query string.
func (in CopyPart) Query() string {
	var q []string
	if !in.OmitPartNumber {
		q = append(q, "partNumber="+in.PartNumber)
	}
	if !in.OmitUploadID {
		q = append(q, "uploadId="+EncodeQueryValue(in.UploadID))
	}
	return strings.Join(q, "&")
}

// Request returns the raw request for in.
func (in CopyPart) Request() *Request {
	h := MergeHeaders(in.Header)
	if in.Source != "" {
		h.Set(HdrCopySource, in.Source)
	}
	if in.Range != "" {
		h.Set(HdrCopySourceRange, in.Range)
	}
	return &Request{Method: http.MethodPut, Bucket: in.Bucket, Key: in.Key, Query: in.Query(), Header: h}
}

// UploadPartCopy sends in and classifies the reply by the one D02 rule.
// The exchange is nil only for transport failures.
func (c *Client) UploadPartCopy(ctx context.Context, in CopyPart) (*Exchange, Outcome) {
	ex, err := c.Do(ctx, in.Request())
	return ex, CopyPartOutcome(ex, err)
}

// CopySource builds an x-amz-copy-source value: "/bucket/key" with the
// key percent-encoded (S04), and "?versionId=" when versionID is set (S03).
func CopySource(bucket, key, versionID string) string {
	s := "/" + bucket + "/" + EncodePath(key)
	if versionID != "" {
		s += "?versionId=" + EncodeQueryValue(versionID)
	}
	return s
}

// Range renders an inclusive byte range "bytes=start-end" (D07).
func Range(start, end int64) string { return fmt.Sprintf("bytes=%d-%d", start, end) }

// Part is one part as ListParts reports it.
type Part struct {
	PartNumber   int    `xml:"PartNumber"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	LastModified string `xml:"LastModified"`
}

// PartsPage is one page of ListParts, with the pagination fields as the
// endpoint sent them.
type PartsPage struct {
	Parts []Part
	// IsTruncated says more parts follow NextPartNumberMarker.
	IsTruncated bool
	// PartNumberMarker and NextPartNumberMarker are the raw element texts
	// ("" when absent).
	PartNumberMarker, NextPartNumberMarker string
	// MaxParts is the raw MaxParts element text.
	MaxParts string
}

// ListPartsPage sends one ListParts request: maxParts > 0 adds max-parts,
// marker != "" adds part-number-marker (sent as given).
func (c *Client) ListPartsPage(ctx context.Context, bucket, key, uploadID string, maxParts int, marker string) (PartsPage, *Exchange, error) {
	q := "uploadId=" + EncodeQueryValue(uploadID)
	if maxParts > 0 {
		q += "&max-parts=" + strconv.Itoa(maxParts)
	}
	if marker != "" {
		q += "&part-number-marker=" + EncodeQueryValue(marker)
	}
	ex, err := c.Do(ctx, &Request{Method: http.MethodGet, Bucket: bucket, Key: key, Query: q})
	if err := Check("ListParts", ex, err, 200); err != nil {
		return PartsPage{}, ex, err
	}
	var res struct {
		Parts                []Part `xml:"Part"`
		IsTruncated          bool   `xml:"IsTruncated"`
		PartNumberMarker     string `xml:"PartNumberMarker"`
		NextPartNumberMarker string `xml:"NextPartNumberMarker"`
		MaxParts             string `xml:"MaxParts"`
	}
	if err := xml.Unmarshal(ex.Body, &res); err != nil {
		return PartsPage{}, ex, fmt.Errorf("ListParts: unreadable body: %w", err)
	}
	return PartsPage{Parts: res.Parts, IsTruncated: res.IsTruncated, PartNumberMarker: res.PartNumberMarker,
		NextPartNumberMarker: res.NextPartNumberMarker, MaxParts: res.MaxParts}, ex, nil
}

// ListParts lists every part of an upload, following pagination.
func (c *Client) ListParts(ctx context.Context, bucket, key, uploadID string) ([]Part, *Exchange, error) {
	var all []Part
	marker := ""
	for page := 0; page < 100; page++ {
		res, ex, err := c.ListPartsPage(ctx, bucket, key, uploadID, 0, marker)
		if err != nil {
			return all, ex, err
		}
		all = append(all, res.Parts...)
		if !res.IsTruncated || res.NextPartNumberMarker == "" || res.NextPartNumberMarker == marker {
			return all, ex, nil
		}
		marker = res.NextPartNumberMarker
	}
	return all, nil, errors.New("ListParts: more than 100 pages")
}

// CompletedPart names a part for CompleteMultipartUpload.
type CompletedPart struct {
	PartNumber int
	ETag       string
}

// CompleteBody renders a CompleteMultipartUpload request body.
func CompleteBody(parts []CompletedPart) string {
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, p := range parts {
		b.WriteString("<Part><PartNumber>" + strconv.Itoa(p.PartNumber) + "</PartNumber><ETag>")
		_ = xml.EscapeText(&b, []byte(p.ETag))
		b.WriteString("</ETag></Part>")
	}
	b.WriteString("</CompleteMultipartUpload>")
	return b.String()
}

// CompleteMultipartUpload completes an upload and classifies the reply by
// the one D02 rule (ETag in CompleteMultipartUploadResult).
func (c *Client) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletedPart, h http.Header) (*Exchange, Outcome) {
	ex, err := c.Do(ctx, &Request{Method: http.MethodPost, Bucket: bucket, Key: key,
		Query: "uploadId=" + EncodeQueryValue(uploadID), Body: strings.NewReader(CompleteBody(parts)), Header: h})
	return ex, CompleteOutcome(ex, err)
}

// AbortMultipartUpload aborts an upload.
func (c *Client) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) (*Exchange, error) {
	return c.Do(ctx, &Request{Method: http.MethodDelete, Bucket: bucket, Key: key, Query: "uploadId=" + EncodeQueryValue(uploadID)})
}

// Upload is an in-progress multipart upload.
type Upload struct {
	Key      string `xml:"Key"`
	UploadID string `xml:"UploadId"`
}

// ListMultipartUploads lists a bucket's in-progress uploads (first 1000).
func (c *Client) ListMultipartUploads(ctx context.Context, bucket string) ([]Upload, *Exchange, error) {
	ex, err := c.Do(ctx, &Request{Method: http.MethodGet, Bucket: bucket, Query: "uploads"})
	if err := Check("ListMultipartUploads", ex, err, 200); err != nil {
		return nil, ex, err
	}
	var res struct {
		Uploads []Upload `xml:"Upload"`
	}
	if err := xml.Unmarshal(ex.Body, &res); err != nil {
		return nil, ex, fmt.Errorf("ListMultipartUploads: unreadable body: %w", err)
	}
	return res.Uploads, ex, nil
}

// ObjectVersion is one entry of ListObjectVersions (a version or a delete
// marker).
type ObjectVersion struct {
	Key       string
	VersionID string
}

// ListObjectVersions lists every version and delete marker (first 1000);
// on endpoints without versioning it falls back to ListObjects.
func (c *Client) ListObjectVersions(ctx context.Context, bucket string) ([]ObjectVersion, *Exchange, error) {
	ex, err := c.Do(ctx, &Request{Method: http.MethodGet, Bucket: bucket, Query: "versions"})
	if err := Check("ListObjectVersions", ex, err, 200); err != nil {
		return c.listObjects(ctx, bucket)
	}
	var res struct {
		Versions []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"Version"`
		Markers []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"DeleteMarker"`
	}
	if err := xml.Unmarshal(ex.Body, &res); err != nil {
		return nil, ex, fmt.Errorf("ListObjectVersions: unreadable body: %w", err)
	}
	var out []ObjectVersion
	for _, v := range res.Versions {
		out = append(out, ObjectVersion{Key: v.Key, VersionID: v.VersionID})
	}
	for _, v := range res.Markers {
		out = append(out, ObjectVersion{Key: v.Key, VersionID: v.VersionID})
	}
	return out, ex, nil
}

func (c *Client) listObjects(ctx context.Context, bucket string) ([]ObjectVersion, *Exchange, error) {
	ex, err := c.Do(ctx, &Request{Method: http.MethodGet, Bucket: bucket})
	if err := Check("ListObjects", ex, err, 200); err != nil {
		return nil, ex, err
	}
	var res struct {
		Contents []struct {
			Key string `xml:"Key"`
		} `xml:"Contents"`
	}
	if err := xml.Unmarshal(ex.Body, &res); err != nil {
		return nil, ex, fmt.Errorf("ListObjects: unreadable body: %w", err)
	}
	var out []ObjectVersion
	for _, o := range res.Contents {
		out = append(out, ObjectVersion{Key: o.Key})
	}
	return out, ex, nil
}

// RestoreObject starts restoring a cold object for days (D05); tier ""
// means the endpoint's default.
func (c *Client) RestoreObject(ctx context.Context, bucket, key string, days int, tier string) (*Exchange, error) {
	body := `<RestoreRequest xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Days>` + strconv.Itoa(days) + `</Days>`
	if tier != "" {
		body += `<GlacierJobParameters><Tier>` + tier + `</Tier></GlacierJobParameters>`
	}
	body += `</RestoreRequest>`
	return c.Do(ctx, &Request{Method: http.MethodPost, Bucket: bucket, Key: key, Query: "restore",
		Body: strings.NewReader(body), Header: contentMD5([]byte(body))})
}

// EmptyAndDeleteBucket aborts every upload, deletes every object version
// and then the bucket; a bucket that does not exist is no error. It is the cleanup every spec and load run uses; it
// keeps going past individual failures and returns the first error.
func (c *Client) EmptyAndDeleteBucket(ctx context.Context, bucket string) error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	// Every call retries 503 SlowDown and 500 InternalError (Retry): a
	// cleanup given up on a busy endpoint leaves the bucket behind.
	for round := 0; round < 20; round++ {
		var ups []Upload
		lex, err := Retry(ctx, func() (ex *Exchange, err error) {
			ups, ex, err = c.ListMultipartUploads(ctx, bucket)
			return ex, err
		})
		if round == 0 && lex != nil && lex.Status == 404 && ErrorCode(lex) == "NoSuchBucket" {
			// Nothing to clean: the create was refused, or an interrupt
			// cut it off before it happened (callers register the cleanup
			// before the create, so that a create answered too late for
			// the client is cleaned up all the same).
			return nil
		}
		keep(err)
		for _, u := range ups {
			ex, err := Retry(ctx, func() (*Exchange, error) { return c.AbortMultipartUpload(ctx, bucket, u.Key, u.UploadID) })
			keep(Check("AbortMultipartUpload", ex, err, 204, 200, 404))
		}
		var vs []ObjectVersion
		_, err = Retry(ctx, func() (ex *Exchange, err error) {
			vs, ex, err = c.ListObjectVersions(ctx, bucket)
			return ex, err
		})
		keep(err)
		for _, v := range vs {
			ex, err := Retry(ctx, func() (*Exchange, error) { return c.DeleteObject(ctx, bucket, v.Key, v.VersionID) })
			keep(Check("DeleteObject", ex, err, 204, 200, 404))
		}
		if len(ups) == 0 && len(vs) == 0 {
			break
		}
	}
	ex, err := Retry(ctx, func() (*Exchange, error) { return c.DeleteBucket(ctx, bucket) })
	if err := Check("DeleteBucket", ex, err, 204, 200, 404); err != nil {
		return err
	}
	return first
}
