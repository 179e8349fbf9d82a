// Package refserver is partcopy's embedded reference S3 endpoint: an
// http.Handler that implements the documented UploadPartCopy behaviour
// (every D and S clause of shared/spec/clauses.md) and the small S3 surface
// the conformance suites and the load generator need around it (buckets,
// versioning, objects, CopyObject, multipart uploads, restore of cold
// objects, bucket policies and canned/grant ACLs).
//
// It is an independent implementation on purpose: it shares no types with
// the client layer (internal/s3call) and must never import it, so that a bug
// in one side cannot hide the same bug in the other. It has its own XML
// types, its own SigV4 and SigV2 verification and its own error model.
//
// Object data is kept in memory as lists of immutable segments referencing
// shared byte blobs; copying a range makes new segment references and never
// copies bytes, so a >5 GiB object built server side by part copies costs
// memory in proportion to its number of segments. MD5s of copied ranges are
// memoized per (content, range).
//
// Principals. Three fixed principals are known (see DefaultMain, DefaultAlt,
// DefaultTemp): "main" and "alt" are distinct users (alt has no rights on
// main's buckets unless a bucket policy or ACL grants them); "temp" holds
// temporary credentials of the same user as main and every one of its
// requests must carry x-amz-security-token equal to its session token (D12).
//
// Multipart initiator rule (D21): UploadPart, UploadPartCopy and
// CompleteMultipartUpload are allowed only to the user who initiated the
// upload (temp counts as main); ListParts and AbortMultipartUpload are
// allowed to the initiator and to the bucket owner, so owners can clean up
// (Abort also to a grantee of s3:AbortMultipartUpload or bucket WRITE).
//
// Error codes where the document names none follow AWS: malformed copy
// source, range or part number: 400 InvalidArgument; range outside the
// source: 400 InvalidRange; whole source over 5 GiB: 400 InvalidRequest,
// range over 5 GiB: 400 EntityTooLarge (D22); SSE-C header errors: 400
// InvalidArgument, SSE-C key missing for SSE-C data: 400 InvalidRequest,
// wrong key: 403 AccessDenied (D09, D10); temporary credentials without or
// with a wrong token: 403 InvalidToken (D12).
//
// Not implemented (answered 501 NotImplemented, never silently ignored):
// aws-chunked uploads (x-amz-content-sha256: STREAMING-...), presigned
// (query string) authentication, object ACLs and other sub-resources such
// as ?lifecycle or ?tagging. Bucket policies with Condition, NotPrincipal,
// NotAction or NotResource are refused with 400 MalformedPolicy.
//
// It must not persist anything, reach the network beyond its listener, or
// log secrets (secret keys, SSE-C keys, Authorization headers, tokens).
package refserver
