// Package fastcopy is the load generator's hot path for UploadPartCopy: a
// per-worker HTTP/1.1 client over one net.Conn (or crypto/tls connection)
// with reused buffers, and a SigV4 signer that reuses its canonical-request
// buffer and HMAC state.
//
// It exists because net/http's client machinery and aws-sdk-go-v2's signer
// cost the generator more CPU per copy than the copy's own bytes on the
// wire (load/README.md has the profile). It does not judge anything: every
// response is classified by s3call.Outcome200, the one D02 rule, exactly
// as s3call's own client does.
//
// What it covers: plain HTTP and TLS, SigV4 (or anonymous) requests,
// path-style and virtual-hosted addressing. What it does not (SigV2, a
// custom http.Client) makes NewTarget return ErrUnsupported, and the caller
// falls back to s3call's client.
//
// Wire behaviour, kept equal to what s3call's net/http client does:
// Content-Length and chunked responses; close-delimited bodies; 1xx
// interim responses skipped; redirects never followed (a 3xx is a
// response); "Connection: close", HTTP/1.0 without keep-alive and
// server-closed connections end the connection and the next copy dials
// anew, and a copy that reached the wire is never sent twice (only a write
// that put no byte on a reused connection is sent again on a new one, as
// net/http does for body-less requests); header and body sizes bounded.
// TTFB is the first response byte, total the final body byte, so keep-alive
// whitespace before the root element (S06) is streamed and timed.
//
// A Worker is not safe for concurrent use: each load worker owns one.
package fastcopy
