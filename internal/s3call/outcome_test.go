package s3call

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// docSampleBody is the sample response body of the vendor document
// (000_261687fe85d0d51b.txt, "Sample Response"), with the one leading space
// the page puts before every line of its code blocks removed. Its xmlns and
// standalone="yes" are the document's own; so are the trailing spaces.
const docSampleBody = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?> \n" +
	"<CopyPartResult xmlns=\"http://obs.example.com/doc/2015-06-30/\"> \n" +
	"<LastModified>2009-10-28T22:32:00</LastModified> <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>  \n" +
	"</CopyPartResult> \n"

// docSampleLiteral is the same block exactly as the page prints it: every
// line indented by one space, so there is whitespace before the declaration.
const docSampleLiteral = " <?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?> \n" +
	" <CopyPartResult xmlns=\"http://obs.example.com/doc/2015-06-30/\"> \n" +
	" <LastModified>2009-10-28T22:32:00</LastModified> <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>  \n" +
	" </CopyPartResult> \n"

const (
	decl     = `<?xml version="1.0" encoding="UTF-8"?>`
	docETag  = `"9b2cf535f27731c974343645a3985328"`
	awsETag  = `"b54357faf0632cce46e942fa68356b38"`
	awsCopy  = decl + "\n" + `<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2011-04-11T20:34:56.000Z</LastModified><ETag>` + awsETag + `</ETag></CopyPartResult>`
	awsError = `<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>656c76696e6727732072657175657374</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>`
	// awsComplete is the CompleteMultipartUpload sample response of the S3
	// API reference.
	awsCompleteETag = `"3858f62230ac3c915f300c664312c11f-9"`
	awsComplete     = decl + "\n" + `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location><Bucket>Example-Bucket</Bucket><Key>Example-Object</Key><ETag>` + awsCompleteETag + `</ETag></CompleteMultipartUploadResult>`
)

// keepAlive is what S06 describes: the declaration sent early, then
// whitespace while the server copies, then the root element.
func keepAlive(rest string) string {
	return decl + "\n" + strings.Repeat(" \n", 40) + "\t\r\n" + rest
}

func copyResult(inner string) string {
	return `<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + inner + `</CopyPartResult>`
}

type outcomeCase struct {
	name      string
	status    int
	body      string
	bodyErr   error
	capped    bool
	transport error
	nilEx     bool

	kind          Kind
	code, msg     string
	etag, lastMod string
	wsBeforeDecl  bool
	key           string
	detail        string // a substring Detail must contain
}

// copyPartCases is the D02 table for UploadPartCopy: every way a copy can
// fail and the ways it can succeed.
var copyPartCases = []outcomeCase{
	// Successes.
	{name: "document sample response", status: 200, body: docSampleBody,
		kind: KindOK, etag: docETag, lastMod: "2009-10-28T22:32:00"},
	{name: "document sample as printed (indented)", status: 200, body: docSampleLiteral,
		kind: KindOK, etag: docETag, lastMod: "2009-10-28T22:32:00", wsBeforeDecl: true},
	{name: "AWS style response", status: 200, body: awsCopy,
		kind: KindOK, etag: awsETag, lastMod: "2011-04-11T20:34:56.000Z"},
	{name: "no declaration", status: 200, body: copyResult(`<ETag>` + awsETag + `</ETag>`),
		kind: KindOK, etag: awsETag},
	{name: "S06 whitespace after declaration then result", status: 200,
		body: keepAlive(copyResult(`<LastModified>2011-04-11T20:34:56.000Z</LastModified><ETag>` + awsETag + `</ETag>`)),
		kind: KindOK, etag: awsETag, lastMod: "2011-04-11T20:34:56.000Z"},
	{name: "whitespace before declaration then result (S06 deviation)", status: 200,
		body: "\n\n  \r\n" + awsCopy, kind: KindOK, etag: awsETag, lastMod: "2011-04-11T20:34:56.000Z", wsBeforeDecl: true},
	{name: "whitespace before a root without declaration is legal", status: 200,
		body: "\n  " + copyResult(`<ETag>`+awsETag+`</ETag>`), kind: KindOK, etag: awsETag},
	{name: "ETag padded with whitespace", status: 200, body: copyResult("<ETag>\n  " + awsETag + "  \n</ETag>"),
		kind: KindOK, etag: awsETag},
	{name: "unquoted ETag", status: 200, body: copyResult(`<ETag>b54357faf0632cce46e942fa68356b38</ETag>`),
		kind: KindOK, etag: "b54357faf0632cce46e942fa68356b38"},
	{name: "ETag with entity-escaped quotes", status: 200, body: copyResult(`<ETag>&quot;abc&quot;</ETag>`),
		kind: KindOK, etag: `"abc"`},
	{name: "namespace prefix on the root", status: 200,
		body: `<s3:CopyPartResult xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:ETag>` + awsETag + `</s3:ETag></s3:CopyPartResult>`,
		kind: KindOK, etag: awsETag},
	{name: "trailing whitespace after the root", status: 200, body: awsCopy + "\n \r\n\t",
		kind: KindOK, etag: awsETag, lastMod: "2011-04-11T20:34:56.000Z"},
	{name: "comment after the root is well-formed", status: 200, body: awsCopy + "\n<!-- served by x -->\n",
		kind: KindOK, etag: awsETag, lastMod: "2011-04-11T20:34:56.000Z"},

	{name: "byte order mark before the declaration", status: 200, body: "\xEF\xBB\xBF" + awsCopy,
		kind: KindOK, etag: awsETag, lastMod: "2011-04-11T20:34:56.000Z"},
	{name: "DOCTYPE before the root", status: 200, body: decl + "<!DOCTYPE CopyPartResult>" + copyResult(`<ETag>`+awsETag+`</ETag>`),
		kind: KindOK, etag: awsETag},

	// <Error> inside a 200 (D02).
	{name: "Error in 200", status: 200, body: decl + awsError,
		kind: KindErrorIn200, code: "InternalError", msg: "We encountered an internal error. Please try again.",
		key: "error-in-200:InternalError"},
	{name: "Error in 200 without declaration", status: 200, body: `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`,
		kind: KindErrorIn200, code: "SlowDown", msg: "Please reduce your request rate.", key: "error-in-200:SlowDown"},
	{name: "S06 whitespace after declaration then Error", status: 200, body: keepAlive(awsError),
		kind: KindErrorIn200, code: "InternalError", msg: "We encountered an internal error. Please try again.",
		key: "error-in-200:InternalError"},
	{name: "whitespace before declaration then Error", status: 200, body: "  \n" + decl + awsError,
		kind: KindErrorIn200, code: "InternalError", msg: "We encountered an internal error. Please try again.",
		wsBeforeDecl: true, key: "error-in-200:InternalError"},
	{name: "Error in 200 without Code", status: 200, body: `<Error><Message>boom</Message></Error>`,
		kind: KindErrorIn200, msg: "boom", key: "error-in-200"},
	{name: "Error in 200 cut short still names the code", status: 200, body: decl + `<Error><Code>InternalError</Code><Mess`,
		kind: KindErrorIn200, code: "InternalError", key: "error-in-200:InternalError"},

	// Empty bodies (D02).
	{name: "empty 200", status: 200, body: "", kind: KindEmpty200, key: "empty-200"},
	{name: "all-whitespace 200", status: 200, body: " \r\n\t \n   ", kind: KindEmpty200, key: "empty-200"},

	// Not XML.
	{name: "200 with plain text", status: 200, body: "OK", kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with JSON", status: 200, body: `{"ETag":"\"abc\""}`, kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with HTML (not well-formed)", status: 200, body: "<!DOCTYPE html>\n<html><body><p>Copy done<br></body></html>",
		kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with text before the root", status: 200, body: "done " + awsCopy, kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with mismatched tags", status: 200, body: copyResult(`<ETag>` + awsETag + `</Etag>`),
		kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with an undefined entity", status: 200, body: copyResult(`<ETag>&nbsp;` + awsETag + `</ETag>`),
		kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with binary garbage", status: 200, body: "\x00\x01\x02\xff\xfe", kind: KindMalformed200, key: "malformed-200"},

	{name: "200 with a second declaration", status: 200, body: decl + "\n" + awsCopy, kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with a declaration inside the root", status: 200, body: copyResult(decl + `<ETag>` + awsETag + `</ETag>`),
		kind: KindMalformed200, key: "malformed-200"},
	{name: "200 with non-XML space before the root", status: 200, body: "\u00a0" + awsCopy, kind: KindMalformed200, key: "malformed-200"},

	// Truncated XML (D02).
	{name: "cut after the declaration", status: 200, body: decl, kind: KindTruncated200, key: "truncated-200"},
	{name: "cut after the declaration and keep-alive whitespace", status: 200, body: keepAlive(""),
		kind: KindTruncated200, key: "truncated-200"},
	{name: "cut inside the declaration", status: 200, body: `<?xml version="1.0" enc`, kind: KindTruncated200, key: "truncated-200"},
	{name: "cut inside the root start tag", status: 200, body: decl + "\n<CopyPartRes", kind: KindTruncated200, key: "truncated-200"},
	{name: "cut mid-element", status: 200, body: decl + `<CopyPartResult><LastModified>2011-04-11T20:34:56.000Z</LastMod`,
		kind: KindTruncated200, key: "truncated-200"},
	{name: "cut inside ETag", status: 200, body: decl + `<CopyPartResult><LastModified>2011-04-11T20:34:56.000Z</LastModified><ETag>"b54357faf06`,
		kind: KindTruncated200, key: "truncated-200"},
	{name: "cut before the root end tag", status: 200, body: decl + `<CopyPartResult><ETag>` + awsETag + `</ETag>`,
		kind: KindTruncated200, key: "truncated-200"},
	{name: "cut inside the root end tag", status: 200, body: decl + `<CopyPartResult><ETag>` + awsETag + `</ETag></CopyPart`,
		kind: KindTruncated200, key: "truncated-200"},
	{name: "body over the cap", status: 200, body: keepAlive(""), capped: true,
		kind: KindTruncated200, key: "truncated-200", detail: "cap"},

	// Body read errors (a connection broken mid-body).
	{name: "body read error, no body", status: 200, body: "", bodyErr: io.ErrUnexpectedEOF,
		kind: KindTruncated200, key: "truncated-200", detail: "unexpected EOF"},
	{name: "body read error, partial body", status: 200, body: keepAlive(""), bodyErr: io.ErrUnexpectedEOF,
		kind: KindTruncated200, key: "truncated-200", detail: "unexpected EOF"},
	{name: "body read error, partial result", status: 200, body: decl + `<CopyPartResult><ETag>` + awsETag, bodyErr: errors.New("connection reset by peer"),
		kind: KindTruncated200, key: "truncated-200", detail: "connection reset"},
	{name: "body read error after a whole result", status: 200, body: awsCopy, bodyErr: io.ErrUnexpectedEOF,
		kind: KindTruncated200, key: "truncated-200"},
	{name: "body read error after an Error", status: 200, body: keepAlive(awsError), bodyErr: io.ErrUnexpectedEOF,
		kind: KindErrorIn200, code: "InternalError", msg: "We encountered an internal error. Please try again.",
		key: "error-in-200:InternalError"},

	// CopyPartResult without a usable ETag (D02, D13).
	{name: "CopyPartResult without ETag", status: 200, body: decl + copyResult(`<LastModified>2011-04-11T20:34:56.000Z</LastModified>`),
		kind: KindNoETag200, lastMod: "2011-04-11T20:34:56.000Z", key: "no-etag-200"},
	{name: "empty CopyPartResult", status: 200, body: `<CopyPartResult/>`, kind: KindNoETag200, key: "no-etag-200"},
	{name: "empty ETag element", status: 200, body: copyResult(`<ETag></ETag>`), kind: KindNoETag200, key: "no-etag-200"},
	{name: "self-closing ETag", status: 200, body: copyResult(`<ETag/>`), kind: KindNoETag200, key: "no-etag-200"},
	{name: "ETag of two quotes", status: 200, body: copyResult(`<ETag>""</ETag>`), kind: KindNoETag200, key: "no-etag-200"},
	{name: "ETag of escaped quotes", status: 200, body: copyResult(`<ETag>&quot;&quot;</ETag>`), kind: KindNoETag200, key: "no-etag-200"},
	{name: "whitespace-only ETag", status: 200, body: copyResult("<ETag> \n\t </ETag>"), kind: KindNoETag200, key: "no-etag-200"},
	{name: "ETag nested below a child", status: 200, body: copyResult(`<Part><ETag>` + awsETag + `</ETag></Part>`),
		kind: KindNoETag200, key: "no-etag-200"},

	// Unexpected roots.
	{name: "CopyObjectResult root", status: 200, body: `<CopyObjectResult><ETag>` + awsETag + `</ETag></CopyObjectResult>`,
		kind: KindUnexpectedRoot200, key: "unexpected-root-200", detail: "CopyObjectResult"},
	{name: "CompleteMultipartUploadResult root", status: 200, body: awsComplete,
		kind: KindUnexpectedRoot200, key: "unexpected-root-200"},
	{name: "well-formed HTML", status: 200, body: `<html><body>ok</body></html>`,
		kind: KindUnexpectedRoot200, key: "unexpected-root-200"},
	{name: "root differs only in case", status: 200, body: `<copypartresult><ETag>` + awsETag + `</ETag></copypartresult>`,
		kind: KindUnexpectedRoot200, key: "unexpected-root-200"},

	// Content after the root, two roots.
	{name: "text after the root", status: 200, body: awsCopy + "trailing", kind: KindMalformed200, key: "malformed-200"},
	{name: "two result roots", status: 200, body: awsCopy + copyResult(`<ETag>"x"</ETag>`), kind: KindMalformed200, key: "malformed-200"},
	{name: "result then Error", status: 200, body: awsCopy + "\n" + awsError, kind: KindMalformed200, key: "malformed-200"},

	// Non-200 statuses.
	{name: "404 with S3 error body", status: 404,
		body: decl + `<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`,
		kind: KindHTTPError, code: "NoSuchUpload", msg: "The specified upload does not exist.", key: "http-error:NoSuchUpload"},
	{name: "403 with S3 error body after whitespace", status: 403,
		body: "\n" + `<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
		kind: KindHTTPError, code: "AccessDenied", msg: "Access Denied", key: "http-error:AccessDenied"},
	{name: "503 without body", status: 503, body: "", kind: KindHTTPStatus, key: "http-status:503"},
	{name: "502 with HTML", status: 502, body: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
		kind: KindHTTPStatus, key: "http-status:502"},
	{name: "500 with a truncated Error", status: 500, body: `<Error><Code>InternalError</Co`, kind: KindHTTPStatus, key: "http-status:500"},
	{name: "206 with a result body is still not 200", status: 206, body: awsCopy, kind: KindHTTPStatus, key: "http-status:206"},
	{name: "204 without body", status: 204, body: "", kind: KindHTTPStatus, key: "http-status:204"},

	// No response.
	{name: "transport error", transport: errors.New("dial tcp 127.0.0.1:1: connect: connection refused"),
		kind: KindTransport, key: "transport", detail: "connection refused"},
	{name: "nil exchange without error", nilEx: true, kind: KindTransport, key: "transport"},
}

// completeCases is the same rule for CompleteMultipartUpload.
var completeCases = []outcomeCase{
	{name: "AWS sample response", status: 200, body: awsComplete, kind: KindOK, etag: awsCompleteETag},
	{name: "S06 keep-alive then result", status: 200,
		body: keepAlive(`<CompleteMultipartUploadResult><Location>x</Location><ETag>` + awsCompleteETag + `</ETag></CompleteMultipartUploadResult>`),
		kind: KindOK, etag: awsCompleteETag},
	{name: "whitespace before declaration", status: 200, body: " \n" + awsComplete, kind: KindOK, etag: awsCompleteETag, wsBeforeDecl: true},
	{name: "S06 keep-alive then Error", status: 200, body: keepAlive(awsError),
		kind: KindErrorIn200, code: "InternalError", msg: "We encountered an internal error. Please try again.", key: "error-in-200:InternalError"},
	{name: "empty 200", status: 200, body: "", kind: KindEmpty200, key: "empty-200"},
	{name: "whitespace 200", status: 200, body: "\n\n", kind: KindEmpty200, key: "empty-200"},
	{name: "cut after the declaration", status: 200, body: keepAlive(""), kind: KindTruncated200, key: "truncated-200"},
	{name: "cut inside ETag", status: 200, body: decl + `<CompleteMultipartUploadResult><ETag>"3858f6`, kind: KindTruncated200, key: "truncated-200"},
	{name: "broken connection", status: 200, body: decl, bodyErr: io.ErrUnexpectedEOF, kind: KindTruncated200, key: "truncated-200"},
	{name: "result without ETag", status: 200, body: `<CompleteMultipartUploadResult><Location>x</Location><Bucket>b</Bucket><Key>k</Key></CompleteMultipartUploadResult>`,
		kind: KindNoETag200, key: "no-etag-200"},
	{name: "empty ETag", status: 200, body: `<CompleteMultipartUploadResult><ETag></ETag></CompleteMultipartUploadResult>`, kind: KindNoETag200, key: "no-etag-200"},
	{name: "quotes-only ETag", status: 200, body: `<CompleteMultipartUploadResult><ETag>""</ETag></CompleteMultipartUploadResult>`, kind: KindNoETag200, key: "no-etag-200"},
	{name: "CopyPartResult root", status: 200, body: awsCopy, kind: KindUnexpectedRoot200, key: "unexpected-root-200"},
	{name: "not XML", status: 200, body: "Completed", kind: KindMalformed200, key: "malformed-200"},
	{name: "two roots", status: 200, body: awsComplete + awsComplete, kind: KindMalformed200, key: "malformed-200"},
	{name: "400 EntityTooSmall", status: 400, body: `<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the minimum allowed object size.</Message></Error>`,
		kind: KindHTTPError, code: "EntityTooSmall", msg: "Your proposed upload is smaller than the minimum allowed object size.", key: "http-error:EntityTooSmall"},
	{name: "500 without body", status: 500, kind: KindHTTPStatus, key: "http-status:500"},
	{name: "transport", transport: errors.New("read: connection reset by peer"), kind: KindTransport, key: "transport"},
}

func (tc outcomeCase) exchange() (*Exchange, error) {
	if tc.transport != nil || tc.nilEx {
		return nil, tc.transport
	}
	return &Exchange{Status: tc.status, Body: []byte(tc.body), BodyErr: tc.bodyErr, BodyCapped: tc.capped}, nil
}

func checkOutcome(t *testing.T, tc outcomeCase, o Outcome) {
	t.Helper()
	if o.Kind != tc.kind {
		t.Fatalf("Kind = %q, want %q (outcome: %s)", o.Kind, tc.kind, o)
	}
	if o.OK != (tc.kind == KindOK) {
		t.Errorf("OK = %v for kind %q", o.OK, o.Kind)
	}
	wantStatus := tc.status
	if tc.transport != nil || tc.nilEx {
		wantStatus = 0
	}
	if o.Status != wantStatus {
		t.Errorf("Status = %d, want %d", o.Status, wantStatus)
	}
	if o.Code != tc.code || o.Message != tc.msg {
		t.Errorf("Code, Message = %q, %q; want %q, %q", o.Code, o.Message, tc.code, tc.msg)
	}
	if o.ETag != tc.etag {
		t.Errorf("ETag = %q, want %q", o.ETag, tc.etag)
	}
	if tc.lastMod != "" && o.LastModified != tc.lastMod {
		t.Errorf("LastModified = %q, want %q", o.LastModified, tc.lastMod)
	}
	if o.WhitespaceBeforeDecl != tc.wsBeforeDecl {
		t.Errorf("WhitespaceBeforeDecl = %v, want %v", o.WhitespaceBeforeDecl, tc.wsBeforeDecl)
	}
	if got := o.FailureKey(); got != tc.key {
		t.Errorf("FailureKey() = %q, want %q", got, tc.key)
	}
	if !strings.Contains(o.Detail, tc.detail) {
		t.Errorf("Detail = %q, want it to mention %q", o.Detail, tc.detail)
	}
	if (o.Err() == nil) != o.OK {
		t.Errorf("Err() = %v with OK = %v", o.Err(), o.OK)
	}
	if o.Err() != nil && o.Err().Error() != o.String() {
		t.Errorf("Err() = %q, String() = %q", o.Err(), o.String())
	}
	if !o.OK && o.Detail == "" && o.Code == "" {
		t.Errorf("a failure with neither Detail nor Code: %s", o)
	}
}

func TestCopyPartOutcome(t *testing.T) {
	for _, tc := range copyPartCases {
		t.Run(tc.name, func(t *testing.T) {
			checkOutcome(t, tc, CopyPartOutcome(tc.exchange()))
		})
	}
}

func TestCompleteOutcome(t *testing.T) {
	for _, tc := range completeCases {
		t.Run(tc.name, func(t *testing.T) {
			checkOutcome(t, tc, CompleteOutcome(tc.exchange()))
		})
	}
}

func TestCopyObjectOutcome(t *testing.T) {
	body := decl + `<CopyObjectResult><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>"9b2cf535f27731c974343645a3985328"</ETag></CopyObjectResult>`
	if o := CopyObjectOutcome(&Exchange{Status: 200, Body: []byte(body)}, nil); !o.OK || o.ETag != docETag {
		t.Errorf("CopyObjectOutcome = %s", o)
	}
	if o := CopyObjectOutcome(&Exchange{Status: 200, Body: []byte(awsCopy)}, nil); o.Kind != KindUnexpectedRoot200 {
		t.Errorf("CopyPartResult for a CopyObject: %s", o)
	}
}

func TestOutcomeString(t *testing.T) {
	ok := CopyPartOutcome(&Exchange{Status: 200, Body: []byte(awsCopy)}, nil)
	if got, want := ok.String(), "ok: status 200, ETag "+awsETag; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	bad := CopyPartOutcome(&Exchange{Status: 200, Body: []byte(decl + awsError)}, nil)
	for _, want := range []string{"error-in-200", "status 200", "code InternalError", `"We encountered an internal error. Please try again."`} {
		if !strings.Contains(bad.String(), want) {
			t.Errorf("String() = %q, missing %q", bad.String(), want)
		}
	}
	if strings.Contains(bad.String(), "\n") {
		t.Errorf("String() is not one line: %q", bad.String())
	}
}

func TestParseError(t *testing.T) {
	cases := []struct {
		name string
		body string
		ok   bool
		want S3Error
	}{
		{"full", decl + `<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist</Message><Resource>/mybucket/myfoto.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId></Error>`,
			true, S3Error{Code: "NoSuchKey", Message: "The resource you requested does not exist", Resource: "/mybucket/myfoto.jpg", RequestID: "4442587FB7D0A2F9"}},
		{"surrounding whitespace", "\n  <Error><Code>SlowDown</Code></Error>\n", true, S3Error{Code: "SlowDown"}},
		{"empty", "", false, S3Error{}},
		{"not XML", "Internal Server Error", false, S3Error{}},
		{"other root", awsCopy, false, S3Error{}},
		{"truncated", `<Error><Code>Slow`, false, S3Error{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseError([]byte(tc.body))
			if ok != tc.ok || got != tc.want {
				t.Errorf("ParseError = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// firstRoot is an independent reading of a body's root element name.
func firstRoot(body []byte) string {
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimLeft(body, " \t\r\n")))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local
		}
	}
}

var fuzzRoots = []string{RootCopyPartResult, RootCompleteResult, RootCopyObjectResult}

func FuzzOutcome200(f *testing.F) {
	for _, tc := range append(append([]outcomeCase(nil), copyPartCases...), completeCases...) {
		if tc.transport != nil || tc.nilEx {
			continue
		}
		f.Add(tc.status, []byte(tc.body), tc.bodyErr != nil, uint8(0))
		f.Add(tc.status, []byte(tc.body), tc.bodyErr != nil, uint8(1))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, broken bool, rootSel uint8) {
		root := fuzzRoots[int(rootSel)%len(fuzzRoots)]
		ex := &Exchange{Status: status, Body: body}
		if broken {
			ex.BodyErr = io.ErrUnexpectedEOF
		}
		o := Outcome200(ex, nil, root)
		if o.OK != (o.Kind == KindOK) {
			t.Fatalf("OK = %v, Kind = %q", o.OK, o.Kind)
		}
		if o.Status != status {
			t.Fatalf("Status = %d, want %d", o.Status, status)
		}
		if o.OK {
			if status != 200 {
				t.Fatalf("OK with status %d", status)
			}
			if strings.Trim(strings.TrimSpace(o.ETag), `"`) == "" {
				t.Fatalf("OK with ETag %q", o.ETag)
			}
			if got := firstRoot(body); got != root {
				t.Fatalf("OK with root %q, want %q", got, root)
			}
			if broken {
				t.Fatalf("OK although the body broke off")
			}
			if o.FailureKey() != "" || o.Err() != nil {
				t.Fatalf("OK with FailureKey %q, Err %v", o.FailureKey(), o.Err())
			}
		} else {
			if o.FailureKey() == "" || o.Err() == nil {
				t.Fatalf("failure %s without a key or error", o)
			}
			if status == 200 && (o.Kind == KindHTTPError || o.Kind == KindHTTPStatus) {
				t.Fatalf("status 200 classified as %q", o.Kind)
			}
			if status != 200 && o.Kind != KindHTTPError && o.Kind != KindHTTPStatus {
				t.Fatalf("status %d classified as %q", status, o.Kind)
			}
		}
		if o.WhitespaceBeforeDecl && !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("<?xml")) {
			t.Fatalf("WhitespaceBeforeDecl without a declaration")
		}
	})
}

// isXMLText reports whether s survives an XML round trip unchanged.
func isXMLText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			continue
		}
		return false
	}
	return true
}

func FuzzParseError(f *testing.F) {
	f.Add([]byte(decl+awsError), "NoSuchUpload", "The specified upload does not exist.")
	f.Add([]byte(""), "", "")
	f.Add([]byte("<Error><Code>"), "A&B", "<x>")
	f.Add([]byte(awsCopy), "SlowDown", "  spaced  ")
	f.Fuzz(func(t *testing.T, body []byte, code, message string) {
		// Any body: never panics; ok only for an Error root.
		if e, ok := ParseError(body); ok && firstRoot(bytes.TrimSpace(body)) != "Error" {
			t.Fatalf("ParseError(%q) = %+v, ok for a non-Error root", body, e)
		}
		// A rendered Error body: Code and Message come back exactly.
		if !isXMLText(code) || !isXMLText(message) {
			return
		}
		var b bytes.Buffer
		b.WriteString(decl + "\n<Error><Code>")
		_ = xml.EscapeText(&b, []byte(code))
		b.WriteString("</Code><Message>")
		_ = xml.EscapeText(&b, []byte(message))
		b.WriteString("</Message></Error>\n")
		e, ok := ParseError(b.Bytes())
		if !ok || e.Code != code || e.Message != message {
			t.Fatalf("ParseError(%q) = %+v, %v; want Code %q Message %q", b.Bytes(), e, ok, code, message)
		}
		o := Outcome200(&Exchange{Status: 200, Body: b.Bytes()}, nil, RootCopyPartResult)
		if o.Kind != KindErrorIn200 || o.Code != code || o.Message != message {
			t.Fatalf("Outcome200 of a rendered Error = %+v", o)
		}
	})
}
