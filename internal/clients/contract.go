package clients

// ContractDoc documents the --exec contract; `partcopy clients --help` and
// docs/clients.md both print it, so it is written once, here.
const ContractDoc = `For every form, partcopy creates a fresh multipart upload at the target,
starts the fault proxy in front of it, and runs the client's command once
(sh -c COMMAND) with this environment:

  PARTCOPY_ENDPOINT       the proxy's URL (http://127.0.0.1:PORT); path-style
                          addressing. AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3
                          are set to it too.
  AWS_ACCESS_KEY_ID       credentials of the target (SigV4; the proxy forwards
  AWS_SECRET_ACCESS_KEY   requests unchanged, so signatures verify there)
  AWS_SESSION_TOKEN       only when the credentials are temporary
  AWS_REGION              the signing region (AWS_DEFAULT_REGION too)
  PARTCOPY_BUCKET         the destination bucket
  PARTCOPY_KEY            the destination key (the upload's key)
  PARTCOPY_UPLOAD_ID      the upload id
  PARTCOPY_PART_NUMBER    the part number to copy into (1)
  PARTCOPY_COPY_SOURCE    the x-amz-copy-source value: /bucket/key, URL-encoded

The proxy forwards every request unchanged, Host header included, so the
target must accept path-style requests signed for the proxy's address
(S3-compatible servers such as MinIO, Ceph RGW and versitygw do).

Every other AWS_* and PARTCOPY_* variable of partcopy's own environment is
removed (a profile, config file or retry setting of the caller must not
change what is tested); AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point
to /dev/null.

The command makes ONE UploadPartCopy the way the code under test does (with
its own retries), then:
  - exit status 0 means the client believes the copy succeeded; it prints the
    part's ETag (as its library returned it) as the last line of stdout
    (anything printed before it is ignored);
  - any other exit status means the client reported an error; stderr says
    which (partcopy keeps the last lines, redacted).
The command may go on to CompleteMultipartUpload with that ETag: a failure
noticed only there is reported as "late".

What the client said is compared with what the proxy actually sent for the
last copy attempt, judged by the D02 rule (a 200 whose body has no ETag is a
failed copy; whitespace after the XML declaration is legal, S06):
  ok             good copy, success with its ETag
  detected       failed copy, error
  SILENT         failed copy, success (or a good copy with a wrong or no ETag)
  FALSE FAILURE  good copy, error
  late           failed copy, noticed only at CompleteMultipartUpload
  unsupported    the client cannot run here (the reason is given)
  not-run        no copy reached the proxy (the command ignores PARTCOPY_ENDPOINT?)
Attempts are the proxy's own count of copy-part requests: every attempt the
proxy forwarded re-ran the copy at the target.`
