// partcopy's built-in @aws-sdk/client-s3 v3 driver: one UploadPartCopyCommand,
// the way an application would send it, and what the SDK reported.
//
// It follows the `partcopy clients --exec` contract (docs/clients.md): the
// request comes from PARTCOPY_* and AWS_* environment variables; exit status
// 0 means the SDK reported success and the ETag it returned is printed on
// stdout; on an error the SDK's error is printed on stderr, exit status 1.
//
//   node driver.mjs [--retries default|off]
//   node driver.mjs --versions     # exit 3 when the SDK is not installed
//
// PARTCOPY_DEBUG=1 prints every signed request's headers and the SDK's
// logger output to stderr; partcopy redacts what it keeps of it. The driver
// never judges the copy itself.
import { createRequire } from "node:module";

const NOT_INSTALLED = 3;
const argv = process.argv.slice(2);
let retries = "default";
if (argv.includes("--retries")) retries = argv[argv.indexOf("--retries") + 1];
if (retries !== "default" && retries !== "off") {
  console.error(`--retries ${retries}: want default or off`);
  process.exit(2);
}

let sdk;
try {
  sdk = await import("@aws-sdk/client-s3");
} catch (e) {
  console.error(`@aws-sdk/client-s3 not installed (${e.message})`);
  process.exit(NOT_INSTALLED);
}
if (argv.includes("--versions")) {
  const require = createRequire(import.meta.url);
  console.log("@aws-sdk/client-s3", require("@aws-sdk/client-s3/package.json").version);
  console.log("node", process.versions.node);
  process.exit(0);
}

const env = process.env;
const need = ["PARTCOPY_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PARTCOPY_BUCKET",
  "PARTCOPY_KEY", "PARTCOPY_UPLOAD_ID", "PARTCOPY_PART_NUMBER", "PARTCOPY_COPY_SOURCE"];
const missing = need.filter((k) => !env[k]);
if (missing.length) {
  console.error(`not set: ${missing.join(", ")}`);
  process.exit(2);
}
const debug = env.PARTCOPY_DEBUG === "1";

const client = new sdk.S3Client({
  endpoint: env.PARTCOPY_ENDPOINT,
  region: env.AWS_REGION || "us-east-1",
  forcePathStyle: true,
  credentials: {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    sessionToken: env.AWS_SESSION_TOKEN || undefined,
  },
  ...(retries === "off" ? { maxAttempts: 1 } : {}),
  ...(debug ? { logger: { debug: console.error, info: console.error, warn: console.error, error: console.error } } : {}),
});
if (debug) {
  client.middlewareStack.add(
    (next) => async (args) => {
      console.error("request", args.request.method, args.request.path, JSON.stringify(args.request.headers));
      const out = await next(args);
      console.error("response", out.response.statusCode, JSON.stringify(out.response.headers));
      return out;
    },
    { step: "deserialize", name: "partcopyWireLog" },
  );
}

try {
  const out = await client.send(new sdk.UploadPartCopyCommand({
    Bucket: env.PARTCOPY_BUCKET,
    Key: env.PARTCOPY_KEY,
    UploadId: env.PARTCOPY_UPLOAD_ID,
    PartNumber: Number(env.PARTCOPY_PART_NUMBER),
    CopySource: env.PARTCOPY_COPY_SOURCE,
  }));
  console.log(out.CopyPartResult?.ETag ?? "");
  process.exit(0);
} catch (e) {
  console.error(`${e.name}: ${e.message}`);
  process.exit(1);
}
