// Command partcopy is a conformance and load-test harness for the S3
// UploadPartCopy operation. It is the only place that parses flags, runs
// suites and calls os.Exit; every subcommand lives in a file of its own.
package main

import (
	"fmt"
	"io"
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
