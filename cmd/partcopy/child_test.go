package main

// Helpers of the tests that run partcopy as a child process (the binary
// binary_test.go builds).

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// child is a partcopy process started by a test.
type child struct {
	cmd    *exec.Cmd
	stdout lockedBuffer
	stderr lockedBuffer
}

// lockedBuffer is a bytes.Buffer the child's output copier and the test
// can use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild starts partcopy with args; env adds to a clean environment
// (no ambient AWS settings).
func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	return startProcess(t, partcopyBinary(t), env, args...)
}

// startProcess starts the program name (partcopy, or a wrapper that runs
// it) like startChild.
func startProcess(t *testing.T, name string, env []string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(name, args...)}
	c.cmd.Env = append(cleanEnv(t), env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.stdout, &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
	})
	return c
}

// wait waits at most d for the child and returns its exit code.
func (c *child) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }() // the exit code is read below
	select {
	case <-done:
	case <-time.After(d):
		_ = c.cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end within %v; stderr: %s", c.cmd.Args[1:], d, c.stderr.String())
	}
	return c.cmd.ProcessState.ExitCode()
}

// runChild runs partcopy with args to the end (bounded by d).
func runChild(t *testing.T, d time.Duration, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	c := startChild(t, env, args...)
	code = c.wait(t, d)
	return code, c.stdout.String(), c.stderr.String()
}

// cleanEnv is the environment without AWS settings, with empty shared
// config and credentials files.
func cleanEnv(t *testing.T) []string {
	t.Helper()
	empty := t.TempDir() + "/empty"
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_CONFIG_FILE="+empty, "AWS_SHARED_CREDENTIALS_FILE="+empty, "AWS_EC2_METADATA_DISABLED=true")
}
