# A client that trusts the HTTP status alone (curl -f, never reads the body
# to decide): the test expects it SILENT on every D02 form.
. "$(dirname "$0")/curl-common.sh"
copy_part
[ "$CODE" = 200 ] || { echo "HTTP $CODE (curl exit $RC)" >&2; exit 1; }
etag_of_body
