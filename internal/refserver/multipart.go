package refserver

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// MaxPartNumber is the highest part number (D23).
const MaxPartNumber = 10000

// parsePartNumber validates partNumber (D08, D23): an integer in
// 1..10,000; anything else ("abc", "", "-1", "0", "10001") is 400.
func parsePartNumber(v string) (int, *apiError) {
	n, err := strconv.Atoi(v)
	if !allDigits(v) || err != nil || n < 1 || n > MaxPartNumber {
		return 0, errInvalidArgument("Part number must be an integer between 1 and %d, inclusive", MaxPartNumber).
			with("ArgumentName", "partNumber").with("ArgumentValue", v)
	}
	return n, nil
}

// partParams reads uploadId and partNumber of UploadPart/UploadPartCopy
// (D08): both are mandatory.
func (q *request) partParams() (string, int, *apiError) {
	id := q.q.Get("uploadId")
	if id == "" {
		return "", 0, errInvalidArgument("This operation requires the uploadId query parameter.").with("ArgumentName", "uploadId")
	}
	if !q.q.Has("partNumber") {
		return "", 0, errInvalidArgument("This operation requires the partNumber query parameter.").with("ArgumentName", "partNumber")
	}
	n, e := parsePartNumber(q.q.Get("partNumber"))
	return id, n, e
}

// uploadSSEForPart applies the checks UploadPart and UploadPartCopy share,
// in the documented order - destination bucket (D16), WRITE on it (D19),
// the upload (D20), the initiator (D21), the destination SSE-C headers
// (D09) - and returns the upload's encryption.
func (q *request) uploadSSEForPart(uploadID string, dest *ssecKey) (sseInfo, *apiError) {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	_, u, e := q.initiatorUploadLocked(uploadID)
	if e != nil {
		return sseInfo{}, e
	}
	if e := checkUploadSSEC(u.sse, dest); e != nil {
		return sseInfo{}, e
	}
	return u.sse, nil
}

// initiatorUploadLocked finds upload uploadID of the request's key for a
// request that writes to it (UploadPart, UploadPartCopy, Complete):
// destination bucket (D16), WRITE on it (D19), the upload (D20), and the
// requester must be its initiator (D21). The caller holds s.mu.
func (q *request) initiatorUploadLocked(uploadID string) (*bucket, *upload, *apiError) {
	b, e := q.bucketForLocked(actPutObject, q.key)
	if e != nil {
		return nil, nil, e
	}
	u := q.s.uploads[uploadID]
	if u == nil || u.bucket != q.bucket || u.key != q.key {
		return nil, nil, errNoSuchUpload(uploadID)
	}
	if q.id == nil || q.id.user != u.initiator {
		return nil, nil, errAccessDenied()
	}
	return b, u, nil
}

// checkUploadSSEC applies D09: the destination SSE-C headers are mandatory
// for an SSE-C upload and must equal those it was initiated with; they are
// refused for other uploads.
func checkUploadSSEC(info sseInfo, k *ssecKey) *apiError {
	if info.kind != "SSE-C" {
		if k != nil {
			return errInvalidRequest("The multipart upload initiate request did not specify SSE-C; the part request must not carry SSE-C headers.")
		}
		return nil
	}
	if k == nil {
		return errInvalidRequest("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
	}
	if subtle.ConstantTimeCompare(k.hash[:], info.keyHash[:]) != 1 {
		return errAccessDenied()
	}
	return nil
}

// storePart stores p in upload uploadID (D03: replacing an existing part
// N), unless the upload was completed or aborted meanwhile.
func (q *request) storePart(uploadID string, p *part) *apiError {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.uploads[uploadID]
	if u == nil {
		return errNoSuchUpload(uploadID)
	}
	u.parts[p.number] = p
	return nil
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (q *request) createUpload() *apiError {
	s := q.s
	hdr, sc, sse, e := s.newObjectAttrs(q.r.Header)
	if e != nil {
		return e
	}
	s.mu.Lock()
	if _, e := q.bucketForLocked(actPutObject, q.key); e != nil {
		s.mu.Unlock()
		return e
	}
	u := &upload{id: s.newID(), bucket: q.bucket, key: q.key, initiator: q.id.userOrAnon(), created: s.stamp(),
		header: hdr, storageClass: sc, sse: sse, parts: map[int]*part{}}
	if q.id != nil {
		u.initiatorID = q.id.canonicalID
	}
	s.uploads[u.id] = u
	s.mu.Unlock()
	echoSSE(q.w.Header(), sse)
	return q.writeXML(http.StatusOK, initiateResult{Xmlns: s3NS, Bucket: q.bucket, Key: q.key, UploadID: u.id})
}

func (q *request) uploadPart() *apiError {
	s := q.s
	uploadID, num, e := q.partParams()
	if e != nil {
		return e
	}
	dest, e := s.parseSSEC(q.r.Header, ssecPrefix)
	if e != nil {
		return e
	}
	sse, e := q.uploadSSEForPart(uploadID, dest)
	if e != nil {
		return e
	}
	data, sum, e := q.readObjectBody()
	if e != nil {
		return e
	}
	p := &part{number: num, data: data, md5: sum, etag: quoteETag(sum[:]), lastModified: s.stamp()}
	s.memo.put(memoKey{id: p.data.id, start: 0, end: p.data.size - 1}, sum)
	if e := q.storePart(uploadID, p); e != nil {
		return e
	}
	h := q.w.Header()
	h.Set("ETag", p.etag)
	echoSSE(h, sse)
	return q.noContent(http.StatusOK)
}

// uploadPartCopy implements UploadPartCopy (D01-D25, S01-S08). Syntax is
// checked first (D08 partNumber/uploadId, D23 range of part numbers, D06
// copy source, S01 range syntax, D11 SSE-C header syntax), then state in
// the order that yields the documented codes: destination bucket (D16),
// WRITE (D19), upload (D20), initiator (D21), destination SSE-C (D09),
// source bucket/READ/object/cold/SSE-C/conditions (D18, D17, D05, D10,
// S02), range bounds (S01) and size (D22). The request body is ignored
// (D24: UploadPartCopy has no request elements).
func (q *request) uploadPartCopy() *apiError {
	s := q.s
	rh := q.r.Header
	uploadID, num, e := q.partParams()
	if e != nil {
		return e
	}
	ref, e := parseCopySource(rh.Get("X-Amz-Copy-Source"))
	if e != nil {
		return e
	}
	rangeHdr, hasRange := rh["X-Amz-Copy-Source-Range"]
	var start, end int64
	if hasRange {
		if start, end, e = parseCopyRange(strings.Join(rangeHdr, ",")); e != nil {
			return e
		}
	}
	dest, e := s.parseSSEC(rh, ssecPrefix)
	if e != nil {
		return e
	}
	srcKey, e := s.parseSSEC(rh, ssecCopyPrefix)
	if e != nil {
		return e
	}
	sse, e := q.uploadSSEForPart(uploadID, dest)
	if e != nil {
		return e
	}
	src, e := q.resolveCopySource(ref, srcKey)
	if e != nil {
		return e
	}
	size := src.data.size
	if hasRange {
		if end >= size { // S01: the range must lie inside the source
			return errf(http.StatusBadRequest, "InvalidRange", "The requested range is not satisfiable").
				with("RangeRequested", rh.Get("X-Amz-Copy-Source-Range")).with("ActualObjectSize", strconv.FormatInt(size, 10))
		}
		if end-start+1 > MaxPartSize { // D22 by range
			return errf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.").
				with("ProposedSize", strconv.FormatInt(end-start+1, 10)).with("MaxSizeAllowed", strconv.FormatInt(MaxPartSize, 10))
		}
	} else {
		if size > MaxPartSize { // D22 by whole source
			return errInvalidRequest("The specified copy source is larger than the maximum allowable size for a copy source: %d", MaxPartSize)
		}
		start, end = 0, size-1
	}
	h := q.w.Header()
	echoSSE(h, sse) // D14
	if src.versionID != "null" {
		h.Set("x-amz-copy-source-version-id", src.versionID)
	}
	return q.runCopy(func(ctx context.Context) (any, *apiError) {
		var data *content
		var sum [16]byte
		if size == 0 {
			data, sum = newContent(nil), md5.Sum(nil)
		} else {
			// D07: the part is source[start..end]; no bytes are copied.
			data = src.data.slice(start, end)
			var err error
			if sum, err = s.memo.md5Of(ctx, data, memoKey{id: src.data.id, start: start, end: end}); err != nil {
				return nil, errf(http.StatusBadRequest, "RequestTimeout", "The request was cancelled.")
			}
		}
		p := &part{number: num, data: data, md5: sum, etag: quoteETag(sum[:]), lastModified: s.stamp()}
		if e := q.storePart(uploadID, p); e != nil {
			return nil, e
		}
		// D13/D25: the ETag is the part's ETag, as ListParts reports it.
		return copyResult{XMLName: xml.Name{Local: "CopyPartResult"}, Xmlns: s3NS, LastModified: isoTime(p.lastModified), ETag: p.etag}, nil
	})
}

type listPartsResult struct {
	XMLName              xml.Name      `xml:"ListPartsResult"`
	Xmlns                string        `xml:"xmlns,attr"`
	Bucket               string        `xml:"Bucket"`
	Key                  string        `xml:"Key"`
	UploadID             string        `xml:"UploadId"`
	Initiator            ownerXML      `xml:"Initiator"`
	Owner                ownerXML      `xml:"Owner"`
	StorageClass         string        `xml:"StorageClass"`
	PartNumberMarker     int           `xml:"PartNumberMarker"`
	NextPartNumberMarker int           `xml:"NextPartNumberMarker"`
	MaxParts             int           `xml:"MaxParts"`
	IsTruncated          bool          `xml:"IsTruncated"`
	Parts                []partXMLItem `xml:"Part"`
}

type partXMLItem struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
}

// uploadForManageLocked finds an upload for ListParts/Abort: allowed to the
// initiator and to the bucket owner (and, for Abort, to a grantee of
// s3:AbortMultipartUpload).
func (q *request) uploadForManageLocked(action string) (*bucket, *upload, *apiError) {
	s := q.s
	b, e := q.bucketLocked()
	if e != nil {
		return nil, nil, e
	}
	id := q.q.Get("uploadId")
	u := s.uploads[id]
	if u == nil || u.bucket != q.bucket || u.key != q.key {
		if !s.allowed(b, q.id, action, q.key) {
			return nil, nil, errAccessDenied()
		}
		return nil, nil, errNoSuchUpload(id)
	}
	if q.id != nil && (q.id.user == u.initiator || q.id.user == b.owner) {
		return b, u, nil
	}
	if action == actAbortUpload && s.allowed(b, q.id, action, q.key) {
		return b, u, nil
	}
	return nil, nil, errAccessDenied()
}

func (q *request) listParts() *apiError {
	maxParts := 1000
	if v := q.q.Get("max-parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-parts not an integer or within integer range").with("ArgumentName", "max-parts")
		}
		maxParts = min(n, 1000)
	}
	marker := 0
	if v := q.q.Get("part-number-marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided part-number-marker not an integer or within integer range").with("ArgumentName", "part-number-marker")
		}
		marker = n
	}
	s := q.s
	s.mu.Lock()
	_, u, e := q.uploadForManageLocked(actListParts)
	if e != nil {
		s.mu.Unlock()
		return e
	}
	res := listPartsResult{Xmlns: s3NS, Bucket: u.bucket, Key: u.key, UploadID: u.id,
		Initiator: ownerXML{ID: u.initiatorID, DisplayName: u.initiator}, Owner: ownerXML{ID: u.initiatorID, DisplayName: u.initiator},
		StorageClass: storageClassOf(u.storageClass), PartNumberMarker: marker, MaxParts: maxParts}
	for _, p := range u.sortedParts() {
		if p.number <= marker {
			continue
		}
		if len(res.Parts) >= maxParts {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, partXMLItem{PartNumber: p.number, LastModified: isoTime(p.lastModified), ETag: p.etag, Size: p.data.size})
		res.NextPartNumberMarker = p.number
	}
	s.mu.Unlock()
	return q.writeXML(http.StatusOK, res)
}

func (q *request) abortUpload() *apiError {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, u, e := q.uploadForManageLocked(actAbortUpload)
	if e != nil {
		return e
	}
	delete(s.uploads, u.id)
	return q.noContent(http.StatusNoContent)
}

type completeRequest struct {
	Parts []struct {
		PartNumber int    `xml:"PartNumber"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// completeUpload validates the part list - ascending order
// (InvalidPartOrder), existing parts with matching ETags (InvalidPart, D25),
// every part but the last at least MinPartSize (S05, EntityTooSmall) - and
// stores the object: the concatenation of the parts, ETag
// "md5(concat(part md5s))-N" (S08).
func (q *request) completeUpload() *apiError {
	if e := q.checkObjectWrite(actPutObject); e != nil {
		return e
	}
	body, e := q.readXMLBody(maxCompleteBody)
	if e != nil {
		return e
	}
	var cr completeRequest
	if err := xml.Unmarshal(body, &cr); err != nil || len(cr.Parts) == 0 {
		return errMalformedXML()
	}
	s := q.s
	id := q.q.Get("uploadId")
	s.mu.Lock()
	defer s.mu.Unlock()
	b, u, e := q.initiatorUploadLocked(id)
	if e != nil {
		return e
	}
	prev := 0
	var contents []*content
	var sums []byte
	for i, rp := range cr.Parts {
		if rp.PartNumber <= prev {
			return errf(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.").with("UploadId", id)
		}
		prev = rp.PartNumber
		p := u.parts[rp.PartNumber]
		if p == nil || strings.Trim(rp.ETag, `" `) != strings.Trim(p.etag, `"`) {
			return errf(http.StatusBadRequest, "InvalidPart",
				"One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
				with("UploadId", id).with("PartNumber", strconv.Itoa(rp.PartNumber)).with("ETag", rp.ETag)
		}
		if i < len(cr.Parts)-1 && p.data.size < s.opt.MinPartSize {
			return errf(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.").
				with("UploadId", id).with("PartNumber", strconv.Itoa(p.number)).
				with("ProposedSize", strconv.FormatInt(p.data.size, 10)).with("MinSizeAllowed", strconv.FormatInt(s.opt.MinPartSize, 10))
		}
		contents = append(contents, p.data)
		sums = append(sums, p.md5[:]...)
	}
	whole := md5.Sum(sums)
	etag := fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(whole[:]), len(cr.Parts))
	v := &objVersion{key: u.key, data: concatContents(contents), etag: etag, lastModified: s.stamp(), owner: u.initiator,
		header: u.header, storageClass: u.storageClass, sse: u.sse, partsCount: len(cr.Parts)}
	delete(s.uploads, id)
	s.putVersionLocked(b, v)
	h := q.w.Header()
	q.setVersionHeader(b.versioning, v.versionID)
	if u.sse.kind != "SSE-C" {
		echoSSE(h, u.sse)
	}
	loc := "/" + awsEscape(q.bucket, true) + "/" + awsEscape(q.key, false)
	return q.writeXML(http.StatusOK, completeResult{Xmlns: s3NS, Location: loc, Bucket: q.bucket, Key: q.key, ETag: etag})
}

type listUploadsResult struct {
	XMLName            xml.Name        `xml:"ListMultipartUploadsResult"`
	Xmlns              string          `xml:"xmlns,attr"`
	Bucket             string          `xml:"Bucket"`
	KeyMarker          string          `xml:"KeyMarker"`
	UploadIDMarker     string          `xml:"UploadIdMarker"`
	NextKeyMarker      string          `xml:"NextKeyMarker"`
	NextUploadIDMarker string          `xml:"NextUploadIdMarker"`
	Prefix             string          `xml:"Prefix"`
	MaxUploads         int             `xml:"MaxUploads"`
	IsTruncated        bool            `xml:"IsTruncated"`
	Uploads            []uploadXMLItem `xml:"Upload"`
}

type uploadXMLItem struct {
	Key          string   `xml:"Key"`
	UploadID     string   `xml:"UploadId"`
	Initiator    ownerXML `xml:"Initiator"`
	Owner        ownerXML `xml:"Owner"`
	StorageClass string   `xml:"StorageClass"`
	Initiated    string   `xml:"Initiated"`
}

func (q *request) listUploads() *apiError {
	maxUploads, e := parseMaxKeys(q.q.Get("max-uploads"), 1000)
	if e != nil {
		return e
	}
	prefix, keyMarker, idMarker := q.q.Get("prefix"), q.q.Get("key-marker"), q.q.Get("upload-id-marker")
	s := q.s
	s.mu.Lock()
	b, e := q.bucketForLocked(actListUploads, "")
	if e != nil {
		s.mu.Unlock()
		return e
	}
	var us []*upload
	for _, u := range s.uploads {
		if u.bucket == b.name && strings.HasPrefix(u.key, prefix) {
			us = append(us, u)
		}
	}
	s.mu.Unlock()
	sort.Slice(us, func(i, j int) bool {
		if us[i].key != us[j].key {
			return us[i].key < us[j].key
		}
		return us[i].id < us[j].id
	})
	res := listUploadsResult{Xmlns: s3NS, Bucket: q.bucket, KeyMarker: keyMarker, UploadIDMarker: idMarker, Prefix: prefix, MaxUploads: maxUploads}
	for _, u := range us {
		if keyMarker != "" && (u.key < keyMarker || (u.key == keyMarker && (idMarker == "" || u.id <= idMarker))) {
			continue
		}
		if len(res.Uploads) >= maxUploads {
			res.IsTruncated = true
			break
		}
		o := ownerXML{ID: u.initiatorID, DisplayName: u.initiator}
		res.Uploads = append(res.Uploads, uploadXMLItem{Key: u.key, UploadID: u.id, Initiator: o, Owner: o,
			StorageClass: storageClassOf(u.storageClass), Initiated: isoTime(u.created)})
		res.NextKeyMarker, res.NextUploadIDMarker = u.key, u.id
	}
	return q.writeXML(http.StatusOK, res)
}
