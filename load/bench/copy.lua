-- wrk script (load/bench/generators.sh): every request is an UploadPartCopy as partcopy sends it
-- (PUT, x-amz-copy-source), answered by nulls3 with the same fixed
-- CopyPartResult the generator gets. wrk neither signs nor parses it.
wrk.method = "PUT"
wrk.path = "/bench-bucket/dst/00000001?partNumber=1&uploadId=null-upload-id"
wrk.headers["X-Amz-Copy-Source"] = "/bench-bucket/src/000"
