// Package faults is partcopy's fault-injecting reverse proxy.
//
// The proxy sits between a client and an S3-compatible target and forwards
// every request unchanged: method, the raw request-URI (path and query
// byte for byte, no re-encoding), the Host header exactly as sent, every
// end-to-end header, and the body streamed both ways. Signed requests
// (SigV4, SigV2, presigned) therefore still verify at the target.
//
// By rule and probability it then misbehaves the way real endpoints do:
// it rewrites copy-part (UploadPartCopy) answers into the failure forms of
// clause D02 (a 200 that is not a success) and the keep-alive forms of S06,
// adds latency, holds requests during periodic stalls, resets connections,
// and answers with S3 errors such as 503 SlowDown.
//
// # Rule grammar
//
// One rule per --fault flag (Rule, ParseRule):
//
//	[selector ":"] action [ "=" args | "(" args ")" ] [ "@" probability ]
//
// Arguments are separated by commas, positional in the order listed below
// or named (name=value). The probability is a number in [0,1] or a
// percentage ("@0.25", "@25%"); without it a rule always fires.
//
// Selectors (which requests a rule considers):
//
//	copy              copy-part requests: PUT with partNumber and uploadId
//	                  in the query and an x-amz-copy-source header (D01)
//	all or *          every request
//	put, get, ...     requests with that method (any method name)
//	BASE?k&k=v        BASE (copy, all, a method) and the query has key k
//	                  (and, with =v, a value v), e.g. copy?partNumber=1,
//	                  post?uploads, put?partNumber&uploadId
//
// The default selector is copy for body rewrites and all for the others.
// Body rewrites only ever touch copy-part responses, whatever the selector.
//
// Body rewrites (the target still does the work; only the answer lies):
//
//	error200[=code,message]       200 + <Error><Code>InternalError</Code>...
//	empty200                      200 + empty body
//	noetag200                     200 + <CopyPartResult> with LastModified only
//	truncate[=keep]               200 + the first keep bytes (default 50%;
//	                              40 = bytes, 50% = share) of the real body,
//	                              then the connection is dropped mid-chunk
//	keepalive[=every,for]         200 + XML declaration at once, a space every
//	                              `every` (1s) for at least `for` (3s) and
//	                              until the target answers, then the real
//	                              result: harmless, a client must succeed (S06)
//	keepalive-error[=every,for,code,message]
//	                              the same, ending in <Error>: a failure
//	pre-decl-whitespace[=every,for]
//	                              whitespace BEFORE the XML declaration (the
//	                              S06 deviation); default one newline
//
// Other actions:
//
//	latency=D                     wait before forwarding; D is a duration
//	                              (100ms), uniform(10ms,50ms), exp(20ms)
//	                              (exponential with that mean) or
//	                              normal(50ms,10ms) (mean, stddev; >= 0)
//	stall=F/P                     freeze for F out of every P: a request
//	                              arriving in a freeze waits until it ends;
//	                              the schedule is anchored at Options.Start
//	reset[=before|after]          close the client connection with a TCP RST
//	                              and no response; "after" forwards first, so
//	                              the target did the work but the answer is lost
//	status=N[,code,message]       answer HTTP N (400..599) with an S3 <Error>
//	                              (503: SlowDown) without forwarding
//
// # Combining rules
//
// Rules are considered in flag order. Every delay rule (latency, stall)
// that fires adds its delay. Of the outcome rules (reset, status, body
// rewrites) the first that fires wins and later ones are not rolled. The
// random draws are made from a seeded generator in request arrival order,
// so the same seed and the same sequence of requests inject the same
// faults.
//
// # Observability
//
// Every answer a rule touched carries the response header X-Partcopy-Fault
// (FaultHeader) with the action of each rule that fired on the request
// ("error200", "latency", ...), so a client's record of the exchange shows
// that it received a fault; a reset has no answer to carry it.
//
// Proxy.Stats counts, per rule, the requests its selector matched and the
// requests it fired on. The same counters are served as JSON at StatsPath
// ("/_partcopy/faults") on the proxy's own listener for an unsigned GET;
// every other request with that path is forwarded. Options.Logf receives one
// line per injected fault; it never sees headers (so no Authorization), and
// credential or signature query parameters are redacted.
//
// The package does not buffer bodies, except the copy-part responses it
// rewrites (capped at 1 MiB), and it never talks to anything but the target.
package faults
