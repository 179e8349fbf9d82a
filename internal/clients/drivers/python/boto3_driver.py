#!/usr/bin/env python3
"""partcopy's built-in boto3 driver: one upload_part_copy, the way an
application would make it, and what boto3 reported.

It follows the `partcopy clients --exec` contract (docs/clients.md): the
request comes from PARTCOPY_* and AWS_* environment variables; exit status 0
means boto3 reported success and the ETag it returned is printed on stdout;
on an error boto3's error is printed on stderr and the exit status is 1.

    boto3_driver.py [--retries default|off]
    boto3_driver.py --versions      # exit 3 when boto3 is not installed

PARTCOPY_DEBUG=1 turns on botocore's own debug logging (to stderr); partcopy
redacts what it keeps of it. The driver never judges the copy itself.
"""
import os
import sys
import urllib.parse

NOT_INSTALLED = 3


def main(argv):
    retries = "default"
    if "--retries" in argv:
        retries = argv[argv.index("--retries") + 1]
    if retries not in ("default", "off"):
        print("--retries %r: want default or off" % retries, file=sys.stderr)
        return 2
    try:
        import boto3
        import botocore
        from botocore.config import Config
    except ImportError as e:
        print("boto3 not installed (%s)" % e, file=sys.stderr)
        return NOT_INSTALLED
    if "--versions" in argv:
        print("boto3", boto3.__version__)
        print("botocore", botocore.__version__)
        print("python", sys.version.split()[0])
        return 0

    env = os.environ
    missing = [k for k in ("PARTCOPY_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                           "PARTCOPY_BUCKET", "PARTCOPY_KEY", "PARTCOPY_UPLOAD_ID",
                           "PARTCOPY_PART_NUMBER", "PARTCOPY_COPY_SOURCE") if not env.get(k)]
    if missing:
        print("not set: " + ", ".join(missing), file=sys.stderr)
        return 2
    if env.get("PARTCOPY_DEBUG") == "1":
        import logging
        boto3.set_stream_logger("botocore", logging.DEBUG)

    # The copy source "/bucket/key" (percent-encoded) as the dict boto3
    # documents; boto3 encodes it again itself.
    src = env["PARTCOPY_COPY_SOURCE"].split("?", 1)[0].lstrip("/")
    src_bucket, _, src_key = urllib.parse.unquote(src).partition("/")

    kwargs = {"s3": {"addressing_style": "path"}}
    if retries == "off":
        kwargs["retries"] = {"total_max_attempts": 1}
    client = boto3.client(
        "s3",
        endpoint_url=env["PARTCOPY_ENDPOINT"],
        region_name=env.get("AWS_REGION") or "us-east-1",
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
        config=Config(**kwargs),
    )
    try:
        out = client.upload_part_copy(
            Bucket=env["PARTCOPY_BUCKET"],
            Key=env["PARTCOPY_KEY"],
            UploadId=env["PARTCOPY_UPLOAD_ID"],
            PartNumber=int(env["PARTCOPY_PART_NUMBER"]),
            CopySource={"Bucket": src_bucket, "Key": src_key},
        )
    except Exception as e:  # the SDK's word, whatever its type
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    print((out.get("CopyPartResult") or {}).get("ETag", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
