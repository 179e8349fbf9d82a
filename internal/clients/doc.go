// Package clients certifies S3 clients: does a client notice a failed
// UploadPartCopy? It is the engine of `partcopy clients`.
//
// For every (client, form) cell it creates a multipart upload at the target
// (the embedded reference endpoint or any endpoint), starts partcopy's
// fault proxy (internal/faults) in front of the target with the form's
// rules, runs the client once with the documented environment contract
// (PARTCOPY_ENDPOINT is the proxy), and then compares two things:
//
//   - what the proxy actually sent the client for its last copy attempt,
//     judged by the one D02 rule (s3call.CopyPartOutcome): a 200 whose body
//     has no ETag is a failed copy;
//   - what the client reported: exit status 0 means it believes the copy
//     succeeded, with the ETag it printed on stdout.
//
// Attempts come from the proxy's own counters (faults.Proxy.Stats), never
// from the client. The verdicts are reports.ClientVerdict: ok, detected,
// silent, false-failure, late, unsupported, not-run.
//
// The built-in drivers (aws-sdk-go-v2, minio-go, boto3, @aws-sdk/client-s3)
// follow the same contract as any --exec command. The Go drivers live in a
// module of their own (drivers/go) so that partcopy's main module never
// depends on minio-go; they are built at run time into a cache directory,
// the Node driver is installed there with npm ci from its lock file.
//
// Secrets: the secret key is passed to clients in their environment only;
// everything kept of a client's output goes through the report redactor.
// The package never talks to anything but the target and loopback.
package clients
