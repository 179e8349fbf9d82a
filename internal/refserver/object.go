package refserver

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// storedHeaders are the request headers kept with an object and returned by
// GET/HEAD.
var storedHeaders = []string{"Content-Type", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires"}

const maxMetadataSize = 2 << 10

// objectHeaders extracts the headers to store with a new object.
func objectHeaders(h http.Header) (http.Header, *apiError) {
	out := http.Header{}
	for _, k := range storedHeaders {
		if v := h.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	if out.Get("Content-Type") == "" {
		out.Set("Content-Type", "binary/octet-stream")
	}
	size := 0
	for k, vs := range h {
		if strings.HasPrefix(k, "X-Amz-Meta-") {
			v := strings.Join(vs, ",")
			size += len(k) - len("X-Amz-Meta-") + len(v)
			out[k] = []string{v}
		}
	}
	if size > maxMetadataSize {
		return nil, errf(http.StatusBadRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.")
	}
	return out, nil
}

// storageClassHeader validates x-amz-storage-class.
func storageClassHeader(h http.Header) (string, *apiError) {
	sc := h.Get("X-Amz-Storage-Class")
	if sc == "" || sc == "STANDARD" {
		return "", nil
	}
	if !storageClasses[sc] {
		return "", errf(http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid").with("StorageClassRequested", sc)
	}
	return sc, nil
}

// newObjectAttrs reads what a request that creates an object (PutObject,
// CreateMultipartUpload) says about it: stored headers, storage class and
// encryption.
func (s *Server) newObjectAttrs(h http.Header) (http.Header, string, sseInfo, *apiError) {
	hdr, e := objectHeaders(h)
	if e != nil {
		return nil, "", sseInfo{}, e
	}
	sc, e := storageClassHeader(h)
	if e != nil {
		return nil, "", sseInfo{}, e
	}
	sse, e := s.parseSSE(h)
	if e != nil {
		return nil, "", sseInfo{}, e
	}
	return hdr, sc, sse, nil
}

// checkObjectWrite checks that the destination bucket exists (D16) and that
// the requester may write to it (D19).
func (q *request) checkObjectWrite(action string) *apiError {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e := q.bucketForLocked(action, q.key)
	return e
}

// commitVersion stores a new version in the request's bucket, unless the
// bucket vanished meanwhile.
func (q *request) commitVersion(v *objVersion) (versioning string, e *apiError) {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.bucketLocked()
	if e != nil {
		return "", e
	}
	s.putVersionLocked(b, v)
	return b.versioning, nil
}

func (q *request) setVersionHeader(versioning, id string) {
	if versioning != "" {
		q.w.Header().Set("x-amz-version-id", id)
	}
}

func (q *request) putObject() *apiError {
	hdr, sc, sse, e := q.s.newObjectAttrs(q.r.Header)
	if e != nil {
		return e
	}
	if e := q.checkObjectWrite(actPutObject); e != nil {
		return e
	}
	data, sum, e := q.readObjectBody()
	if e != nil {
		return e
	}
	v := &objVersion{key: q.key, data: data, etag: quoteETag(sum[:]), lastModified: q.s.stamp(),
		owner: q.id.userOrAnon(), header: hdr, storageClass: sc, sse: sse}
	q.s.memo.put(memoKey{id: v.data.id, start: 0, end: v.data.size - 1}, sum)
	versioning, e := q.commitVersion(v)
	if e != nil {
		return e
	}
	h := q.w.Header()
	h.Set("ETag", v.etag)
	q.setVersionHeader(versioning, v.versionID)
	echoSSE(h, sse)
	return q.noContent(http.StatusOK)
}

func (id *identity) userOrAnon() string {
	if id == nil {
		return "anonymous"
	}
	return id.user
}

// parseGetRange parses a GET Range header. ok=false means "ignore it" (not
// a single bytes range, as HTTP allows); unsatisfiable is a 416.
func parseGetRange(v string, size int64) (start, end int64, ok bool, e *apiError) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	unsat := errf(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable").
		with("RangeRequested", v).with("ActualObjectSize", strconv.FormatInt(size, 10))
	switch {
	case a == "" && allDigits(b): // suffix: last n bytes
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsat
		}
		return max(0, size-n), size - 1, true, nil
	case allDigits(a) && (b == "" || allDigits(b)):
		start, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return 0, 0, false, nil
		}
		end := size - 1
		if b != "" {
			if end, err = strconv.ParseInt(b, 10, 64); err != nil {
				return 0, 0, false, nil
			}
			if end < start {
				return 0, 0, false, nil
			}
			end = min(end, size-1)
		}
		if start >= size {
			return 0, 0, false, unsat
		}
		return start, end, true, nil
	}
	return 0, 0, false, nil
}

// getObject serves GET and HEAD of an object.
func (q *request) getObject(head bool) *apiError {
	s := q.s
	ssec, e := s.parseSSEC(q.r.Header, ssecPrefix)
	if e != nil {
		return e
	}
	versionID := q.q.Get("versionId")
	s.mu.Lock()
	b, e := q.bucketForLocked(actGetObject, q.key)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	v, e := findVersion(b, q.key, versionID)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	now := s.now()
	readable, ongoing := v.restoreState(now)
	restoreExpiry := v.restoreExpiry
	versioning := b.versioning
	s.mu.Unlock()
	h := q.w.Header()
	if v.deleteMarker {
		h.Set("x-amz-delete-marker", "true")
		q.setVersionHeader("on", v.versionID)
		if versionID != "" {
			return errf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		}
		return errNoSuchKey(q.key)
	}
	if !readable && !head {
		// D05 for reads: a cold object must be restored first.
		return errf(http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class").
			with("StorageClass", v.storageClass)
	}
	if e := checkSSECAccess(v.sse, ssec, "object"); e != nil {
		return e
	}
	rh := q.r.Header
	switch res, cond := evalConditions(rh.Get("If-Match"), rh.Get("If-Unmodified-Since"), rh.Get("If-None-Match"), rh.Get("If-Modified-Since"), v.etag, v.lastModified); res {
	case condPreconditionFailed:
		return errPrecondition(cond)
	case condNotModified:
		h.Set("ETag", v.etag)
		h.Set("Last-Modified", httpTime(v.lastModified))
		return q.noContent(http.StatusNotModified)
	}
	start, end := int64(0), v.data.size-1
	status := http.StatusOK
	if rg := rh.Get("Range"); rg != "" {
		a, z, ok, e := parseGetRange(rg, v.data.size)
		if e != nil {
			return e
		}
		if ok {
			start, end, status = a, z, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, v.data.size))
		}
	}
	for k, vs := range v.header {
		h[k] = vs
	}
	for _, o := range []string{"Content-Type", "Content-Language", "Expires", "Cache-Control", "Content-Disposition", "Content-Encoding"} {
		if ov := q.q.Get("response-" + strings.ToLower(o)); ov != "" && q.id != nil {
			h.Set(o, ov)
		}
	}
	h.Set("ETag", v.etag)
	h.Set("Last-Modified", httpTime(v.lastModified))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Length", strconv.FormatInt(end-start+1, 10))
	q.setVersionHeader(versioning, v.versionID)
	if v.storageClass != "" {
		h.Set("x-amz-storage-class", v.storageClass)
	}
	if v.partsCount > 0 && q.q.Get("partNumber") != "" {
		h.Set("x-amz-mp-parts-count", strconv.Itoa(v.partsCount))
	}
	if coldClasses[v.storageClass] {
		switch {
		case ongoing:
			h.Set("x-amz-restore", `ongoing-request="true"`)
		case readable:
			h.Set("x-amz-restore", fmt.Sprintf(`ongoing-request="false", expiry-date="%s"`, httpTime(restoreExpiry)))
		}
	}
	echoSSE(h, v.sse)
	q.w.WriteHeader(status)
	if head || v.data.size == 0 {
		return nil
	}
	_ = v.data.writeRange(q.w, start, end)
	return nil
}

func (q *request) deleteObject() *apiError {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.bucketForLocked(actDeleteObject, q.key)
	if e != nil {
		return e
	}
	dm, vid, e := s.deleteVersionLocked(b, q.key, q.q.Get("versionId"))
	if e != nil {
		return e
	}
	if dm {
		q.w.Header().Set("x-amz-delete-marker", "true")
	}
	if vid != "" {
		q.w.Header().Set("x-amz-version-id", vid)
	}
	return q.noContent(http.StatusNoContent)
}

// copyResult is the success document of a copy: CopyObjectResult or
// CopyPartResult (D13), named by XMLName.
type copyResult struct {
	XMLName      xml.Name
	Xmlns        string `xml:"xmlns,attr"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
}

func (q *request) copyObject() *apiError {
	s := q.s
	rh := q.r.Header
	ref, e := parseCopySource(rh.Get("X-Amz-Copy-Source"))
	if e != nil {
		return e
	}
	srcKey, e := s.parseSSEC(rh, ssecCopyPrefix)
	if e != nil {
		return e
	}
	sse, e := s.parseSSE(rh)
	if e != nil {
		return e
	}
	sc, e := storageClassHeader(rh)
	if e != nil {
		return e
	}
	directive := rh.Get("X-Amz-Metadata-Directive")
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return errInvalidArgument("Unknown metadata directive.").with("ArgumentName", "x-amz-metadata-directive")
	}
	if e := q.checkObjectWrite(actPutObject); e != nil {
		return e
	}
	src, e := q.resolveCopySource(ref, srcKey)
	if e != nil {
		return e
	}
	if ref.bucket == q.bucket && ref.key == q.key && directive != "REPLACE" && sc == src.storageClass && sse.kind == "" && src.sse.kind == "" {
		return errInvalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if src.data.size > MaxPartSize {
		return errInvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: %d", MaxPartSize)
	}
	hdr := src.header
	if directive == "REPLACE" {
		if hdr, e = objectHeaders(rh); e != nil {
			return e
		}
	}
	h := q.w.Header()
	echoSSE(h, sse)
	if src.versionID != "null" {
		h.Set("x-amz-copy-source-version-id", src.versionID)
	}
	return q.runCopy(func(ctx context.Context) (any, *apiError) {
		sum, err := s.memo.md5Of(ctx, src.data, memoKey{id: src.data.id, start: 0, end: src.data.size - 1})
		if err != nil {
			return nil, errf(http.StatusBadRequest, "RequestTimeout", "The request was cancelled.")
		}
		v := &objVersion{key: q.key, data: src.data, etag: quoteETag(sum[:]), lastModified: s.stamp(), owner: q.id.userOrAnon(),
			header: hdr, storageClass: sc, sse: sse}
		versioning, e := q.commitVersion(v)
		if e != nil {
			return nil, e
		}
		if q.s.opt.KeepAliveCopy <= 0 {
			q.setVersionHeader(versioning, v.versionID)
		}
		return copyResult{XMLName: xml.Name{Local: "CopyObjectResult"}, Xmlns: s3NS, LastModified: isoTime(v.lastModified), ETag: v.etag}, nil
	})
}

type restoreRequest struct {
	Days                 int `xml:"Days"`
	GlacierJobParameters struct {
		Tier string `xml:"Tier"`
	} `xml:"GlacierJobParameters"`
}

// restoreObject starts the restore of a cold object (D05). It completes
// after Options.RestoreDelay; HEAD shows the progress in x-amz-restore.
func (q *request) restoreObject() *apiError {
	if e := q.checkObjectWrite(actRestoreObject); e != nil {
		return e
	}
	body, e := q.readXMLBody(maxXMLBody)
	if e != nil {
		return e
	}
	var rr restoreRequest
	if err := xml.Unmarshal(body, &rr); err != nil || rr.Days < 1 {
		return errMalformedXML()
	}
	switch rr.GlacierJobParameters.Tier {
	case "", "Standard", "Bulk", "Expedited":
	default:
		return errMalformedXML()
	}
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.bucketForLocked(actRestoreObject, q.key)
	if e != nil {
		return e
	}
	v, e := findVersion(b, q.key, q.q.Get("versionId"))
	if e != nil {
		return e
	}
	if v.deleteMarker {
		return errNoSuchKey(q.key)
	}
	if !coldClasses[v.storageClass] {
		return errf(http.StatusForbidden, "InvalidObjectState", "Restore is not allowed for the object's current storage class")
	}
	now := s.now()
	readable, ongoing := v.restoreState(now)
	days := time.Duration(rr.Days) * 24 * time.Hour
	switch {
	case ongoing:
		return errf(http.StatusConflict, "RestoreAlreadyInProgress", "Object restore is already in progress")
	case readable:
		v.restoreExpiry = now.Add(days)
		return q.noContent(http.StatusOK)
	}
	v.restoreReady = now.Add(s.opt.RestoreDelay)
	v.restoreExpiry = v.restoreReady.Add(days)
	return q.noContent(http.StatusAccepted)
}
