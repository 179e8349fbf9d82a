# A client that applies the body rule (D02): a 200 is a success only when
# the body is a complete CopyPartResult carrying an ETag. The test expects it
# to detect every failed copy and to succeed on every good one.
. "$(dirname "$0")/curl-common.sh"
copy_part
[ "$RC" = 0 ] || { echo "curl exit $RC, HTTP $CODE" >&2; exit 1; }
[ "$CODE" = 200 ] || { echo "HTTP $CODE" >&2; exit 1; }
tr -d '\r\n' < "$BODY" | grep -q '<CopyPartResult[ >].*</CopyPartResult>' || { echo "200 without a CopyPartResult: $(head -c 300 "$BODY")" >&2; exit 1; }
etag=$(etag_of_body)
[ -n "$etag" ] || { echo "200 CopyPartResult without an ETag" >&2; exit 1; }
echo "body-rule: the copy succeeded, its ETag follows"  # ignored: the ETag is the last line
echo "$etag"
