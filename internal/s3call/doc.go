// Package s3call sends raw S3 requests and classifies their outcomes.
//
// It builds exactly the request it is told to (any header, any query string,
// malformed ones included), signs it with SigV4 (aws-sdk-go-v2's signer) or
// SigV2, never retries and never "fixes" anything, and returns the raw
// exchange: status, headers, body (read with a size cap, or streamed) and
// timings (request written, first response byte, final body byte).
//
// The D02 outcome rule lives here, in exactly one function (Outcome200): a
// copy-part or complete-multipart response is a success only if the status
// is 200 and the body carries the expected result element with a non-empty
// ETag. Every caller - the conformance suites and the load module alike -
// classifies through it.
//
// s3call must not import the suites, the load module, the reports, or the
// embedded reference endpoint; the endpoint is an independent implementation
// and shares no types with this client.
package s3call
