package refserver

import (
	"encoding/base64"
	"encoding/xml"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// validBucketName applies S3's bucket naming rules.
func validBucketName(n string) bool {
	if len(n) < 3 || len(n) > 63 || net.ParseIP(n) != nil {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	first, last := n[0], n[len(n)-1]
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	return alnum(first) && alnum(last) && !strings.Contains(n, "..")
}

// bucketLocked returns the request's bucket; the caller holds s.mu.
func (q *request) bucketLocked() (*bucket, *apiError) {
	b := q.s.buckets[q.bucket]
	if b == nil {
		return nil, errNoSuchBucket(q.bucket)
	}
	return b, nil
}

// bucketForLocked returns the request's bucket if the requester may do
// action on it (key "" for bucket-level actions): 404 NoSuchBucket first
// (D16), then 403 AccessDenied (D18, D19). The caller holds s.mu.
func (q *request) bucketForLocked(action, key string) (*bucket, *apiError) {
	b, e := q.bucketLocked()
	if e != nil {
		return nil, e
	}
	if !q.s.allowed(b, q.id, action, key) {
		return nil, errAccessDenied()
	}
	return b, nil
}

// ownerOnlyLocked returns the bucket if the requester owns it.
func (q *request) ownerOnlyLocked() (*bucket, *apiError) {
	b, err := q.bucketLocked()
	if err != nil {
		return nil, err
	}
	if q.id == nil || q.id.user != b.owner {
		return nil, errAccessDenied()
	}
	return b, nil
}

// ownerCheck verifies that the bucket exists and the requester owns it
// before a request body is read, so strangers cannot make the server read
// bodies for nothing. Handlers check again when they apply the change.
func (q *request) ownerCheck() *apiError {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	_, e := q.ownerOnlyLocked()
	return e
}

type createBucketConfiguration struct {
	LocationConstraint string `xml:"LocationConstraint"`
}

func (q *request) createBucket() *apiError {
	if !validBucketName(q.bucket) {
		return errf(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.").with("BucketName", q.bucket)
	}
	if q.id == nil {
		return errAccessDenied()
	}
	body, e := q.readXMLBody(maxXMLBody)
	if e != nil {
		return e
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var cfg createBucketConfiguration
		if err := xml.Unmarshal(body, &cfg); err != nil {
			return errMalformedXML()
		}
		if lc := cfg.LocationConstraint; lc != "" && lc != q.s.opt.Region {
			return errf(http.StatusBadRequest, "IllegalLocationConstraintException",
				"The %s location constraint is incompatible for the region specific endpoint this request was sent to.", lc)
		}
	}
	acl, e := q.s.parseGrantHeaders(q.r.Header)
	if e != nil {
		return e
	}
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.buckets[q.bucket]; b != nil {
		if b.owner == q.id.user {
			return errf(http.StatusConflict, "BucketAlreadyOwnedByYou",
				"Your previous request to create the named bucket succeeded and you already own it.").with("BucketName", q.bucket)
		}
		return errf(http.StatusConflict, "BucketAlreadyExists",
			"The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").with("BucketName", q.bucket)
	}
	s.buckets[q.bucket] = &bucket{name: q.bucket, owner: q.id.user, created: s.now(), objects: map[string]*objectEntry{}, acl: *acl}
	q.w.Header().Set("Location", "/"+q.bucket)
	return q.noContent(http.StatusOK)
}

func (q *request) deleteBucket() *apiError {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.ownerOnlyLocked()
	if e != nil {
		return e
	}
	if len(b.objects) > 0 {
		return errf(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty").with("BucketName", b.name)
	}
	// Uploads in progress do not keep the bucket alive; they go with it.
	for id, u := range s.uploads {
		if u.bucket == b.name {
			delete(s.uploads, id)
		}
	}
	delete(s.buckets, b.name)
	return q.noContent(http.StatusNoContent)
}

func (q *request) headBucket() *apiError {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, e := q.bucketForLocked(actListBucket, ""); e != nil {
		return e
	}
	q.w.Header().Set("x-amz-bucket-region", s.opt.Region)
	return q.noContent(http.StatusOK)
}

type listAllMyBucketsResult struct {
	XMLName xml.Name       `xml:"ListAllMyBucketsResult"`
	Xmlns   string         `xml:"xmlns,attr"`
	Owner   ownerXML       `xml:"Owner"`
	Buckets []bucketXMLRow `xml:"Buckets>Bucket"`
}

type bucketXMLRow struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
}

func (q *request) listBuckets() *apiError {
	if q.id == nil {
		return errAccessDenied()
	}
	s := q.s
	s.mu.Lock()
	res := listAllMyBucketsResult{Xmlns: s3NS, Owner: ownerXML{ID: q.id.canonicalID, DisplayName: q.id.user}, Buckets: []bucketXMLRow{}}
	for _, b := range s.buckets {
		if b.owner == q.id.user {
			res.Buckets = append(res.Buckets, bucketXMLRow{Name: b.name, CreationDate: isoTime(b.created)})
		}
	}
	s.mu.Unlock()
	sort.Slice(res.Buckets, func(i, j int) bool { return res.Buckets[i].Name < res.Buckets[j].Name })
	return q.writeXML(http.StatusOK, res)
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

func (q *request) getLocation() *apiError {
	s := q.s
	s.mu.Lock()
	_, e := q.ownerOnlyLocked()
	s.mu.Unlock()
	if e != nil {
		return e
	}
	lc := s.opt.Region
	if lc == "us-east-1" {
		lc = ""
	}
	return q.writeXML(http.StatusOK, locationConstraint{Xmlns: s3NS, Value: lc})
}

type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

func (q *request) putVersioning() *apiError {
	if e := q.ownerCheck(); e != nil {
		return e
	}
	body, e := q.readXMLBody(maxXMLBody)
	if e != nil {
		return e
	}
	var cfg versioningConfiguration
	if err := xml.Unmarshal(body, &cfg); err != nil || (cfg.Status != "Enabled" && cfg.Status != "Suspended") {
		return errMalformedXML()
	}
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.ownerOnlyLocked()
	if e != nil {
		return e
	}
	b.versioning = cfg.Status
	return q.noContent(http.StatusOK)
}

func (q *request) getVersioning() *apiError {
	s := q.s
	s.mu.Lock()
	b, e := q.ownerOnlyLocked()
	var st string
	if e == nil {
		st = b.versioning
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	return q.writeXML(http.StatusOK, versioningConfiguration{Xmlns: s3NS, Status: st})
}

// maxPolicySize is S3's bucket policy size limit.
const maxPolicySize = 20 << 10

func (q *request) putPolicy() *apiError {
	if e := q.ownerCheck(); e != nil {
		return e
	}
	body, e := q.readXMLBody(maxXMLBody)
	if e != nil {
		return e
	}
	if len(body) > maxPolicySize {
		return errf(http.StatusBadRequest, "PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
	}
	doc, e := parsePolicy(body, q.bucket)
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, oe := q.ownerOnlyLocked()
	if oe != nil {
		return oe
	}
	if e != nil {
		return e
	}
	b.policy, b.policyRaw = doc, body
	return q.noContent(http.StatusNoContent)
}

func (q *request) getPolicy() *apiError {
	s := q.s
	s.mu.Lock()
	b, e := q.ownerOnlyLocked()
	var raw []byte
	if e == nil {
		raw = b.policyRaw
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	if raw == nil {
		return errf(http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist").with("BucketName", q.bucket)
	}
	q.w.Header().Set("Content-Type", "application/json")
	q.w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
	q.w.WriteHeader(http.StatusOK)
	_, _ = q.w.Write(raw)
	return nil
}

func (q *request) deletePolicy() *apiError {
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.ownerOnlyLocked()
	if e != nil {
		return e
	}
	b.policy, b.policyRaw = nil, nil
	return q.noContent(http.StatusNoContent)
}

func (q *request) putBucketACL() *apiError {
	if e := q.ownerCheck(); e != nil {
		return e
	}
	body, e := q.readXMLBody(maxXMLBody)
	if e != nil {
		return e
	}
	s := q.s
	var acl *aclState
	hasHeaders := q.r.Header.Get("X-Amz-Acl") != ""
	for k := range q.r.Header {
		if strings.HasPrefix(k, "X-Amz-Grant-") {
			hasHeaders = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.ownerOnlyLocked()
	if e != nil {
		return e
	}
	switch {
	case hasHeaders && len(strings.TrimSpace(string(body))) > 0:
		return errf(http.StatusBadRequest, "UnexpectedContent", "This request does not support content")
	case hasHeaders:
		acl, e = s.parseGrantHeaders(q.r.Header)
	case len(body) > 0:
		acl, e = s.parseACLBody(body, b.owner)
	default:
		return errf(http.StatusBadRequest, "MissingSecurityHeader", "Your request was missing a required header").with("MissingHeaderName", "x-amz-acl")
	}
	if e != nil {
		return e
	}
	b.acl = *acl
	return q.noContent(http.StatusOK)
}

func (q *request) getBucketACL() *apiError {
	s := q.s
	s.mu.Lock()
	b, e := q.ownerOnlyLocked()
	if e != nil {
		s.mu.Unlock()
		return e
	}
	xsi := "http://www.w3.org/2001/XMLSchema-instance"
	doc := accessControlPolicy{Xmlns: s3NS, Owner: ownerXML{ID: canonicalID(b.owner), DisplayName: b.owner}}
	doc.Grants = append(doc.Grants, grantXML{Grantee: granteeXML{XmlnsXSI: xsi, Type: "CanonicalUser", ID: canonicalID(b.owner), DisplayName: b.owner}, Permission: "FULL_CONTROL"})
	for _, g := range b.acl.grants {
		ge := granteeXML{XmlnsXSI: xsi, Type: "Group", URI: g.group}
		if g.user != "" {
			ge = granteeXML{XmlnsXSI: xsi, Type: "CanonicalUser", ID: canonicalID(g.user), DisplayName: g.user}
		}
		doc.Grants = append(doc.Grants, grantXML{Grantee: ge, Permission: g.perm})
	}
	s.mu.Unlock()
	return q.writeXML(http.StatusOK, doc)
}

// listing support ------------------------------------------------------

type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Xmlns                 string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker,omitempty"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              *int           `xml:"KeyCount,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []objectXMLRow `xml:"Contents"`
	CommonPrefixes        []prefixXML    `xml:"CommonPrefixes"`
}

type objectXMLRow struct {
	Key          string    `xml:"Key"`
	LastModified string    `xml:"LastModified"`
	ETag         string    `xml:"ETag"`
	Size         int64     `xml:"Size"`
	StorageClass string    `xml:"StorageClass"`
	Owner        *ownerXML `xml:"Owner,omitempty"`
}

type prefixXML struct {
	Prefix string `xml:"Prefix"`
}

func parseMaxKeys(v string, def int) (int, *apiError) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errInvalidArgument("Provided max-keys not an integer or within integer range")
	}
	return min(n, 1000), nil
}

func (q *request) listObjects() *apiError {
	v := q.q
	v2 := v.Get("list-type") == "2"
	maxKeys, e := parseMaxKeys(v.Get("max-keys"), 1000)
	if e != nil {
		return e
	}
	prefix, delim := v.Get("prefix"), v.Get("delimiter")
	after := v.Get("marker")
	res := listBucketResult{Xmlns: s3NS, Name: q.bucket, Prefix: prefix, MaxKeys: maxKeys, Delimiter: delim, Contents: []objectXMLRow{}}
	if v2 {
		after = v.Get("start-after")
		res.StartAfter = after
		if tok := v.Get("continuation-token"); tok != "" {
			dec, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				return errInvalidArgument("The continuation token provided is incorrect")
			}
			res.ContinuationToken = tok
			after = string(dec)
		}
	} else {
		m := after
		res.Marker = &m
	}
	s := q.s
	s.mu.Lock()
	b, e := q.bucketForLocked(actListBucket, "")
	if e != nil {
		s.mu.Unlock()
		return e
	}
	keys := make([]string, 0, len(b.objects))
	for k, ent := range b.objects {
		if cur := ent.current(); cur != nil && !cur.deleteMarker && strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	seen := map[string]bool{}
	count := 0
	last := ""
	for _, k := range keys {
		if count >= maxKeys {
			res.IsTruncated = true
			break
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if seen[cp] {
					continue
				}
				seen[cp] = true
				res.CommonPrefixes = append(res.CommonPrefixes, prefixXML{cp})
				count++
				last = cp
				continue
			}
		}
		cur := b.objects[k].current()
		row := objectXMLRow{Key: k, LastModified: isoTime(cur.lastModified), ETag: cur.etag, Size: cur.data.size, StorageClass: storageClassOf(cur.storageClass)}
		if !v2 || v.Get("fetch-owner") == "true" {
			row.Owner = &ownerXML{ID: canonicalID(cur.owner), DisplayName: cur.owner}
		}
		res.Contents = append(res.Contents, row)
		count++
		last = k
	}
	s.mu.Unlock()
	if res.IsTruncated {
		if v2 {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(lastKeyForMarker(last, delim)))
		} else if delim != "" {
			res.NextMarker = last
		}
	}
	if v2 {
		res.KeyCount = &count
	}
	return q.writeXML(http.StatusOK, res)
}

// lastKeyForMarker makes a common prefix skip all its keys when used as a
// start-after marker.
func lastKeyForMarker(last, delim string) string {
	if delim != "" && strings.HasSuffix(last, delim) {
		return last + "\U0010FFFF"
	}
	return last
}

func storageClassOf(c string) string {
	if c == "" {
		return "STANDARD"
	}
	return c
}

type listVersionsResult struct {
	XMLName             xml.Name         `xml:"ListVersionsResult"`
	Xmlns               string           `xml:"xmlns,attr"`
	Name                string           `xml:"Name"`
	Prefix              string           `xml:"Prefix"`
	KeyMarker           string           `xml:"KeyMarker"`
	VersionIDMarker     string           `xml:"VersionIdMarker"`
	NextKeyMarker       string           `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string           `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int              `xml:"MaxKeys"`
	IsTruncated         bool             `xml:"IsTruncated"`
	Entries             []versionXMLItem `xml:",any"`
}

type versionXMLItem struct {
	XMLName      xml.Name
	Key          string   `xml:"Key"`
	VersionID    string   `xml:"VersionId"`
	IsLatest     bool     `xml:"IsLatest"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag,omitempty"`
	Size         *int64   `xml:"Size,omitempty"`
	StorageClass string   `xml:"StorageClass,omitempty"`
	Owner        ownerXML `xml:"Owner"`
}

func (q *request) listVersions() *apiError {
	v := q.q
	maxKeys, e := parseMaxKeys(v.Get("max-keys"), 1000)
	if e != nil {
		return e
	}
	prefix, keyMarker, vidMarker := v.Get("prefix"), v.Get("key-marker"), v.Get("version-id-marker")
	res := listVersionsResult{Xmlns: s3NS, Name: q.bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIDMarker: vidMarker, MaxKeys: maxKeys}
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.bucketForLocked(actListBucketVersion, "")
	if e != nil {
		return e
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) && k >= keyMarker {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	skipping := vidMarker != ""
	for _, k := range keys {
		vs := b.objects[k].versions
		for i := len(vs) - 1; i >= 0; i-- {
			ver := vs[i]
			if k == keyMarker {
				if !skipping { // key-marker alone: keys after it
					break
				}
				if ver.versionID == vidMarker {
					skipping = false
				}
				continue
			}
			if len(res.Entries) >= maxKeys {
				res.IsTruncated = true
				last := res.Entries[len(res.Entries)-1]
				res.NextKeyMarker, res.NextVersionIDMarker = last.Key, last.VersionID
				return q.writeXML(http.StatusOK, res)
			}
			it := versionXMLItem{Key: k, VersionID: ver.versionID, IsLatest: i == len(vs)-1, LastModified: isoTime(ver.lastModified),
				Owner: ownerXML{ID: canonicalID(ver.owner), DisplayName: ver.owner}}
			if ver.deleteMarker {
				it.XMLName = xml.Name{Local: "DeleteMarker"}
			} else {
				it.XMLName = xml.Name{Local: "Version"}
				size := ver.data.size
				it.ETag, it.Size, it.StorageClass = ver.etag, &size, storageClassOf(ver.storageClass)
			}
			res.Entries = append(res.Entries, it)
		}
	}
	return q.writeXML(http.StatusOK, res)
}

type deleteRequest struct {
	Quiet   bool `xml:"Quiet"`
	Objects []struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name         `xml:"DeleteResult"`
	Xmlns   string           `xml:"xmlns,attr"`
	Deleted []deletedXMLItem `xml:"Deleted"`
	Errors  []deleteErrorXML `xml:"Error"`
}

type deletedXMLItem struct {
	Key                   string `xml:"Key"`
	VersionID             string `xml:"VersionId,omitempty"`
	DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteErrorXML struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
}

func (q *request) deleteObjects() *apiError {
	q.s.mu.Lock()
	_, e := q.bucketLocked()
	q.s.mu.Unlock()
	if e != nil {
		return e
	}
	body, e := q.readXMLBody(maxXMLBody)
	if e != nil {
		return e
	}
	var dr deleteRequest
	if err := xml.Unmarshal(body, &dr); err != nil || len(dr.Objects) == 0 || len(dr.Objects) > 1000 {
		return errMalformedXML()
	}
	s := q.s
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := q.bucketLocked()
	if e != nil {
		return e
	}
	res := deleteResult{Xmlns: s3NS}
	for _, o := range dr.Objects {
		if !s.allowed(b, q.id, actDeleteObject, o.Key) {
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID, Code: "AccessDenied", Message: "Access Denied"})
			continue
		}
		dm, vid, err := s.deleteVersionLocked(b, o.Key, o.VersionID)
		if err != nil {
			res.Errors = append(res.Errors, deleteErrorXML{Key: o.Key, VersionID: o.VersionID, Code: err.Code, Message: err.Message})
			continue
		}
		if !dr.Quiet {
			d := deletedXMLItem{Key: o.Key, VersionID: o.VersionID}
			if dm {
				d.DeleteMarker = true
				d.DeleteMarkerVersionID = vid
			}
			res.Deleted = append(res.Deleted, d)
		}
	}
	return q.writeXML(http.StatusOK, res)
}

// putVersionLocked stores v as the new current version of key, following
// the bucket's versioning state. The caller holds s.mu.
func (s *Server) putVersionLocked(b *bucket, v *objVersion) {
	ent := b.objects[v.key]
	if ent == nil {
		ent = &objectEntry{}
		b.objects[v.key] = ent
	}
	if b.versioning == "Enabled" {
		v.versionID = s.newID()
	} else {
		v.versionID = "null"
		ent.versions = removeVersion(ent.versions, "null")
	}
	ent.versions = append(ent.versions, v)
}

func removeVersion(vs []*objVersion, id string) []*objVersion {
	out := vs[:0]
	for _, v := range vs {
		if v.versionID != id {
			out = append(out, v)
		}
	}
	for i := len(out); i < len(vs); i++ {
		vs[i] = nil
	}
	return out
}

// deleteVersionLocked deletes key (a delete marker in versioned buckets) or
// one version of it. It reports whether the result is (or removed) a delete
// marker and the version id involved.
func (s *Server) deleteVersionLocked(b *bucket, key, versionID string) (bool, string, *apiError) {
	ent := b.objects[key]
	if versionID != "" {
		if b.versioning == "" && versionID != "null" {
			return false, "", errInvalidArgument("Invalid version id specified")
		}
		if ent == nil {
			return false, versionID, nil
		}
		dm := false
		for _, v := range ent.versions {
			if v.versionID == versionID {
				dm = v.deleteMarker
			}
		}
		ent.versions = removeVersion(ent.versions, versionID)
		if len(ent.versions) == 0 {
			delete(b.objects, key)
		}
		return dm, versionID, nil
	}
	if b.versioning == "" {
		delete(b.objects, key)
		return false, "", nil
	}
	marker := &objVersion{key: key, deleteMarker: true, lastModified: s.now(), owner: b.owner}
	s.putVersionLocked(b, marker)
	return true, marker.versionID, nil
}

// now truncated to milliseconds, the precision S3 reports.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }
