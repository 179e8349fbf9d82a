// Command partcopy is a conformance and load-test harness for the S3
// UploadPartCopy operation. It is the only place that parses flags, runs
// suites and calls os.Exit; every subcommand lives in a file of its own.
package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/partcopy/partcopy/internal/redact"
)

// errOut is where the one-line error goes (tests replace it).
var errOut io.Writer = os.Stderr

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code. All
// error-to-exit-code mapping happens here, in one place.
func run(args []string) int {
	// Secrets from the environment are known before anything runs.
	redact.Add(os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))
	commandLine = args
	// net/http logs through the standard logger (a hostile endpoint makes
	// it print "Unsolicited response received on idle HTTP channel" once
	// per stray byte): that noise never reaches the user, and anything
	// else logged is redacted.
	log.SetOutput(logFilter{w: os.Stderr})
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code := exitCodeOf(err)
	// The one line goes through the redactor: it knows every secret the
	// run registered, in every encoding, and strips URL user info.
	fmt.Fprintf(errOut, "partcopy: %s\n", oneLine(redact.String(err.Error())))
	return code
}

// logFilter is the standard logger's output: net/http's connection noise
// is dropped, every other line redacted.
type logFilter struct{ w io.Writer }

// noise are the net/http log lines a hostile or broken endpoint provokes;
// the exchange that matters already says what went wrong.
var noise = []string{"Unsolicited response received on idle HTTP channel", "http: superfluous response.WriteHeader"}

func (f logFilter) Write(p []byte) (int, error) {
	for _, n := range noise {
		if bytes.Contains(p, []byte(n)) {
			return len(p), nil
		}
	}
	if _, err := io.WriteString(f.w, redact.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
