package refserver

import (
	"net/http"
	"sort"
	"time"
)

// bucket is a bucket and everything in it. All fields are guarded by
// Server.mu.
type bucket struct {
	name       string
	owner      string // user name of the creator
	created    time.Time
	versioning string // "" (never enabled), "Enabled" or "Suspended"
	objects    map[string]*objectEntry
	policy     *policyDoc
	policyRaw  []byte
	acl        aclState
}

// objectEntry holds the versions of one key, oldest first; the last one is
// the current version (possibly a delete marker).
type objectEntry struct {
	versions []*objVersion
}

func (e *objectEntry) current() *objVersion {
	if len(e.versions) == 0 {
		return nil
	}
	return e.versions[len(e.versions)-1]
}

// objVersion is one version of an object. Everything but the restore fields
// is immutable once stored; the restore fields are guarded by Server.mu.
type objVersion struct {
	key          string
	versionID    string // "null" when the bucket is not versioned
	deleteMarker bool
	data         *content
	etag         string // quoted
	lastModified time.Time
	owner        string
	header       http.Header // stored headers returned on GET/HEAD (Content-Type, x-amz-meta-*...)
	storageClass string      // "" means STANDARD
	sse          sseInfo
	partsCount   int

	// Restore of a cold object (D05): zero restoreReady means never
	// requested; the restore is ongoing until restoreReady and the copy
	// expires at restoreExpiry.
	restoreReady  time.Time
	restoreExpiry time.Time
}

// sseInfo is how an object or upload is encrypted. The reference endpoint
// stores plaintext bytes; what matters for the clauses is that the right
// keys are demanded and the right headers echoed. An SSE-C key is never
// stored: only its salted hash (to check later requests) and its MD5 (to
// echo, D14).
type sseInfo struct {
	kind     string // "", "AES256", "aws:kms" or "SSE-C"
	kmsKeyID string
	keyMD5   string // base64, SSE-C only
	keyHash  [32]byte
}

// upload is a multipart upload in progress. Guarded by Server.mu.
type upload struct {
	id           string
	bucket, key  string
	initiator    string // user name
	initiatorID  string // canonical id
	created      time.Time
	header       http.Header
	storageClass string
	sse          sseInfo
	parts        map[int]*part
}

// part is one uploaded part; immutable once stored (an overwrite replaces
// the pointer, D03).
type part struct {
	number       int
	data         *content
	md5          [16]byte
	etag         string // quoted
	lastModified time.Time
}

func (u *upload) sortedParts() []*part {
	ps := make([]*part, 0, len(u.parts))
	for _, p := range u.parts {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].number < ps[j].number })
	return ps
}

// coldClasses are the archive storage classes whose objects must be
// restored before they can be read or copied (D05).
var coldClasses = map[string]bool{"GLACIER": true, "DEEP_ARCHIVE": true, "COLD": true}

var storageClasses = map[string]bool{
	"STANDARD": true, "REDUCED_REDUNDANCY": true, "STANDARD_IA": true, "ONEZONE_IA": true,
	"INTELLIGENT_TIERING": true, "GLACIER": true, "DEEP_ARCHIVE": true, "GLACIER_IR": true,
	"COLD": true, "WARM": true, "OUTPOSTS": true, "EXPRESS_ONEZONE": true,
}

// restoreState reports the restore state of v at now. Callers hold s.mu.
// readable is false for a cold object that is not (or no longer) restored.
func (v *objVersion) restoreState(now time.Time) (readable, ongoing bool) {
	if !coldClasses[v.storageClass] {
		return true, false
	}
	if v.restoreReady.IsZero() {
		return false, false
	}
	if now.Before(v.restoreReady) {
		return false, true
	}
	if !now.Before(v.restoreExpiry) {
		return false, false
	}
	return true, false
}
