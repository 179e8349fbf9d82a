package s3call

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Kind names how an exchange ended. Kinds are stable strings: reports and
// load results count failures by them.
type Kind string

// Outcome kinds. Only KindOK is a success.
const (
	// KindOK: 200 and the expected result element with a non-empty ETag.
	KindOK Kind = "ok"
	// KindErrorIn200: 200 whose body is an S3 <Error> (D02).
	KindErrorIn200 Kind = "error-in-200"
	// KindEmpty200: 200 with an empty (or all-whitespace) body (D02).
	KindEmpty200 Kind = "empty-200"
	// KindMalformed200: 200 whose body is not well-formed XML (D02).
	KindMalformed200 Kind = "malformed-200"
	// KindTruncated200: 200 whose body ended before the root element closed,
	// or whose connection broke mid-body (D02).
	KindTruncated200 Kind = "truncated-200"
	// KindNoETag200: 200 with the result element but no (or an empty) ETag (D02).
	KindNoETag200 Kind = "no-etag-200"
	// KindUnexpectedRoot200: 200 whose root element is neither the expected
	// result nor Error.
	KindUnexpectedRoot200 Kind = "unexpected-root-200"
	// KindHTTPError: a non-200 status with an S3 <Error> body.
	KindHTTPError Kind = "http-error"
	// KindHTTPStatus: a non-200 status without a parsable S3 error body.
	KindHTTPStatus Kind = "http-status"
	// KindTransport: no response at all (refused, reset, timeout).
	KindTransport Kind = "transport"
)

// Outcome is the verdict on one copy-part or complete-multipart exchange.
type Outcome struct {
	// OK is true only for KindOK.
	OK bool
	// Kind says how the exchange ended.
	Kind Kind
	// Status is the HTTP status (0 for transport failures).
	Status int
	// Code and Message come from an S3 <Error> body, when there was one.
	Code, Message string
	// ETag and LastModified come from the result element (ETag as sent,
	// quotes included).
	ETag, LastModified string
	// Detail explains a failure in a sentence.
	Detail string
	// Root is the body's root element name ("" when there was none).
	Root string
	// WhitespaceBeforeDecl is true when the body had whitespace before the
	// XML declaration: the copy's verdict is still read from the body, but
	// S06 calls it a deviation (it is not well-formed XML).
	WhitespaceBeforeDecl bool
}

// Err returns nil for a success and an error describing the failure
// otherwise.
func (o Outcome) Err() error {
	if o.OK {
		return nil
	}
	return errors.New(o.String())
}

// FailureKey is the key failures are counted under: the S3 error code when
// there is one, else the kind.
func (o Outcome) FailureKey() string {
	if o.OK {
		return ""
	}
	if o.Code != "" {
		return string(o.Kind) + ":" + o.Code
	}
	if o.Kind == KindHTTPStatus {
		return fmt.Sprintf("%s:%d", o.Kind, o.Status)
	}
	return string(o.Kind)
}

// String renders the outcome in one line.
func (o Outcome) String() string {
	if o.OK {
		return fmt.Sprintf("ok: status %d, ETag %s", o.Status, o.ETag)
	}
	s := fmt.Sprintf("%s: status %d", o.Kind, o.Status)
	if o.Code != "" {
		s += ", code " + o.Code
	}
	if o.Message != "" {
		s += ", message " + fmt.Sprintf("%q", o.Message)
	}
	if o.Detail != "" {
		s += " (" + o.Detail + ")"
	}
	return s
}

// Result elements that the D02 rule looks for.
const (
	RootCopyPartResult   = "CopyPartResult"
	RootCompleteResult   = "CompleteMultipartUploadResult"
	RootCopyObjectResult = "CopyObjectResult"
)

// CopyPartOutcome applies the D02 rule to an UploadPartCopy exchange.
func CopyPartOutcome(ex *Exchange, err error) Outcome { return Outcome200(ex, err, RootCopyPartResult) }

// CompleteOutcome applies the D02 rule to a CompleteMultipartUpload exchange.
func CompleteOutcome(ex *Exchange, err error) Outcome { return Outcome200(ex, err, RootCompleteResult) }

// CopyObjectOutcome applies the D02 rule to a CopyObject exchange.
func CopyObjectOutcome(ex *Exchange, err error) Outcome {
	return Outcome200(ex, err, RootCopyObjectResult)
}

// Outcome200 is THE outcome rule (D02), the one place it is written: an
// exchange is a success only if the status is 200 and the body parses as
// the root element `root` carrying a non-empty ETag. Everything else is a
// failure of a precise kind. Whitespace after the XML declaration (S06
// keep-alive) is legal; whitespace before it is tolerated for the verdict
// and flagged in WhitespaceBeforeDecl.
func Outcome200(ex *Exchange, err error, root string) Outcome {
	if err != nil || ex == nil {
		d := "no response"
		if err != nil {
			d = err.Error()
		}
		return Outcome{Kind: KindTransport, Detail: d}
	}
	o := Outcome{Status: ex.Status}
	// A UTF-8 byte order mark may precede an XML document.
	body := bytes.TrimPrefix(ex.Body, utf8BOM)
	trimmed := bytes.TrimLeft(body, xmlSpace)
	// S06: whitespace before the declaration is not well-formed XML; the
	// verdict is still read from what follows, the deviation is flagged.
	o.WhitespaceBeforeDecl = len(trimmed) != len(body) && bytes.HasPrefix(trimmed, []byte("<?xml"))
	// The common answer (a fixed declaration, the bare or namespaced root,
	// LastModified then ETag in plain text) is read without encoding/xml;
	// readCommon gives up on anything else, and what it reads is exactly
	// what parseDoc reads (FuzzReadCommon), so the verdict below is the same.
	doc, common := readCommon(trimmed, root)
	var perr error
	if !common {
		doc, perr = parseDoc(trimmed)
	}
	o.Root = doc.root
	if ex.Status != 200 {
		if perr == nil && doc.root == "Error" {
			o.Kind, o.Code, o.Message = KindHTTPError, doc.code, doc.message
		} else {
			o.Kind = KindHTTPStatus
			o.Detail = "no S3 error body"
		}
		return o
	}
	switch {
	case len(trimmed) == 0 && ex.BodyErr != nil:
		o.Kind, o.Detail = KindTruncated200, "connection broke before any body: "+ex.BodyErr.Error()
	case len(trimmed) == 0:
		o.Kind, o.Detail = KindEmpty200, "200 with an empty body carries no ETag"
	case doc.root == "Error":
		// D02: an <Error> inside a 200 is a failure even if it was cut short.
		o.Kind, o.Code, o.Message = KindErrorIn200, doc.code, doc.message
		o.Detail = "200 whose body is an S3 Error"
	case ex.BodyErr != nil:
		o.Kind, o.Detail = KindTruncated200, "body broke off: "+ex.BodyErr.Error()
	case errors.Is(perr, io.ErrUnexpectedEOF):
		// The body is a prefix of a well-formed document: it was cut short
		// (S06: possibly right after the early declaration).
		switch {
		case ex.BodyCapped:
			o.Detail = fmt.Sprintf("body longer than the %d bytes kept (the body cap); the kept part ends before the document does", len(ex.Body))
		case doc.root == "":
			o.Detail = "body ends before the root element"
		default:
			o.Detail = "body ends before </" + doc.root + ">"
		}
		o.Kind = KindTruncated200
	case perr != nil && doc.root == "":
		o.Kind, o.Detail = KindMalformed200, "body is not XML: "+perr.Error()
	case perr != nil:
		o.Kind, o.Detail = KindMalformed200, "body is not well-formed XML: "+perr.Error()
	case doc.root != root && !isAlias(root, doc.root):
		o.Kind, o.Detail = KindUnexpectedRoot200, fmt.Sprintf("root element <%s>, want <%s>", doc.root, root)
	case strings.Trim(strings.TrimSpace(doc.etag), `"`) == "":
		o.Kind, o.Detail = KindNoETag200, "<"+root+"> without an ETag"
		o.LastModified = strings.TrimSpace(doc.lastModified)
	default:
		o.OK, o.Kind = true, KindOK
		o.ETag, o.LastModified = strings.TrimSpace(doc.etag), strings.TrimSpace(doc.lastModified)
	}
	return o
}

// xmlSpace is XML's white space (the S production); other Unicode spaces
// are text.
const xmlSpace = " \t\r\n"

var utf8BOM = []byte("\xEF\xBB\xBF")

// rootAliases are root elements some servers send instead of the standard
// one. They carry the same result, so the verdict of the operation does not
// depend on them (moto answers CompleteMultipartUpload with
// <CompleteMultipartUploadResponse>); Outcome.Root keeps the name so that a
// spec about the response's shape can still insist on the standard one.
var rootAliases = map[string][]string{
	RootCompleteResult: {"CompleteMultipartUploadResponse"},
}

func isAlias(root, got string) bool {
	for _, a := range rootAliases[root] {
		if a == got {
			return true
		}
	}
	return false
}

// doc is what parseDoc reads from a response body.
type doc struct {
	root               string
	code, message      string
	etag, lastModified string
	etagSeen, lastSeen bool
}

// parseDoc reads a whole XML document: the root element's name and the
// direct children the rule needs. It returns io.ErrUnexpectedEOF when the
// input is a prefix of a document that ends before the root element closes
// (or before it opens), and another error when the input is not, or not
// only, one well-formed document: text outside the root, a second root,
// a misplaced declaration, a syntax error.
func parseDoc(b []byte) (doc, error) {
	var d doc
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	depth := 0
	closed := false // the root element has ended
	first := true   // the next token is the first of the input
	var field *string
	var text strings.Builder
	for ; ; first = false {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if !closed {
				return d, io.ErrUnexpectedEOF
			}
			return d, nil
		}
		if err != nil {
			if closed {
				return d, fmt.Errorf("content after the root element: %w", err)
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) && se.Msg == "unexpected EOF" {
				return d, io.ErrUnexpectedEOF
			}
			return d, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if closed {
				return d, errors.New("more than one root element")
			}
			depth++
			switch {
			case depth == 1:
				d.root = t.Name.Local
			case depth == 2:
				field = nil
				switch t.Name.Local {
				case "ETag":
					field, d.etagSeen = &d.etag, true
				case "LastModified":
					field, d.lastSeen = &d.lastModified, true
				case "Code":
					field = &d.code
				case "Message":
					field = &d.message
				}
				text.Reset()
			}
		case xml.CharData:
			switch {
			case depth == 0 && len(bytes.Trim(t, xmlSpace)) != 0 && closed:
				return d, errors.New("content after the root element")
			case depth == 0 && len(bytes.Trim(t, xmlSpace)) != 0:
				return d, errors.New("text before the root element")
			case depth == 2 && field != nil:
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 2 && field != nil {
				*field = text.String()
				field = nil
			}
			depth--
			if depth == 0 {
				closed = true
			}
		case xml.ProcInst:
			if strings.EqualFold(t.Target, "xml") && !first {
				return d, errors.New("XML declaration not at the start of the body")
			}
		case xml.Directive:
			if depth > 0 || closed {
				return d, errors.New("markup declaration outside the prolog")
			}
		}
	}
}

// commonDecls are the XML declarations readCommon accepts, byte for byte.
var commonDecls = [...]string{
	`<?xml version="1.0" encoding="UTF-8"?>`,
	`<?xml version="1.0"?>`,
}

// commonRoots are the roots readCommon reads: the result elements the D02
// rule asks for (never an alias or an Error: those take the full parse).
var commonRoots = [...]string{RootCopyPartResult, RootCompleteResult, RootCopyObjectResult}

// s3NS is the namespace S3 puts on its result elements.
const s3NS = ` xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`

// readCommon reads, without encoding/xml, the exact shape most servers
// answer a copy with:
//
//	<?xml version="1.0" encoding="UTF-8"?>  (or <?xml version="1.0"?>)
//	optional XML white space
//	<Root> or <Root xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//	<LastModified>text</LastModified><ETag>text</ETag></Root>
//	optional XML white space
//
// where Root is root (one of commonRoots) and text is printable ASCII
// without markup ('<', '>', '&', ']'), so that encoding/xml would return
// it unchanged. ok is false for anything else, and the caller then runs
// parseDoc; when ok is true, d is what parseDoc returns for b, with a nil
// error. It exists because the load generator classifies every copy (D02)
// and encoding/xml cost a tenth of its CPU.
func readCommon(b []byte, root string) (d doc, ok bool) {
	known := false
	for _, r := range commonRoots {
		if r == root {
			known = true
			break
		}
	}
	if !known {
		return doc{}, false
	}
	rest, ok := cutDecl(b)
	if !ok {
		return doc{}, false
	}
	rest = bytes.TrimLeft(rest, xmlSpace)
	if rest, ok = cutLit(rest, "<"); !ok {
		return doc{}, false
	}
	if rest, ok = cutLit(rest, root); !ok {
		return doc{}, false
	}
	if r, nsOK := cutLit(rest, s3NS); nsOK {
		rest = r
	}
	if rest, ok = cutLit(rest, "><LastModified>"); !ok {
		return doc{}, false
	}
	var lm, etag []byte
	if lm, rest, ok = cutText(rest, "</LastModified><ETag>"); !ok {
		return doc{}, false
	}
	if etag, rest, ok = cutText(rest, "</ETag></"); !ok {
		return doc{}, false
	}
	if rest, ok = cutLit(rest, root); !ok {
		return doc{}, false
	}
	if rest, ok = cutLit(rest, ">"); !ok {
		return doc{}, false
	}
	if len(bytes.TrimLeft(rest, xmlSpace)) != 0 {
		return doc{}, false
	}
	return doc{root: root, etag: string(etag), lastModified: string(lm), etagSeen: true, lastSeen: true}, true
}

// cutDecl cuts one of commonDecls off the front of b.
func cutDecl(b []byte) ([]byte, bool) {
	for _, d := range commonDecls {
		if rest, ok := cutLit(b, d); ok {
			return rest, true
		}
	}
	return b, false
}

// cutLit cuts the literal prefix lit off b.
func cutLit(b []byte, lit string) ([]byte, bool) {
	if len(b) < len(lit) || string(b[:len(lit)]) != lit {
		return b, false
	}
	return b[len(lit):], true
}

// cutText cuts plain text (see readCommon) up to the literal end off b:
// text is what precedes end, rest what follows it.
func cutText(b []byte, end string) (text, rest []byte, ok bool) {
	for i, c := range b {
		if c == '<' {
			r, ok := cutLit(b[i:], end)
			return b[:i], r, ok
		}
		if c < 0x20 || c > 0x7e || c == '>' || c == '&' || c == ']' {
			return nil, b, false
		}
	}
	return nil, b, false
}

// S3Error is an S3 <Error> body.
type S3Error struct {
	Code, Message, Resource, RequestID string
}

// ParseError reads an S3 <Error> body; ok is false when the body is not one.
func ParseError(body []byte) (S3Error, bool) {
	var e struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Resource  string   `xml:"Resource"`
		RequestID string   `xml:"RequestId"`
	}
	if err := xml.Unmarshal(bytes.TrimSpace(body), &e); err != nil {
		return S3Error{}, false
	}
	return S3Error{Code: e.Code, Message: e.Message, Resource: e.Resource, RequestID: e.RequestID}, true
}
