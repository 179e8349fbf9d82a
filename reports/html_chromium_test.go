package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// chromium returns the Chromium binary: PARTCOPY_CHROMIUM (set by 'make
// test', which installs Debian's chromium when it is missing, so the check
// cannot be skipped there), else chromium on PATH; without either the test
// is skipped (plain 'go test' on a machine without a browser).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PARTCOPY_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("PARTCOPY_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium (make test installs it and sets PARTCOPY_CHROMIUM)")
	return ""
}

// runChromium runs headless Chromium on a local page, with the flags of a
// sandboxed CI machine and a fresh profile, bounded in time.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestConformanceHTMLInChromium loads a failing conformance.html in headless
// Chromium and checks the page as the browser built it: the list of clauses
// that need attention is there, every one of its links lands on an element
// of the page (the clause's row, the failed spec's section), the failed
// spec's exchange is collapsed, and printing it stays short. It saves a
// screenshot (PARTCOPY_ARTIFACTS, default a temporary directory).
func TestConformanceHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, FileConformanceHTML)
	c := fixtureConformance(t)
	// An exchange as s3call records it, secrets in it.
	c.Specs[1].Exchange = append(c.Specs[1].Exchange, json.RawMessage(`{"method":"PUT",`+
		`"url":"http://127.0.0.1:9000/b/k?partNumber=1&uploadId=u1",`+
		`"requestHeaders":{"Authorization":["AWS4-HMAC-SHA256 Credential=AK/x, Signature=abc"],"X-Amz-Copy-Source":["/src/obj"],`+
		`"X-Amz-Server-Side-Encryption-Customer-Key":["`+sseKey+`"]},`+
		`"status":200,"responseHeaders":{"Content-Type":["application/xml"]},`+
		`"body":"<CopyPartResult><LastModified>2026-12-04T19:21:41.101Z</LastModified></CopyPartResult>","bodyBytes":90,"totalMs":0.7}`))
	var buf bytes.Buffer
	if err := WriteHTML(&buf, c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page

	dom, err := html.Parse(bytes.NewReader(runChromium(t, bin, "--dump-dom", url)))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]*html.Node{}
	var nav *html.Node
	walk(dom, func(n *html.Node) {
		if id := attr(n, "id"); id != "" {
			ids[id] = n
		}
		if n.Data == "nav" && attr(n, "id") == "attention" {
			nav = n
		}
	})
	if nav == nil {
		t.Fatal("the page has no list of clauses that need attention (nav#attention)")
	}
	var links []string
	walk(nav, func(n *html.Node) {
		if n.Data == "a" {
			links = append(links, attr(n, "href"))
		}
	})
	for _, want := range []string{"#clause-D03", "#clause-D10", "#clause-D12", "#spec-2"} {
		if !contains(links, want) {
			t.Errorf("the attention list does not link %s (links %v)", want, links)
		}
	}
	if contains(links, "#clause-D01") {
		t.Errorf("the attention list names the passing clause D01")
	}
	if text := textOf(nav); !strings.Contains(text, "fail") || !strings.Contains(text, "unsupported") {
		t.Errorf("the attention list does not say fail and unsupported: %q", text)
	}
	for _, l := range links {
		target := ids[strings.TrimPrefix(l, "#")]
		if !strings.HasPrefix(l, "#") || target == nil {
			t.Errorf("link %s lands nowhere", l)
			continue
		}
		if l == "#clause-D03" && target.Data != "tr" || l == "#spec-2" && target.Data != "section" {
			t.Errorf("link %s lands on <%s>", l, target.Data)
		}
	}
	// The failed spec: message shown, exchange collapsed with request
	// headers and the response.
	spec := ids["spec-2"]
	if spec == nil {
		t.Fatal("no section for the failed spec")
	}
	var details *html.Node
	walk(spec, func(n *html.Node) {
		if n.Data == "details" {
			details = n
		}
	})
	if details == nil || hasAttr(details, "open") {
		t.Errorf("the failed spec's exchange is not in a collapsed <details>")
	} else if text := textOf(details); !strings.Contains(text, "PUT ") || !strings.Contains(text, "HTTP 200") || !strings.Contains(text, "Authorization: AWS4-HMAC-SHA256 [REDACTED]") {
		t.Errorf("the exchange lacks the request line, headers or status:\n%s", text)
	}
	for _, secret := range []string{secretKey, sseKey, "Signature=abc"} {
		if strings.Contains(textOf(dom), secret) {
			t.Errorf("the page shows a secret (%s)", secret)
		}
	}
	if text := textOf(details); details != nil && !strings.Contains(text, "X-Amz-Copy-Source: /src/obj") || !strings.Contains(text, "Content-Type: application/xml") || !strings.Contains(text, "<CopyPartResult>") {
		t.Errorf("the exchange lacks request headers, response headers or body:\n%s", text)
	}

	// A screenshot for people, a PDF for the print stylesheet.
	art := os.Getenv("PARTCOPY_ARTIFACTS")
	if art == "" {
		art = t.TempDir()
	}
	if err := os.MkdirAll(art, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(art, "conformance-html.png")
	runChromium(t, bin, "--window-size=1280,1800", "--screenshot="+shot, url)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10000 {
		t.Errorf("no screenshot at %s (%v)", shot, err)
	} else {
		t.Logf("screenshot: %s", shot)
	}
	pdf := filepath.Join(dir, "conformance.pdf")
	runChromium(t, bin, "--no-pdf-header-footer", "--print-to-pdf="+pdf, url)
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/Type /Pages\b[^>]*/Count (\d+)|/Count (\d+)[^>]*/Type /Pages\b`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no page count in the PDF")
	}
	pages, _ := strconv.Atoi(string(append(m[1], m[2]...)))
	if pages < 1 || pages > 3 {
		t.Errorf("the printed report has %d pages, want 1-3 (passing rows and exchanges are not printed)", pages)
	}
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	walk(n, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	})
	return b.String()
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
