package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/refserver"
)

// Planted secrets, shaped like real ones: '/' and '+' (about half of real
// AWS secret keys hold a '/'), and characters JSON and XML escape.
var (
	plantedMain = refserver.Principal{Name: "main", AccessKey: "AKIDPLANTEDMAIN00001", SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYPLANTED01"}
	plantedAlt  = refserver.Principal{Name: "alt", AccessKey: "AKIDPLANTEDALT000002", SecretKey: `pl&nted<alt>"secret'/key+0002`}
	plantedTemp = refserver.Principal{Name: "temp", AccessKey: "AKIDPLANTEDTEMP00003", SecretKey: "tempPLANTEDsecret/key+000000000003",
		SessionToken: "FwoGZXIvYXdzEPLANTED//token+with/slashes=="}
)

// echoEndpoint is a hostile endpoint: the reference endpoint behind a
// handler that answers every UploadPartCopy (and every GET that carries
// an SSE-C key) the way S3 answers a signature mismatch, quoting
// the canonical request as text and as spaced hex bytes, and echoing
// every secret it sees and knows in every encoding, in the body and in
// headers. It remembers the secrets it saw, so the test knows the SSE-C
// keys the client drew at random.
type echoEndpoint struct {
	next http.Handler
	mu   sync.Mutex
	seen map[string]bool
}

func (e *echoEndpoint) secrets() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []string{plantedMain.SecretKey, plantedAlt.SecretKey, plantedTemp.SecretKey, plantedTemp.SessionToken}
	for s := range e.seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (e *echoEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var found []string
	for _, h := range []string{"X-Amz-Server-Side-Encryption-Customer-Key", "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key", "X-Amz-Security-Token"} {
		if v := r.Header.Get(h); v != "" {
			found = append(found, v)
			if raw, err := base64.StdEncoding.DecodeString(v); err == nil && strings.Contains(h, "Customer-Key") {
				found = append(found, string(raw))
			}
		}
	}
	e.mu.Lock()
	for _, s := range found {
		e.seen[s] = true
	}
	e.mu.Unlock()
	isCopy := r.Method == http.MethodPut && r.URL.Query().Has("partNumber") && r.Header.Get("X-Amz-Copy-Source") != ""
	readsWithKey := r.Method == http.MethodGet && r.Header.Get("X-Amz-Server-Side-Encryption-Customer-Key") != ""
	if !isCopy && !readsWithKey {
		e.next.ServeHTTP(w, r)
		return
	}
	// The signer's secret key: the server knows it, a hostile one echoes it.
	secrets := found
	auth := r.Header.Get("Authorization") + r.URL.Query().Get("X-Amz-Credential") + r.URL.Query().Get("AWSAccessKeyId")
	for _, p := range []refserver.Principal{plantedMain, plantedAlt, plantedTemp} {
		if strings.Contains(auth, p.AccessKey) {
			secrets = append(secrets, p.SecretKey)
		}
	}
	if len(secrets) == 0 {
		secrets = []string{"no-secret-in-this-request"}
	}
	var canon strings.Builder
	fmt.Fprintf(&canon, "%s\n%s\n%s\n", r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
	for k, vs := range r.Header {
		fmt.Fprintf(&canon, "%s:%s\n", strings.ToLower(k), strings.Join(vs, ","))
	}
	canon.WriteString("\nUNSIGNED-PAYLOAD")
	var body strings.Builder
	body.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>`)
	fmt.Fprintf(&body, "<CanonicalRequest>%s</CanonicalRequest>", html.EscapeString(canon.String()))
	fmt.Fprintf(&body, "<CanonicalRequestBytes>%s</CanonicalRequestBytes>", spaced(canon.String()))
	fmt.Fprintf(&body, "<StringToSignBytes>%s</StringToSignBytes>", spaced("AWS4-HMAC-SHA256\n20260101T000000Z\n"+secrets[0]))
	for i, s := range secrets {
		for j, f := range encodings(s) {
			fmt.Fprintf(&body, "<Echo n=\"%d.%d\">%s</Echo>", i, j, f)
			if j < 8 && isHeaderSafe(f) {
				w.Header().Add(fmt.Sprintf("X-Echo-%d-%d", i, j), f)
			}
		}
	}
	body.WriteString("<RequestId>planted</RequestId></Error>")
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(body.String()))
}

func isHeaderSafe(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func spaced(s string) string {
	parts := make([]string, len(s))
	for i := 0; i < len(s); i++ {
		parts[i] = hex.EncodeToString([]byte{s[i]})
	}
	return strings.Join(parts, " ")
}

// encodings are the forms a secret can take in a response, written here
// independently of the redactor: raw, base64 (standard and URL, padded or
// not), URL-encoded (query and path), hex and spaced hex (both cases),
// JSON-escaped and XML-escaped.
func encodings(s string) []string {
	b := []byte(s)
	j, _ := json.Marshal(s)
	out := []string{
		html.EscapeString(s), // raw, as XML text
		base64.StdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(s),
		url.PathEscape(s),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
		spaced(s),
		strings.ToUpper(spaced(s)),
		html.EscapeString(string(j[1 : len(j)-1])),
		html.EscapeString(html.EscapeString(s)),
	}
	return out
}

// grepForms are the forms the test looks for in output files: every
// encoding above, and the forms a writer could have decoded them back to
// (raw; JSON- and XML-escaped).
func grepForms(s string) map[string]string {
	m := map[string]string{"raw": s}
	names := []string{"xml", "base64", "base64url", "base64url-raw", "query-escaped", "path-escaped", "hex", "HEX", "spaced hex", "SPACED HEX", "json", "xml-twice"}
	for i, f := range encodings(s) {
		if len(f) >= 6 {
			m[names[i]] = f
		}
	}
	j, _ := json.Marshal(s)
	m["json-escaped"] = string(j[1 : len(j)-1])
	return m
}

func startEchoEndpoint(t *testing.T) (*echoEndpoint, string) {
	t.Helper()
	srv := refserver.New(refserver.Options{Main: plantedMain, Alt: plantedAlt, Temp: plantedTemp, MinPartSize: 5 << 20})
	e := &echoEndpoint{next: srv, seen: map[string]bool{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
	return e, "http://" + l.Addr().String()
}

// TestNoSecretInAnyOutput plants known secrets, drives conform, load and
// proxy --verbose against an endpoint that echoes them in every encoding
// (as S3's SignatureDoesNotMatch does, and worse), and greps every output
// file and every line printed for every encoding of every secret. A
// single hit fails.
func TestNoSecretInAnyOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs partcopy three times")
	}
	e, endpoint := startEchoEndpoint(t)
	dir := t.TempDir()
	creds := []string{"--access-key", plantedMain.AccessKey, "--secret-key", plantedMain.SecretKey}

	// conform: every SSE-C clause, temporary credentials, both principals.
	code, stdout, stderr := runChild(t, 5*time.Minute, nil, append([]string{"conform", "--endpoint", endpoint,
		"--alt-access-key", plantedAlt.AccessKey, "--alt-secret-key", plantedAlt.SecretKey,
		"--temp-access-key", plantedTemp.AccessKey, "--temp-secret-key", plantedTemp.SecretKey, "--session-token", plantedTemp.SessionToken,
		"--labels", "D01 || D09 || D10 || D11 || D12 || D15", "--skip-large", "--record-all", "-v", "--out", filepath.Join(dir, "conform")}, creds...)...)
	if code != exitCheckFailed {
		t.Errorf("conform exit %d, want 1 (every copy is refused); stderr: %s", code, stderr)
	}
	writeOut(t, dir, "conform", stdout, stderr)
	if !strings.Contains(stdout, "specs:") || strings.Contains(stdout, "specs: 0 passed, 0 failed") {
		t.Errorf("conform ran no spec: %s", stdout)
	}

	// load: SSE-C both sides, temporary credentials.
	code, stdout, stderr = runChild(t, 2*time.Minute, nil,
		"load", "--endpoint", endpoint, "--access-key", plantedTemp.AccessKey, "--secret-key", plantedTemp.SecretKey, "--session-token", plantedTemp.SessionToken,
		"--concurrency", "2", "--duration", "1s", "--ssec", "both", "--source-size", "64KiB", "--out", filepath.Join(dir, "load"))
	if code != exitCheckFailed {
		t.Errorf("load exit %d, want 1 (no copy succeeds); stderr: %s", code, stderr)
	}
	writeOut(t, dir, "load", stdout, stderr)

	// proxy --verbose: presigned-style queries with '&' and ';' separators
	// and the token and keys in headers.
	p := startChild(t, nil, "proxy", "--target", endpoint, "--listen", "127.0.0.1:0", "--verbose", "--fault", "latency=1ms", "--fault", "copy:error200", "--duration", "20s")
	var purl string
	for i := 0; i < 100 && purl == ""; i++ {
		if s := p.stdout.String(); strings.Contains(s, "\n") {
			purl = strings.TrimSpace(strings.SplitN(s, "\n", 2)[0])
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if purl == "" {
		t.Fatalf("proxy printed no URL; stderr: %s", p.stderr.String())
	}
	tok := url.QueryEscape(plantedTemp.SessionToken)
	for _, q := range []string{
		"X-Amz-Security-Token=" + tok + "&X-Amz-Signature=abc",
		"a=1;X-Amz-Security-Token=" + tok + ";b=2",
		"AWSAccessKeyId=" + plantedMain.AccessKey + ";Signature=" + url.QueryEscape(plantedMain.SecretKey) + ";Expires=1",
		"x=" + tok,
	} {
		req, _ := http.NewRequest(http.MethodGet, purl+"/bucket/key?"+q, nil)
		req.Header.Set("X-Amz-Security-Token", plantedTemp.SessionToken)
		req.Header.Set("X-Amz-Server-Side-Encryption-Customer-Key", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	// Through the proxy, a short conform run too.
	code, stdout, stderr = runChild(t, 3*time.Minute, nil, append([]string{"conform", "--endpoint", purl,
		"--labels", "D09", "--skip-large", "--out", filepath.Join(dir, "conform-proxy")}, creds...)...)
	if code != exitCheckFailed {
		t.Errorf("conform via proxy exit %d, want 1; stderr: %s", code, stderr)
	}
	writeOut(t, dir, "conform-proxy", stdout, stderr)
	_ = p.cmd.Process.Signal(os.Interrupt)
	p.wait(t, 30*time.Second)
	writeOut(t, dir, "proxy", p.stdout.String(), p.stderr.String())

	// The endpoint really echoed the secrets (otherwise the grep proves
	// nothing): the SSE-C keys the clients drew were seen.
	// ...and the reports kept the exchanges, redacted.
	if b, err := os.ReadFile(filepath.Join(dir, "conform", "conformance.json")); err != nil ||
		!strings.Contains(string(b), "CanonicalRequestBytes") || !strings.Contains(string(b), "[REDACTED]") {
		t.Errorf("conformance.json keeps no redacted SignatureDoesNotMatch exchange (%v)", err)
	}
	secrets := e.secrets()
	if len(secrets) < 8 {
		t.Fatalf("the endpoint saw only %d secrets", len(secrets))
	}
	files := 0
	_ = filepath.Walk(dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		lower := strings.ToLower(text)
		for _, s := range secrets {
			for name, f := range grepForms(s) {
				if strings.Contains(text, f) || (strings.Contains(name, "hex") || strings.Contains(name, "HEX")) && strings.Contains(lower, strings.ToLower(f)) {
					t.Errorf("%s holds a secret (%s form %q)", strings.TrimPrefix(path, dir), name, short(f))
				}
			}
		}
		return nil
	})
	if files < 12 {
		t.Errorf("only %d output files", files)
	}
	t.Logf("%d output files grepped for %d secrets in every encoding", files, len(secrets))
}

func short(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

func writeOut(t *testing.T, dir, name, stdout, stderr string) {
	t.Helper()
	for suffix, s := range map[string]string{".stdout": stdout, ".stderr": stderr} {
		if err := os.WriteFile(filepath.Join(dir, name+suffix), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
