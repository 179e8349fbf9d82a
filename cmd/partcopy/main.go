// Command partcopy is a conformance and load-test harness for the S3
// UploadPartCopy operation. It is the only place that parses flags, runs
// suites and calls os.Exit; every subcommand lives in a file of its own.
package main

import (
	"fmt"
	"io"
	"os"
)

// errOut is where the one-line error goes (tests replace it).
var errOut io.Writer = os.Stderr

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code. All
// error-to-exit-code mapping happens here, in one place.
func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code := exitCodeOf(err)
	fmt.Fprintf(errOut, "partcopy: %s\n", oneLine(err.Error()))
	return code
}
