package reports

import (
	"regexp"
	"sort"
)

// Clause is one numbered clause of /work/shared/spec/clauses.md: a D clause
// comes from the vendor document, an S clause is widely documented S3
// behaviour the document leaves implicit.
type Clause struct {
	ID    string
	Title string
}

// Clauses lists every clause ID with a one-line title, in document order.
// The conformance report lists each clause of the profile, covered or not,
// so that a clause without a spec shows as a gap instead of disappearing.
var Clauses = []Clause{
	{"D01", "UploadPartCopy with x-amz-copy-source uploads part N by copying an existing object"},
	{"D02", "A 200 without an ETag in the body is a failed copy; the body decides success"},
	{"D03", "Copying to an existing part number overwrites it; only the newest part N is listed"},
	{"D04", "The source object is not changed by the copy"},
	{"D05", "A cold (archive) source can be copied only after restore: 403 InvalidObjectState"},
	{"D06", "x-amz-copy-source is mandatory and names /bucket/key; malformed: 400"},
	{"D07", "x-amz-copy-source-range bytes=start-end copies source[start..end]; without it the whole source"},
	{"D08", "partNumber and uploadId are mandatory; missing or invalid: 400 or 404"},
	{"D09", "Destination SSE-C headers go together and must match the upload's; mandatory for SSE-C uploads"},
	{"D10", "Source SSE-C headers go together; mandatory to copy an SSE-C source"},
	{"D11", "SSE-C key is base64 of a 256/512-bit key; key-MD5 mismatch or wrong length: 400"},
	{"D12", "x-amz-security-token is mandatory with temporary credentials; without it: 403"},
	{"D13", "Success body is CopyPartResult with LastModified and ETag"},
	{"D14", "SSE-KMS / SSE-C response headers are echoed on success"},
	{"D15", "Invalid access key or signature: 403 AccessDenied"},
	{"D16", "Destination bucket does not exist: 404 NoSuchBucket"},
	{"D17", "Source object does not exist: 404 NoSuchKey"},
	{"D18", "Requester lacks READ on the source bucket: 403 AccessDenied"},
	{"D19", "Requester lacks WRITE on the destination bucket: 403 AccessDenied"},
	{"D20", "Multipart upload does not exist (unknown, aborted, completed): 404 NoSuchUpload"},
	{"D21", "Requester is not the initiator of the multipart upload: 403 AccessDenied"},
	{"D22", "Part size greater than 5 GiB, by range or whole source: 400"},
	{"D23", "Part number outside 1..10000: 400; 1 and 10000 succeed"},
	{"D24", "The request has no body"},
	{"D25", "The returned ETag is the part's ETag: ListParts shows it and Complete accepts it"},
	{"S01", "Range outside the source, start > end, or malformed: 400 InvalidRange/InvalidArgument"},
	{"S02", "Conditional copy headers (if-match, if-none-match, if-(un)modified-since): 412 on failure"},
	{"S03", "x-amz-copy-source may carry ?versionId=; the named version is copied"},
	{"S04", "Source keys with special characters are URL-encoded in x-amz-copy-source"},
	{"S05", "Every part but the last must be at least 5 MiB at Complete: 400 EntityTooSmall"},
	{"S06", "Long copies may pad with whitespace after the XML declaration; the final body decides"},
	{"S07", "Source in another bucket, and source == destination key, both work"},
	{"S08", "Completed object bytes equal the parts' source ranges; ETag is md5(part md5s)-N"},
}

// Profile names. A vendor may be certified against the document alone
// (ProfileOBS: D clauses) or the document plus common S3 behaviour
// (ProfileS3: D and S clauses).
const (
	ProfileOBS = "obs"
	ProfileS3  = "s3"
)

// clauseIDPattern matches a clause ID used as a Ginkgo label.
var clauseIDPattern = regexp.MustCompile(`^[DS]\d\d$`)

// clauseInText matches a clause ID written into a spec's description, "[D03]".
var clauseInText = regexp.MustCompile(`\[([DS]\d\d)\]`)

// IsClauseID reports whether s has the shape of a clause ID (D01, S08, ...).
func IsClauseID(s string) bool { return clauseIDPattern.MatchString(s) }

// ClauseIDsInText returns the clause IDs written into a spec's description
// as "[D03]", in the order they appear, repeats included; nil if none.
func ClauseIDsInText(text string) []string {
	var ids []string
	for _, m := range clauseInText.FindAllStringSubmatch(text, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// ClauseTitle returns the one-line title of a known clause.
func ClauseTitle(id string) (string, bool) {
	for _, c := range Clauses {
		if c.ID == id {
			return c.Title, true
		}
	}
	return "", false
}

// ProfileClauses returns the clauses a profile certifies, in document order:
// D only for "obs", D and S for "s3". ok is false for an unknown profile.
func ProfileClauses(profile string) (clauses []Clause, ok bool) {
	switch profile {
	case ProfileS3:
		return append([]Clause(nil), Clauses...), true
	case ProfileOBS:
		for _, c := range Clauses {
			if c.ID[0] == 'D' {
				clauses = append(clauses, c)
			}
		}
		return clauses, true
	}
	return nil, false
}

// SortClauseIDs orders clause IDs in place as the document does: D before S,
// then by number (the IDs are fixed width, so this is string order with D < S).
func SortClauseIDs(ids []string) {
	sort.Strings(ids)
}
