package main

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

// TestMain lets a test run partcopy in a child process (runChild): Ginkgo
// runs its specs once per process, so every conform run that reaches
// RunSpecs needs a process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("PARTCOPY_TEST_CHILD") == "1" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		os.Exit(run(args))
	}
	os.Exit(m.Run())
}

// childResult is what a child partcopy did.
type childResult struct {
	code           int
	stdout, stderr string
}

// runChild runs `partcopy args...` in a child process of the test binary
// with env added to the test's environment.
func runChild(t *testing.T, env []string, args ...string) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(append(os.Environ(), "PARTCOPY_TEST_CHILD=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running the child: %v", err)
		}
		code = ee.ExitCode()
	}
	return childResult{code: code, stdout: out.String(), stderr: errb.String()}
}
