package faults

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// xmlDecl is the declaration S3 puts before every XML body.
const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// errorBody returns the S3 error document for code and message.
func errorBody(code, message string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + "\n<Error><Code>")
	_ = xml.EscapeText(&b, []byte(code))
	b.WriteString("</Code><Message>")
	_ = xml.EscapeText(&b, []byte(message))
	b.WriteString("</Message></Error>")
	return b.Bytes()
}

// writeS3Error answers with status and an S3 <Error> body. extra headers
// (may be nil) are set first.
func writeS3Error(w http.ResponseWriter, status int, code, message string, extra http.Header) {
	body := errorBody(code, message)
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// upstreamResult is a copy-part response read into memory for rewriting.
type upstreamResult struct {
	res  *http.Response
	body []byte
	err  error
}

// fetch forwards r and reads the (small) copy-part response body, capped
// at maxRewriteBody.
func (p *Proxy) fetch(r *http.Request) upstreamResult {
	res, err := p.forward(r)
	if err != nil {
		return upstreamResult{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxRewriteBody+1))
	if err == nil && len(body) > maxRewriteBody {
		body, err = body[:maxRewriteBody], errBodyTooLarge
	}
	return upstreamResult{res: res, body: body, err: err}
}

// rewriteHeaders are the target's response headers minus those that
// describe the body being replaced.
func rewriteHeaders(res *http.Response) http.Header {
	h := res.Header.Clone()
	removeHop(h)
	for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Content-Md5", "Etag"} {
		h.Del(k)
	}
	return h
}

var lastModifiedRE = regexp.MustCompile(`<LastModified>([^<]*)</LastModified>`)

// bufferedRewrite handles the D02 forms that need the whole real answer
// first: error200, empty200, noetag200 and truncate. The request still
// reaches the target (the copy may really happen); only the answer lies.
func (p *Proxy) bufferedRewrite(w http.ResponseWriter, r *http.Request, rule *Rule) {
	up := p.fetch(r)
	if up.res == nil {
		p.upstreamFailed(w, r, up.err)
		return
	}
	if up.err != nil {
		p.logUpstream(r, "body", up.err)
	}
	h := w.Header()
	copyHeader(h, rewriteHeaders(up.res))
	var body []byte
	switch rule.Action {
	case ActionError200:
		// D02: 200 whose body is an <Error>.
		body = errorBody(rule.code, rule.message)
	case ActionEmpty200:
		// D02: 200 with an empty body.
		body = []byte{}
	case ActionNoETag200:
		// D02/D13: CopyPartResult without ETag. LastModified is the
		// target's when it sent one, so only the ETag is missing.
		lm := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
		if m := lastModifiedRE.FindSubmatch(up.body); m != nil {
			lm = string(m[1])
		}
		var b bytes.Buffer
		b.WriteString(xmlDecl + "\n<CopyPartResult><LastModified>")
		_ = xml.EscapeText(&b, []byte(lm))
		b.WriteString("</LastModified></CopyPartResult>")
		body = b.Bytes()
	case ActionTruncate:
		// D02: 200 headers, the start of the real body, then the connection
		// dies. No Content-Length, so the body is chunked and the client
		// sees a chunked body without its final chunk.
		keep := truncateLen(rule, len(up.body))
		h.Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(up.body[:keep])
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// truncateLen is how many bytes of an n-byte body a truncate rule keeps.
func truncateLen(rule *Rule, n int) int {
	keep := rule.keepBytes
	if keep < 0 {
		keep = int(float64(n) * rule.keepPct / 100)
	}
	return min(keep, n)
}

// streamRewrite handles keepalive, keepalive-error and pre-decl-whitespace
// (S06): the 200 headers go out at once, whitespace follows every interval
// while the target works and for at least the rule's duration, then the
// final body.
func (p *Proxy) streamRewrite(w http.ResponseWriter, r *http.Request, rule *Rule) {
	done := make(chan upstreamResult, 1)
	go func() { done <- p.fetch(r) }()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	if rule.Action == ActionPreDeclWhitespace {
		// S06 deviation: whitespace before the declaration.
		_, _ = io.WriteString(w, "\n")
	} else {
		// S06: declaration first, whitespace after it is legal XML.
		_, _ = io.WriteString(w, xmlDecl+"\n")
	}
	_ = rc.Flush()

	var up upstreamResult
	got := false
	doneC := (<-chan upstreamResult)(done)
	deadline := time.NewTimer(rule.dur)
	defer deadline.Stop()
	deadlineC := deadline.C
	var tick <-chan time.Time
	if rule.every > 0 { // every == 0 implies dur == 0 (ParseRule)
		t := time.NewTicker(rule.every)
		defer t.Stop()
		tick = t.C
	}
	for !got || deadlineC != nil {
		select {
		case up = <-doneC:
			got, doneC = true, nil
		case <-deadlineC:
			deadlineC = nil
		case <-tick:
			if _, err := io.WriteString(w, " "); err != nil {
				if !got {
					<-done // r.Body must not outlive the handler
				}
				return
			}
			_ = rc.Flush()
		case <-r.Context().Done():
			if !got {
				<-done
			}
			return
		}
	}

	var final []byte
	switch {
	case rule.Action == ActionKeepaliveError:
		// S06 + D02: the 200 and the whitespace promised nothing.
		final = errorBody(rule.code, rule.message)[len(xmlDecl)+1:]
	case up.res == nil || up.err != nil:
		// The 200 is already out: the only honest ending is an <Error>.
		p.logUpstream(r, "during keepalive", up.err)
		final = errorBody("InternalError", "partcopy proxy: the target failed")[len(xmlDecl)+1:]
	default:
		final = stripDecl(up.body)
	}
	if rule.Action == ActionPreDeclWhitespace {
		_, _ = io.WriteString(w, xmlDecl+"\n")
	}
	_, _ = w.Write(final)
}

// stripDecl removes a leading XML declaration and the whitespace around it,
// so that a streamed body never carries two declarations.
func stripDecl(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if bytes.HasPrefix(b, []byte("<?xml")) {
		if i := bytes.Index(b, []byte("?>")); i >= 0 {
			b = b[i+2:]
		}
	}
	return bytes.TrimLeft(b, " \t\r\n")
}
