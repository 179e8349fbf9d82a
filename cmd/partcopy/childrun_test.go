package main

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"
)

// childResult is what a child partcopy did.
type childResult struct {
	code           int
	stdout, stderr string
}

// runChild runs the built partcopy (partcopyBinary) with args, in an
// environment without the caller's AWS_* variables plus env.
func runChild(t *testing.T, env []string, args ...string) childResult {
	t.Helper()
	cmd := exec.Command(partcopyBinary(t), args...)
	cmd.Env = cleanAWSEnv(env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running partcopy: %v", err)
		}
		code = ee.ExitCode()
	}
	return childResult{code: code, stdout: out.String(), stderr: errb.String()}
}
