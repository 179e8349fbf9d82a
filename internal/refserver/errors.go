package refserver

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// apiError is an S3 error response: an HTTP status plus the XML <Error>
// document's Code and Message, with optional extra elements (BucketName,
// Key, UploadId...) in the order given.
type apiError struct {
	Status  int
	Code    string
	Message string
	Extra   []xmlField
}

// xmlField is one extra element of an <Error> document.
type xmlField struct{ Name, Value string }

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func errf(status int, code, format string, a ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func (e *apiError) with(name, value string) *apiError {
	e.Extra = append(e.Extra, xmlField{name, value})
	return e
}

// Messages follow AWS's S3 error code table where it names one.
func errAccessDenied() *apiError {
	return errf(http.StatusForbidden, "AccessDenied", "Access Denied")
}

func errNoSuchBucket(bucket string) *apiError {
	return errf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist").with("BucketName", bucket)
}

func errNoSuchKey(key string) *apiError {
	return errf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func errNoSuchUpload(id string) *apiError {
	return errf(http.StatusNotFound, "NoSuchUpload",
		"The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").with("UploadId", id)
}

func errInvalidArgument(format string, a ...any) *apiError {
	return errf(http.StatusBadRequest, "InvalidArgument", format, a...)
}

func errInvalidRequest(format string, a ...any) *apiError {
	return errf(http.StatusBadRequest, "InvalidRequest", format, a...)
}

func errMalformedXML() *apiError {
	return errf(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema")
}

func errNotImplemented(what string) *apiError {
	return errf(http.StatusNotImplemented, "NotImplemented",
		"A header or query you provided implies functionality that is not implemented: %s", what)
}

func errPrecondition(cond string) *apiError {
	return errf(http.StatusPreconditionFailed, "PreconditionFailed",
		"At least one of the pre-conditions you specified did not hold").with("Condition", cond)
}

// D05: the document's exact code and message for a cold source.
func errColdObject() *apiError {
	return errf(http.StatusForbidden, "InvalidObjectState", "Operation is not valid for the source object's storage class")
}

// errorDoc is the standard S3 <Error> document.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Extra     []extraElem
	Resource  string `xml:"Resource"`
	RequestID string `xml:"RequestId"`
}

type extraElem struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

// errorBody renders e as an <Error> root element (without XML declaration).
func errorBody(e *apiError, resource, requestID string) []byte {
	d := errorDoc{Code: e.Code, Message: e.Message, Resource: resource, RequestID: requestID}
	for _, f := range e.Extra {
		d.Extra = append(d.Extra, extraElem{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
	}
	b, err := xml.Marshal(d)
	if err != nil { // cannot happen with string fields; keep a valid document anyway
		return []byte("<Error><Code>InternalError</Code></Error>")
	}
	return b
}
