package refserver

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/partcopy/partcopy/internal/ctxtime"
)

// copySourceRef is a parsed x-amz-copy-source header.
type copySourceRef struct {
	bucket, key, versionID string
}

// parseCopySource parses x-amz-copy-source: "/bucket/key" or "bucket/key"
// (D06), URL-encoded (S04), optionally with "?versionId=" (S03).
func parseCopySource(v string) (copySourceRef, *apiError) {
	var ref copySourceRef
	bad := func(msg string) (copySourceRef, *apiError) {
		return copySourceRef{}, errInvalidArgument("%s", msg).with("ArgumentName", "x-amz-copy-source").with("ArgumentValue", v)
	}
	if strings.TrimSpace(v) == "" {
		return bad("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	// A raw '?' starts the query: a '?' inside the key must be encoded.
	p, query, hasQuery := strings.Cut(v, "?")
	if hasQuery {
		qv, err := url.ParseQuery(query)
		if err != nil {
			return bad("Invalid copy source encoding")
		}
		for k := range qv {
			if k != "versionId" {
				return bad("Unsupported copy source parameter: " + k)
			}
		}
		ref.versionID = qv.Get("versionId")
		if ref.versionID == "" {
			return bad("Invalid version id specified")
		}
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		return bad("Invalid copy source encoding")
	}
	dec = strings.TrimPrefix(dec, "/")
	b, k, ok := strings.Cut(dec, "/")
	if !ok || b == "" || k == "" {
		return bad("Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	if len(k) > maxKeyLen {
		return bad("Copy Source key is too long")
	}
	ref.bucket, ref.key = b, k
	return ref, nil
}

// parseCopyRange parses x-amz-copy-source-range "bytes=first-last" (D07):
// both offsets required, inclusive, first <= last. Malformed values are 400
// InvalidArgument (S01); bounds against the source are checked later.
func parseCopyRange(v string) (start, end int64, e *apiError) {
	bad := errInvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").
		with("ArgumentName", "x-amz-copy-source-range").with("ArgumentValue", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, bad
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok || !allDigits(a) || !allDigits(b) {
		return 0, 0, bad
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start > end {
		return 0, 0, bad
	}
	return start, end, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// etagMatches implements If-Match / If-None-Match lists ("*" matches all).
func etagMatches(list, etag string) bool {
	bare := strings.Trim(etag, `"`)
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		c = strings.TrimPrefix(c, "W/")
		if c == "*" || strings.Trim(c, `"`) == bare {
			return true
		}
	}
	return false
}

// condResult is the outcome of conditional headers.
type condResult int

const (
	condOK condResult = iota
	condPreconditionFailed
	condNotModified
)

// evalConditions applies If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since with S3's precedence (S02): a true If-Match overrides a
// false If-Unmodified-Since, and If-None-Match, when present, decides alone
// over If-Modified-Since. Unparsable dates are ignored.
func evalConditions(ifMatch, ifUnmod, ifNoneMatch, ifMod, etag string, lastMod time.Time) (condResult, string) {
	lm := lastMod.Truncate(time.Second)
	if ifMatch != "" {
		if !etagMatches(ifMatch, etag) {
			return condPreconditionFailed, "If-Match"
		}
	} else if ifUnmod != "" {
		if t, err := http.ParseTime(ifUnmod); err == nil && lm.After(t) {
			return condPreconditionFailed, "If-Unmodified-Since"
		}
	}
	if ifNoneMatch != "" {
		if etagMatches(ifNoneMatch, etag) {
			return condNotModified, "If-None-Match"
		}
	} else if ifMod != "" {
		if t, err := http.ParseTime(ifMod); err == nil && !lm.After(t) {
			return condNotModified, "If-Modified-Since"
		}
	}
	return condOK, ""
}

// copySource is a resolved, readable copy source. data is immutable, so the
// copy works on it without holding locks (D04: the source never changes).
type copySource struct {
	ref          copySourceRef
	data         *content
	etag         string
	lastModified time.Time
	versionID    string
	header       http.Header
	storageClass string
	sse          sseInfo
}

// resolveCopySource finds the copy source and checks everything about it in
// the order that gives the documented codes: source bucket, READ on it
// (D18), the object or version (D17, S03), its storage class (D05), its
// SSE-C key (D10) and the conditional headers (S02).
func (q *request) resolveCopySource(ref copySourceRef, srcKey *ssecKey) (*copySource, *apiError) {
	s := q.s
	s.mu.Lock()
	b := s.buckets[ref.bucket]
	if b == nil {
		s.mu.Unlock()
		return nil, errNoSuchBucket(ref.bucket)
	}
	if !s.allowed(b, q.id, actGetObject, ref.key) {
		s.mu.Unlock()
		return nil, errAccessDenied()
	}
	v, e := findVersion(b, ref.key, ref.versionID)
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	if v.deleteMarker {
		s.mu.Unlock()
		if ref.versionID != "" {
			return nil, errInvalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
		}
		return nil, errNoSuchKey(ref.key)
	}
	readable, _ := v.restoreState(s.now())
	src := &copySource{ref: ref, data: v.data, etag: v.etag, lastModified: v.lastModified, versionID: v.versionID,
		header: v.header, storageClass: v.storageClass, sse: v.sse}
	s.mu.Unlock()
	if !readable {
		return nil, errColdObject() // D05: not restored or restore in progress
	}
	if e := checkSSECAccess(src.sse, srcKey, "source object"); e != nil {
		return nil, e
	}
	h := q.r.Header
	if res, cond := evalConditions(h.Get("X-Amz-Copy-Source-If-Match"), h.Get("X-Amz-Copy-Source-If-Unmodified-Since"),
		h.Get("X-Amz-Copy-Source-If-None-Match"), h.Get("X-Amz-Copy-Source-If-Modified-Since"), src.etag, src.lastModified); res != condOK {
		return nil, errPrecondition("x-amz-copy-source-" + strings.ToLower(cond))
	}
	return src, nil
}

// findVersion returns the current version of key, or the named version.
// The caller holds s.mu.
func findVersion(b *bucket, key, versionID string) (*objVersion, *apiError) {
	ent := b.objects[key]
	if versionID == "" {
		if ent == nil || ent.current() == nil {
			return nil, errNoSuchKey(key)
		}
		return ent.current(), nil
	}
	if b.versioning == "" && versionID != "null" {
		return nil, errInvalidArgument("Invalid version id specified").with("ArgumentName", "versionId").with("ArgumentValue", versionID)
	}
	if ent != nil {
		for _, v := range ent.versions {
			if v.versionID == versionID {
				return v, nil
			}
		}
	}
	return nil, errf(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.").with("Key", key).with("VersionId", versionID)
}

// runCopy runs the work of a copy (the artificial CopyDelay, hashing,
// storing) and writes its result document. With Options.KeepAliveCopy it
// answers the way large S3 deployments do for long copies (S06): 200
// headers and the XML declaration at once, a space every interval while the
// work runs, then the root element - CopyPartResult/CopyObjectResult, or
// <Error> if the work failed. Without it, a failure is an ordinary error
// response. Response headers must be set before calling.
func (q *request) runCopy(work func(ctx context.Context) (any, *apiError)) *apiError {
	ctx := q.r.Context()
	do := func() (any, *apiError) {
		if !ctxtime.Sleep(ctx, q.s.opt.CopyDelay) {
			return nil, errf(http.StatusBadRequest, "RequestTimeout", "The request was cancelled.")
		}
		return work(ctx)
	}
	interval := q.s.opt.KeepAliveCopy
	if interval <= 0 {
		res, e := do()
		if e != nil {
			return e
		}
		return q.writeXML(http.StatusOK, res)
	}
	type outcome struct {
		res any
		e   *apiError
	}
	done := make(chan outcome, 1)
	go func() {
		res, e := do()
		done <- outcome{res, e}
	}()
	q.w.Header().Set("Content-Type", "application/xml")
	q.w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(q.w, strings.TrimSuffix(xmlDecl, "\n"))
	q.w.Flush()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			_, _ = io.WriteString(q.w, " ")
			q.w.Flush()
		case o := <-done:
			var body []byte
			if o.e != nil {
				body = errorBody(o.e, q.r.URL.Path, q.reqID)
			} else if b, err := xml.Marshal(o.res); err == nil {
				body = b
			} else {
				body = errorBody(errf(http.StatusInternalServerError, "InternalError", "encoding the response failed"), q.r.URL.Path, q.reqID)
			}
			_, _ = io.WriteString(q.w, "\n")
			_, _ = q.w.Write(body)
			return nil
		}
	}
}
