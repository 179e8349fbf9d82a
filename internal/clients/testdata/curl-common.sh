# Shared by the curl clients of the tests: signed requests with curl's own
# SigV4 (--aws-sigv4), from the `partcopy clients --exec` contract's
# environment. Sourced, not run.
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# copy_part: the UploadPartCopy; sets CODE (HTTP status) and RC (curl's exit
# status); the body is in $BODY.
copy_part() {
	CODE=$(curl -s -f -o "$BODY" -w '%{http_code}' -X PUT \
		--aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $EMPTY_SHA" -H "x-amz-copy-source: $PARTCOPY_COPY_SOURCE" \
		"$PARTCOPY_ENDPOINT/$PARTCOPY_BUCKET/$PARTCOPY_KEY?partNumber=$PARTCOPY_PART_NUMBER&uploadId=$PARTCOPY_UPLOAD_ID")
	RC=$?
}

# etag_of_body prints the ETag element's text of $BODY, entities decoded.
etag_of_body() {
	tr -d '\r\n' < "$BODY" | sed -n 's/.*<ETag>\([^<]*\)<\/ETag>.*/\1/p' | sed -e 's/&quot;/"/g' -e 's/&#34;/"/g'
}

# complete_upload ETAG: CompleteMultipartUpload with one part.
complete_upload() {
	xml="<CompleteMultipartUpload><Part><PartNumber>$PARTCOPY_PART_NUMBER</PartNumber><ETag>$1</ETag></Part></CompleteMultipartUpload>"
	sha=$(printf '%s' "$xml" | sha256sum | cut -d' ' -f1)
	curl -s -f -o /dev/null -X POST --data-binary "$xml" \
		--aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: $sha" -H "Content-Type: application/xml" \
		"$PARTCOPY_ENDPOINT/$PARTCOPY_BUCKET/$PARTCOPY_KEY?uploadId=$PARTCOPY_UPLOAD_ID"
}
