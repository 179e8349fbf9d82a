package suites

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/partcopy/partcopy/internal/s3call"
)

func errEx(status int, code, msg string) *s3call.Exchange {
	return &s3call.Exchange{Status: status, Header: http.Header{}, RequestHeader: http.Header{"Authorization": {"AWS4-HMAC-SHA256 Credential=x"}},
		Body: []byte(fmt.Sprintf("<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg))}
}

// TestRefusesStorageClass: the ways real servers say "no such storage
// class" make D05 unsupported; other refusals do not.
func TestRefusesStorageClass(t *testing.T) {
	for _, tt := range []struct {
		ex   *s3call.Exchange
		want bool
	}{
		{errEx(400, "InvalidStorageClass", "The storage class you specified is not valid"), true},
		{errEx(400, "InvalidArgument", "Invalid storage class."), true},
		{errEx(400, "InvalidArgument", "x-amz-storage-class"), true},
		{errEx(400, "BadRequest", "GLACIER is not supported"), true},
		{errEx(501, "NotImplemented", ""), true},
		{errEx(403, "AccessDenied", "Access Denied"), false},
		{errEx(500, "InternalError", "storage class"), false},
	} {
		if got := refusesStorageClass(tt.ex, "GLACIER"); got != tt.want {
			t.Errorf("%d %s: %v, want %v", tt.ex.Status, tt.ex.Body, got, tt.want)
		}
	}
}

// TestConfigProblem: a wrong region, TLS against plain HTTP and the
// reverse, DNS are configuration errors naming the fix; what specs
// provoke on purpose (bad keys, refusals) is not.
func TestConfigProblem(t *testing.T) {
	sc := &Ctx{Cfg: NewConfig("https://127.0.0.1:9000", s3call.Credentials{AccessKey: "a", SecretKey: "b"})}
	sc.Cfg.Client.Region = "eu-west-1"
	for _, tt := range []struct {
		ex   *s3call.Exchange
		err  error
		want string // substring; "" = none
	}{
		{errEx(400, "AuthorizationHeaderMalformed", "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"), nil, "--region us-east-1"},
		{nil, errors.New(`Get "https://127.0.0.1:9000/": http: server gave HTTP response to HTTPS client`), "--endpoint http://127.0.0.1:9000"},
		{nil, errors.New("dial tcp: lookup s3.nowhere.invalid: no such host"), "does not resolve"},
		{errEx(403, "SignatureDoesNotMatch", "The request signature we calculated does not match"), nil, ""},
		{errEx(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist"), nil, ""},
		{errEx(400, "AuthorizationHeaderMalformed", "the Credential is mal-formed"), nil, ""},
		{nil, syscall.ECONNREFUSED, ""},
	} {
		got := sc.configProblem(tt.ex, tt.err)
		if (tt.want == "") != (got == "") || tt.want != "" && !contains(got, tt.want) {
			t.Errorf("configProblem(%v, %v) = %q, want ~%q", tt.ex, tt.err, got, tt.want)
		}
	}
}

// TestIsNoAnswer: refused, reset, EOF and timeouts are "no answer"; a TLS
// error is not (it is a configuration error).
func TestIsNoAnswer(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("PUT x: %w", syscall.ECONNREFUSED), true},
		{fmt.Errorf("PUT x: %w", syscall.ECONNRESET), true},
		{errors.New("PUT x: EOF"), true},
		{errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), false},
		{nil, false},
	} {
		if got := isNoAnswer(tt.err); got != tt.want {
			t.Errorf("isNoAnswer(%v) = %v", tt.err, got)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
