#!/usr/bin/env python3
"""Setup and smoke checks for the servers that deploy/servers.sh runs.

servers.sh does process management; this file does everything that needs
signed S3/IAM/STS requests (boto3, which ships with moto on the machine image):

  s3tool.py moto-setup-count          how many unauthenticated setup calls moto-setup makes
  s3tool.py moto-setup STATEDIR       IAM users main/alt, a role for temporary credentials
  s3tool.py assume-role STATEDIR [ROLE_ARN [SECONDS]]  STS AssumeRole with main's credentials (MinIO, RGW)
  s3tool.py grant STATEDIR BUCKET SPEC  give alt rights on BUCKET (SPEC: none, read,
                                      write, readwrite or s3:Action[,s3:Action...])
  s3tool.py verify STATEDIR           raw-request checks of what the suite relies on

Values are read from STATEDIR/env (or env.tmp while servers.sh start runs) and
new ones appended to the same file. Secrets are never printed: messages carry
error codes, HTTP statuses and key ids at most.
"""

import hashlib
import base64
import json
import os
import secrets
import shlex
import subprocess
import sys
import time

import boto3
import botocore.config
import botocore.exceptions

# The moto role whose sessions are the suite's temporary credentials (D12).
MOTO_TEMP_ROLE = "partcopy-temp"
# 12 h: longer than any test run, and the maximum a role session may last.
SESSION_SECONDS = 43200

READ_ACTIONS = ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
WRITE_ACTIONS = [
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucketMultipartUploads",
]
BUCKET_LEVEL = {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}


class SetupError(Exception):
    pass


def env_path(statedir):
    for name in ("env", "env.tmp"):
        p = os.path.join(statedir, name)
        if os.path.exists(p):
            return p
    raise SetupError(f"no env file in {statedir}")


def load_env(statedir):
    env = {}
    with open(env_path(statedir)) as f:
        for line in f:
            parts = shlex.split(line)
            if len(parts) == 2 and parts[0] == "export" and "=" in parts[1]:
                k, v = parts[1].split("=", 1)
                env[k] = v
    return env


def append_env(statedir, values):
    with open(env_path(statedir), "a") as f:
        for k, v in values.items():
            f.write(f"export {k}={shlex.quote(str(v))}\n")


def client(env, service, access=None, secret=None, token=None):
    cfg = botocore.config.Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
        signature_version="s3v4" if service == "s3" else None,
    )
    return boto3.session.Session().client(
        service,
        endpoint_url=env["PARTCOPY_ENDPOINT"],
        region_name=env.get("PARTCOPY_REGION", "us-east-1"),
        aws_access_key_id=access if access is not None else env["PARTCOPY_ACCESS_KEY"],
        aws_secret_access_key=secret if secret is not None else env["PARTCOPY_SECRET_KEY"],
        aws_session_token=token,
        verify=env.get("PARTCOPY_CA_CERT") or True,
        config=cfg,
    )


def err_code(e):
    if isinstance(e, botocore.exceptions.ClientError):
        r = e.response
        return r.get("ResponseMetadata", {}).get("HTTPStatusCode"), r.get("Error", {}).get("Code")
    return None, type(e).__name__


# ------------------------------------------------------------------ moto --

def moto_setup_calls(iam, admin_policy, s3_policy, trust):
    """The unauthenticated setup calls, in order; their number is what
    INITIAL_NO_AUTH_ACTION_COUNT must be. Each returns a value kept by name."""
    return [
        ("main_user", lambda: iam.create_user(UserName="main")),
        ("main_key", lambda: iam.create_access_key(UserName="main")),
        ("main_policy", lambda: iam.put_user_policy(
            UserName="main", PolicyName="partcopy-admin", PolicyDocument=admin_policy)),
        ("alt_user", lambda: iam.create_user(UserName="alt")),
        ("alt_key", lambda: iam.create_access_key(UserName="alt")),
        ("role", lambda: iam.create_role(
            RoleName=MOTO_TEMP_ROLE, AssumeRolePolicyDocument=trust(),
            MaxSessionDuration=SESSION_SECONDS)),
        ("role_policy", lambda: iam.put_role_policy(
            RoleName=MOTO_TEMP_ROLE, PolicyName="partcopy-s3", PolicyDocument=s3_policy)),
    ]


MOTO_SETUP_COUNT = 7


def moto_setup(statedir):
    env = load_env(statedir)
    # Before the no-auth budget is spent moto checks no signature, so any
    # key signs these calls.
    iam = client(env, "iam", access="AKIASETUPSETUPSETUP0", secret="setup")
    admin = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    s3full = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    got = {}

    def trust():
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": got["main_user"]["User"]["Arn"]}}]})

    calls = moto_setup_calls(iam, admin, s3full, trust)
    assert len(calls) == MOTO_SETUP_COUNT
    for name, call in calls:
        try:
            got[name] = call()
        except Exception as e:  # noqa: BLE001 - reported as one line
            raise SetupError(f"moto setup call {name} failed: {err_code(e)}")
    main_arn = got["main_user"]["User"]["Arn"]
    account = main_arn.split(":")[4]
    mk, ak = got["main_key"]["AccessKey"], got["alt_key"]["AccessKey"]
    env.update(PARTCOPY_ACCESS_KEY=mk["AccessKeyId"], PARTCOPY_SECRET_KEY=mk["SecretAccessKey"])

    # From here on every request is authenticated: prove it, or the whole
    # run would test nothing about D15/D18/D19.
    bad = client(env, "s3", secret=mk["SecretAccessKey"][:-1] + ("A" if mk["SecretAccessKey"][-1] != "A" else "B"))
    try:
        bad.list_buckets()
        raise SetupError("moto accepted a request with a bad signature: auth is not enforced")
    except botocore.exceptions.ClientError as e:
        if err_code(e)[0] != 403:
            raise SetupError(f"bad signature gave {err_code(e)}, want 403")
    try:
        client(env, "s3").list_buckets()
    except Exception as e:  # noqa: BLE001
        raise SetupError(f"main cannot list buckets after setup: {err_code(e)}")

    sts = client(env, "sts")
    try:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{MOTO_TEMP_ROLE}",
                                RoleSessionName="partcopy", DurationSeconds=SESSION_SECONDS)["Credentials"]
    except Exception as e:  # noqa: BLE001
        raise SetupError(f"moto AssumeRole failed: {err_code(e)}")
    # moto serves KMS on the same port: a real key id makes SSE-KMS requests
    # (D14) name a key that exists.
    try:
        kms_key = client(env, "kms").create_key(Description="partcopy SSE-KMS")["KeyMetadata"]["KeyId"]
    except Exception as e:  # noqa: BLE001
        raise SetupError(f"moto KMS CreateKey failed: {err_code(e)}")
    append_env(statedir, {
        "PARTCOPY_KMS_KEY_ID": kms_key,
        "PARTCOPY_ACCESS_KEY": mk["AccessKeyId"],
        "PARTCOPY_SECRET_KEY": mk["SecretAccessKey"],
        "PARTCOPY_ALT_ACCESS_KEY": ak["AccessKeyId"],
        "PARTCOPY_ALT_SECRET_KEY": ak["SecretAccessKey"],
        "PARTCOPY_ALT_PRINCIPAL": got["alt_user"]["User"]["Arn"],
        "PARTCOPY_TEMP_ACCESS_KEY": creds["AccessKeyId"],
        "PARTCOPY_TEMP_SECRET_KEY": creds["SecretAccessKey"],
        "PARTCOPY_SESSION_TOKEN": creds["SessionToken"],
    })


# ----------------------------------------------------------------- minio --

def assume_role(statedir, role_arn="arn:aws:iam::000000000000:role/partcopy-temp", seconds=SESSION_SECONDS):
    """STS AssumeRole signed by main. MinIO ignores RoleArn for AssumeRole
    with user credentials (the session inherits main's, the root user's,
    rights); RGW needs a role whose trust policy names main (servers.sh
    creates it) and gives the session that role's permission policy."""
    env = load_env(statedir)
    sts = client(env, "sts")
    try:
        creds = sts.assume_role(RoleArn=role_arn,
                                RoleSessionName="partcopy",
                                DurationSeconds=int(seconds))["Credentials"]
    except Exception as e:  # noqa: BLE001
        raise SetupError(f"AssumeRole failed: {err_code(e)}")
    append_env(statedir, {
        "PARTCOPY_TEMP_ACCESS_KEY": creds["AccessKeyId"],
        "PARTCOPY_TEMP_SECRET_KEY": creds["SecretAccessKey"],
        "PARTCOPY_SESSION_TOKEN": creds["SessionToken"],
    })


def mc(env, *args):
    endpoint = env["PARTCOPY_ENDPOINT"]
    scheme, hostport = endpoint.split("://", 1)
    e = dict(os.environ)
    e["MC_HOST_pc"] = f"{scheme}://{env['PARTCOPY_ACCESS_KEY']}:{env['PARTCOPY_SECRET_KEY']}@{hostport}"
    # The same default as servers.sh (which also exports it).
    cache = os.environ.get("PARTCOPY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "partcopy")
    cmd = [os.path.join(cache, "bin", "mc"), "--config-dir", env["PARTCOPY_MC_CONFIG_DIR"],
           "--no-color", "--quiet", *args]
    r = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=60)
    out = (r.stdout + r.stderr).strip()
    # mc may echo the alias URL, which carries main's secret.
    for secret in (env["PARTCOPY_SECRET_KEY"], env["PARTCOPY_ALT_SECRET_KEY"]):
        out = out.replace(secret, "<redacted>")
    return r.returncode, out


# ----------------------------------------------------------------- grant --

def grant_actions(spec):
    if spec == "none":
        return []
    if spec == "read":
        return list(READ_ACTIONS)
    if spec == "write":
        return list(WRITE_ACTIONS)
    if spec == "readwrite":
        return READ_ACTIONS + WRITE_ACTIONS
    acts = [a.strip() for a in spec.split(",") if a.strip()]
    if not acts or not all(a.startswith("s3:") for a in acts):
        raise SetupError(f"grant: bad spec {spec!r} (want none, read, write, readwrite or s3:Action,...)")
    return acts


def statements(bucket, actions, principal=None):
    """Policy statements allowing actions on bucket: bucket-level actions on
    the bucket ARN, object-level ones on its objects (versitygw and MinIO
    reject an action paired only with a resource it cannot apply to)."""
    out = []
    blevel = [a for a in actions if a in BUCKET_LEVEL or a == "s3:*"]
    olevel = [a for a in actions if a not in BUCKET_LEVEL]
    for acts, res in ((blevel, f"arn:aws:s3:::{bucket}"), (olevel, f"arn:aws:s3:::{bucket}/*")):
        if not acts:
            continue
        st = {"Effect": "Allow", "Action": acts, "Resource": [res]}
        if principal is not None:
            st["Principal"] = {"AWS": [principal]}
        out.append(st)
    return out


def grant(statedir, bucket, spec):
    env = load_env(statedir)
    actions = grant_actions(spec)
    state_file = os.path.join(statedir, "alt-grants.json")
    grants = {}
    if os.path.exists(state_file):
        with open(state_file) as f:
            grants = json.load(f)
    if actions:
        grants[bucket] = actions
    else:
        grants.pop(bucket, None)
    mode = env["PARTCOPY_ALT_GRANT_MODE"]
    if mode == "bucket-policy":
        # versitygw: alt is named by the principal string in the bucket's
        # own policy; main (the bucket owner) sets it.
        s3 = client(env, "s3")
        try:
            if actions:
                doc = {"Version": "2012-10-17",
                       "Statement": statements(bucket, actions, env["PARTCOPY_ALT_PRINCIPAL"])}
                s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(doc))
            else:
                s3.delete_bucket_policy(Bucket=bucket)
        except Exception as e:  # noqa: BLE001
            raise SetupError(f"grant: bucket policy on {bucket}: {err_code(e)}")
    elif mode == "iam-user-policy":
        # moto: S3 bucket policies only ever deny; an IAM user policy on alt
        # is what grants. main has iam:* and sets it.
        iam = client(env, "iam")
        user = env["PARTCOPY_ALT_PRINCIPAL"].rsplit("/", 1)[-1]
        name = f"partcopy-{bucket}"
        try:
            if actions:
                doc = {"Version": "2012-10-17", "Statement": statements(bucket, actions)}
                iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=json.dumps(doc))
            else:
                try:
                    iam.delete_user_policy(UserName=user, PolicyName=name)
                except botocore.exceptions.ClientError as e:
                    if err_code(e)[1] != "NoSuchEntity":
                        raise
        except Exception as e:  # noqa: BLE001
            raise SetupError(f"grant: user policy for {bucket}: {err_code(e)}")
    elif mode == "minio-iam-policy":
        # MinIO: bucket policies never grant to signed requests, so alt gets
        # one IAM policy holding all its current grants, via the admin API.
        alt = env["PARTCOPY_ALT_ACCESS_KEY"]
        pol = "partcopy-alt"
        if grants:
            doc = {"Version": "2012-10-17",
                   "Statement": [st for b, a in sorted(grants.items()) for st in statements(b, a)]}
            pfile = os.path.join(statedir, "alt-policy.json")
            with open(pfile, "w") as f:
                json.dump(doc, f)
            rc, out = mc(env, "admin", "policy", "create", "pc", pol, pfile)
            if rc != 0:
                raise SetupError(f"grant: mc admin policy create: {out.splitlines()[-1][:200] if out else rc}")
            rc, out = mc(env, "admin", "policy", "attach", "pc", pol, "--user", alt)
            if rc != 0 and "already" not in out.lower():
                raise SetupError(f"grant: mc admin policy attach: {out.splitlines()[-1][:200] if out else rc}")
        else:
            rc, out = mc(env, "admin", "policy", "detach", "pc", pol, "--user", alt)
            if rc != 0 and "not" not in out.lower():
                raise SetupError(f"grant: mc admin policy detach: {out.splitlines()[-1][:200] if out else rc}")
    else:
        raise SetupError(f"grant: unknown PARTCOPY_ALT_GRANT_MODE {mode!r}")
    with open(state_file, "w") as f:
        json.dump(grants, f)
    print(f"grant: alt on {bucket}: {','.join(actions) or 'none'} ({mode})")


# ---------------------------------------------------------------- verify --

# Deviations of a server that verify has confirmed and explained: a check in
# this table is reported as a note with the reason instead of a failure
# (the suite, not this smoke check, owns their verdicts).
KNOWN_DEVIATIONS = {
    ("rgw", "grant write: alt copies a part from b into b2"):
        "RGW 16.2 checks UploadPartCopy's copy source against the source "
        "object's ACL only, not the bucket policy that grants alt s3:GetObject "
        "(GetObject and CopyObject do honour it); an ACL grant works",
    ("rgw", "temp credentials with token copy a part"):
        "RGW 16.2 refuses UploadPartCopy with role-session credentials (403 "
        "AccessDenied on the copy source's ACL check) while GetObject, "
        "PutObject and CopyObject work with them (D12)",
}


class Checks:
    def __init__(self, server):
        self.server = server
        self.passed = self.failed = self.info = 0

    def ok(self, name, detail=""):
        self.passed += 1
        print(f"PASS {name}{': ' + detail if detail else ''}")

    def bad(self, name, detail):
        known = KNOWN_DEVIATIONS.get((self.server, name))
        if known:
            self.note(name, f"{detail}: known deviation: {known}")
            return
        self.failed += 1
        print(f"FAIL {name}: {detail}")

    def note(self, name, detail):
        self.info += 1
        print(f"INFO {name}: {detail}")

    def expect_ok(self, name, fn, detail=""):
        try:
            r = fn()
            self.ok(name, detail)
            return r
        except Exception as e:  # noqa: BLE001
            self.bad(name, f"got {err_code(e)}")
            return None

    def expect_status(self, name, fn, status):
        try:
            fn()
            self.bad(name, f"succeeded, want {status}")
        except Exception as e:  # noqa: BLE001
            got = err_code(e)
            if got[0] == status:
                self.ok(name, f"{got[0]} {got[1]}")
            else:
                self.bad(name, f"got {got}, want {status}")


def retry_until(fn, seconds=10):
    """IAM changes reach MinIO's and moto's request path at once, but give a
    cache a few seconds rather than report a false failure."""
    deadline = time.time() + seconds
    while True:
        try:
            return fn()
        except Exception:  # noqa: BLE001
            if time.time() >= deadline:
                raise
            time.sleep(0.5)


def verify(statedir):
    env = load_env(statedir)
    server = env.get("PARTCOPY_SERVER_NAME", "?")
    c = Checks(server)
    main = client(env, "s3")
    alt = client(env, "s3", env["PARTCOPY_ALT_ACCESS_KEY"], env["PARTCOPY_ALT_SECRET_KEY"])
    b = "pc-verify-" + secrets.token_hex(4)
    b2 = b + "-dst"
    body = secrets.token_bytes(6 * 1024 * 1024)
    print(f"verify {server} at {env['PARTCOPY_ENDPOINT']} (bucket {b})")

    c.expect_ok("main creates buckets", lambda: (main.create_bucket(Bucket=b), main.create_bucket(Bucket=b2)))
    c.expect_ok("main puts an object", lambda: main.put_object(Bucket=b, Key="src", Body=body))

    # D15: bad signature and unknown key.
    wrong = client(env, "s3", secret=env["PARTCOPY_SECRET_KEY"][::-1])
    c.expect_status("bad signature is refused", lambda: wrong.get_object(Bucket=b, Key="src"), 403)
    unknown = client(env, "s3", access="AKIAUNKNOWNUNKNOWN00", secret="x" * 40)
    c.expect_status("unknown access key is refused", lambda: unknown.get_object(Bucket=b, Key="src"), 403)

    # D18/D19: alt has no rights by default.
    c.expect_status("alt cannot read main's object", lambda: alt.get_object(Bucket=b, Key="src"), 403)
    c.expect_status("alt cannot write main's bucket", lambda: alt.put_object(Bucket=b, Key="alt", Body=b"x"), 403)

    # A bucket policy naming alt (what real S3 honours).
    pol = {"Version": "2012-10-17", "Statement": statements(b, ["s3:GetObject"], env["PARTCOPY_ALT_PRINCIPAL"])}
    try:
        main.put_bucket_policy(Bucket=b, Policy=json.dumps(pol))
        try:
            alt.get_object(Bucket=b, Key="src")
            c.ok("bucket policy naming PARTCOPY_ALT_PRINCIPAL grants alt GetObject")
        except Exception as e:  # noqa: BLE001
            msg = f"policy accepted but alt still gets {err_code(e)}"
            if env.get("PARTCOPY_ALT_GRANT_MODE") == "bucket-policy":
                c.bad("bucket policy grants alt GetObject", msg)
            else:
                c.note("bucket policy grants alt GetObject", msg + " (use the grant command)")
        main.delete_bucket_policy(Bucket=b)
    except Exception as e:  # noqa: BLE001
        c.note("bucket policy naming PARTCOPY_ALT_PRINCIPAL", f"PutBucketPolicy refused: {err_code(e)}")

    # The grant command, which is how the suite should give alt rights.
    try:
        grant(statedir, b, "read")
        c.expect_ok("grant read: alt reads main's object",
                    lambda: retry_until(lambda: alt.get_object(Bucket=b, Key="src")["Body"].read()))
        c.expect_status("grant read: alt still cannot write", lambda: alt.put_object(Bucket=b, Key="alt", Body=b"x"), 403)
        grant(statedir, b2, "write")
        c.expect_ok("grant write: alt copies a part from b into b2", lambda: retry_until(
            lambda: part_copy(alt, b, "src", b2, "alt-dst", f"bytes=0-{5 * 1024 * 1024 - 1}", read_back=False)))
        grant(statedir, b, "none")
        grant(statedir, b2, "none")
        c.expect_status("grant none: alt is refused again", lambda: alt.get_object(Bucket=b, Key="src"), 403)
    except SetupError as e:
        c.bad("grant command", str(e))

    # D12: temporary credentials.
    if env.get("PARTCOPY_SESSION_TOKEN"):
        tk, ts, tt = env["PARTCOPY_TEMP_ACCESS_KEY"], env["PARTCOPY_TEMP_SECRET_KEY"], env["PARTCOPY_SESSION_TOKEN"]
        temp = client(env, "s3", tk, ts, tt)
        notoken = client(env, "s3", tk, ts)
        c.expect_ok("temp credentials with token read", lambda: temp.get_object(Bucket=b, Key="src")["Body"].read())
        c.expect_ok("temp credentials with token copy a part",
                    lambda: part_copy(temp, b, "src", b2, "temp-dst", "bytes=0-1023", complete=False))
        c.expect_status("temp credentials without token are refused", lambda: notoken.get_object(Bucket=b, Key="src"), 403)
    else:
        c.note("temporary credentials", "none configured for this server")

    # D09/D10/D11: SSE-C.
    key = secrets.token_bytes(32)
    ssec = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=base64.b64encode(key).decode(),
                SSECustomerKeyMD5=base64.b64encode(hashlib.md5(key).digest()).decode())
    try:
        main.put_object(Bucket=b, Key="ssec", Body=body[:1024], **ssec)
        got = main.get_object(Bucket=b, Key="ssec", **ssec)["Body"].read()
        if got == body[:1024]:
            c.ok("SSE-C put/get")
        else:
            c.bad("SSE-C put/get", "bytes differ")
        try:
            main.get_object(Bucket=b, Key="ssec")
            c.note("SSE-C get without key", "succeeded (server does not really encrypt)")
        except Exception as e:  # noqa: BLE001
            c.ok("SSE-C get without key is refused", f"{err_code(e)}")
    except Exception as e:  # noqa: BLE001
        if server == "minio":
            c.bad("SSE-C put", f"got {err_code(e)}")
        else:
            c.note("SSE-C put", f"not supported: {err_code(e)}")

    # D14: SSE-KMS.
    kms = env.get("PARTCOPY_KMS_KEY_ID")
    if kms:
        try:
            r = main.put_object(Bucket=b, Key="kms", Body=b"kms", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms)
            c.ok("SSE-KMS put", f"echo: {r.get('ServerSideEncryption')} key {r.get('SSEKMSKeyId')}")
            mpu = main.create_multipart_upload(Bucket=b2, Key="kms-dst", ServerSideEncryption="aws:kms", SSEKMSKeyId=kms)
            r = main.upload_part_copy(Bucket=b2, Key="kms-dst", UploadId=mpu["UploadId"], PartNumber=1,
                                      CopySource={"Bucket": b, "Key": "src"})
            c.ok("SSE-KMS UploadPartCopy", f"echo: {r.get('ServerSideEncryption')} key {r.get('SSEKMSKeyId')}")
            main.abort_multipart_upload(Bucket=b2, Key="kms-dst", UploadId=mpu["UploadId"])
        except Exception as e:  # noqa: BLE001
            c.bad("SSE-KMS", f"got {err_code(e)}")
    else:
        try:
            main.put_object(Bucket=b, Key="kms", Body=b"kms", ServerSideEncryption="aws:kms")
            c.note("SSE-KMS put (no key id configured)", "accepted")
        except Exception as e:  # noqa: BLE001
            c.note("SSE-KMS put (no key id configured)", f"refused: {err_code(e)}")

    # D01/D07/D25/S08: UploadPartCopy end to end.
    try:
        data = part_copy(main, b, "src", b2, "dst", f"bytes=0-{5 * 1024 * 1024 - 1}", second_range="bytes=100-199")
        want = body[:5 * 1024 * 1024] + body[100:200]
        if data == want:
            c.ok("UploadPartCopy (2 ranged parts) + Complete: bytes match")
        else:
            c.bad("UploadPartCopy + Complete", "object bytes differ from the copied ranges")
    except Exception as e:  # noqa: BLE001
        c.bad("UploadPartCopy + Complete", f"got {err_code(e)}")

    probes(c, statedir, main, alt, b, b2, body)

    # Clean up (best effort; the data dir goes on stop anyway).
    for bucket in (b, b2):
        try:
            for u in main.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
                main.abort_multipart_upload(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
            for o in main.list_objects_v2(Bucket=bucket).get("Contents", []):
                main.delete_object(Bucket=bucket, Key=o["Key"])
            main.delete_bucket(Bucket=bucket)
        except Exception as e:  # noqa: BLE001
            c.note("cleanup", f"{bucket}: {err_code(e)}")
    print(f"verify {server}: {c.passed} checks passed, {c.failed} failed, {c.info} notes")
    return c.failed == 0


def probes(c, statedir, main, alt, b, b2, body):
    """What the server does where servers differ; reported as notes, since
    the suite, not this smoke check, judges conformance."""
    # S03: versioned source.
    b3 = b + "-ver"
    try:
        main.create_bucket(Bucket=b3)
        main.put_bucket_versioning(Bucket=b3, VersioningConfiguration={"Status": "Enabled"})
        v1 = main.put_object(Bucket=b3, Key="v", Body=b"one").get("VersionId")
        main.put_object(Bucket=b3, Key="v", Body=b"two")
        mpu = main.create_multipart_upload(Bucket=b3, Key="vdst")
        main.upload_part_copy(Bucket=b3, Key="vdst", UploadId=mpu["UploadId"], PartNumber=1,
                              CopySource={"Bucket": b3, "Key": "v", "VersionId": v1})
        parts = main.list_parts(Bucket=b3, Key="vdst", UploadId=mpu["UploadId"])["Parts"]
        main.abort_multipart_upload(Bucket=b3, Key="vdst", UploadId=mpu["UploadId"])
        c.note("S03 versioning", f"enabled; copy of version {v1!r} gave a part of {parts[0]['Size']} bytes (want 3)")
    except Exception as e:  # noqa: BLE001
        c.note("S03 versioning", f"not usable: {err_code(e)}")
    finally:
        try:
            for v in main.list_object_versions(Bucket=b3).get("Versions", []):
                main.delete_object(Bucket=b3, Key=v["Key"], VersionId=v["VersionId"])
            main.delete_bucket(Bucket=b3)
        except Exception:  # noqa: BLE001
            pass

    # D05: a cold source.
    try:
        main.put_object(Bucket=b, Key="cold", Body=b"cold", StorageClass="GLACIER")
        mpu = main.create_multipart_upload(Bucket=b2, Key="cold-dst")
        try:
            main.upload_part_copy(Bucket=b2, Key="cold-dst", UploadId=mpu["UploadId"], PartNumber=1,
                                  CopySource={"Bucket": b, "Key": "cold"})
            c.note("D05 GLACIER source", "put accepted; UploadPartCopy from it succeeded (no cold tier)")
        except Exception as e:  # noqa: BLE001
            c.note("D05 GLACIER source", f"put accepted; UploadPartCopy gave {err_code(e)}")
        main.abort_multipart_upload(Bucket=b2, Key="cold-dst", UploadId=mpu["UploadId"])
    except Exception as e:  # noqa: BLE001
        c.note("D05 GLACIER source", f"PutObject with StorageClass GLACIER refused: {err_code(e)}")

    # D21: alt, with WRITE on the bucket, copies into main's upload.
    try:
        grant(statedir, b, "read")
        grant(statedir, b2, "write")
        mpu = main.create_multipart_upload(Bucket=b2, Key="d21")
        try:
            retry_until(lambda: alt.upload_part_copy(
                Bucket=b2, Key="d21", UploadId=mpu["UploadId"], PartNumber=1,
                CopySource={"Bucket": b, "Key": "src"}, CopySourceRange="bytes=0-9"), seconds=3)
            c.note("D21 non-initiator", "alt's UploadPartCopy into main's upload succeeded")
        except Exception as e:  # noqa: BLE001
            c.note("D21 non-initiator", f"alt's UploadPartCopy into main's upload gave {err_code(e)}")
        main.abort_multipart_upload(Bucket=b2, Key="d21", UploadId=mpu["UploadId"])
    except Exception as e:  # noqa: BLE001
        c.note("D21 non-initiator", f"probe failed: {err_code(e)}")
    finally:
        for bucket in (b, b2):
            try:
                grant(statedir, bucket, "none")
            except SetupError:
                pass


def part_copy(s3, src_bucket, src_key, dst_bucket, dst_key, rng, second_range=None, complete=True,
              read_back=True):
    mpu = s3.create_multipart_upload(Bucket=dst_bucket, Key=dst_key)
    uid = mpu["UploadId"]
    parts = []
    for n, r in enumerate([rng] + ([second_range] if second_range else []), start=1):
        res = s3.upload_part_copy(Bucket=dst_bucket, Key=dst_key, UploadId=uid, PartNumber=n,
                                  CopySource={"Bucket": src_bucket, "Key": src_key}, CopySourceRange=r)
        etag = res["CopyPartResult"].get("ETag")
        if not etag:
            raise SetupError("CopyPartResult without ETag")  # D02
        parts.append({"PartNumber": n, "ETag": etag})
    if not complete:
        s3.abort_multipart_upload(Bucket=dst_bucket, Key=dst_key, UploadId=uid)
        return None
    s3.complete_multipart_upload(Bucket=dst_bucket, Key=dst_key, UploadId=uid,
                                 MultipartUpload={"Parts": parts})
    if not read_back:
        return None
    return s3.get_object(Bucket=dst_bucket, Key=dst_key)["Body"].read()


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "moto-setup-count" and not args:
            print(MOTO_SETUP_COUNT)
        elif cmd == "moto-setup" and len(args) == 1:
            moto_setup(args[0])
        elif cmd == "assume-role" and len(args) in (1, 2, 3):
            assume_role(*args)
        elif cmd == "grant" and len(args) == 3:
            grant(*args)
        elif cmd == "verify" and len(args) == 1:
            return 0 if verify(args[0]) else 1
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except SetupError as e:
        print(f"s3tool: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
