package clients

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/url"
	"sync"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/internal/s3call"
)

// maxRecordedBody caps what the recorder keeps of one answer; a copy-part
// answer is a few hundred bytes, and the proxy itself caps rewrites at 1 MiB.
const maxRecordedBody = 1 << 20

// answer is one copy-part or complete answer the proxy sent the client.
type answer struct {
	complete bool // a CompleteMultipartUpload answer, else a copy-part one
	status   int  // 0: nothing was written (a reset)
	body     []byte
	capped   bool
	aborted  bool // the handler aborted mid-answer (truncate, reset)
	faults   []string
}

// outcome judges the answer with the one D02 rule.
func (a answer) outcome() s3call.Outcome {
	if a.status == 0 {
		return s3call.Outcome{Kind: s3call.KindTransport, Detail: "no answer: the proxy dropped the connection"}
	}
	ex := &s3call.Exchange{Status: a.status, Body: a.body, BodyCapped: a.capped}
	if a.aborted {
		ex.BodyErr = errors.New("the proxy dropped the connection mid-body")
	}
	if a.complete {
		return s3call.CompleteOutcome(ex, nil)
	}
	return s3call.CopyPartOutcome(ex, nil)
}

// recorder is an http.Handler in front of the fault proxy that keeps, in
// order, what was sent back for every copy-part and complete request: the
// truth the verdict compares the client's word with.
type recorder struct {
	next http.Handler

	mu      sync.Mutex
	answers []answer
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, _ := url.ParseQuery(r.URL.RawQuery)
	isCopy := r.Method == http.MethodPut && q.Has("partNumber") && q.Has("uploadId") && r.Header.Get("x-amz-copy-source") != ""
	isComplete := r.Method == http.MethodPost && q.Has("uploadId")
	if !isCopy && !isComplete {
		rc.next.ServeHTTP(w, r)
		return
	}
	rw := &recordingWriter{ResponseWriter: w}
	defer func() {
		p := recover()
		a := answer{complete: isComplete, status: rw.status, body: rw.body, capped: rw.capped, aborted: p != nil, faults: w.Header().Values(faults.FaultHeader)}
		rc.mu.Lock()
		rc.answers = append(rc.answers, a)
		rc.mu.Unlock()
		if p != nil {
			panic(p)
		}
	}()
	rc.next.ServeHTTP(rw, r)
}

func (rc *recorder) all() []answer {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]answer(nil), rc.answers...)
}

// recordingWriter keeps the status and body written through it. Unwrap lets
// http.ResponseController reach the real writer (Flush, Hijack).
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   []byte
	capped bool
}

func (w *recordingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := maxRecordedBody - len(w.body); room > 0 {
		w.body = append(w.body, p[:min(room, len(p))]...)
		if len(p) > room {
			w.capped = true
		}
	} else if len(p) > 0 {
		w.capped = true
	}
	return w.ResponseWriter.Write(p)
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// discardLog silences the proxy listener's own error log (aborted answers
// are the point of some forms).
var discardLog = log.New(io.Discard, "", 0)
