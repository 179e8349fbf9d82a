package main

import (
	"errors"
	"fmt"
	"strings"
)

// Exit codes. They are part of partcopy's interface: CI gates read them.
const (
	// exitOK: every check that ran passed (or was unsupported).
	exitOK = 0
	// exitCheckFailed: the endpoint failed a check, or a regression gate tripped.
	exitCheckFailed = 1
	// exitUsage: bad flags, bad config, unreachable endpoint, missing credentials.
	exitUsage = 2
	// exitInterrupted: the run was interrupted (SIGINT/SIGTERM); partial
	// results were still written.
	exitInterrupted = 130
)

// exitError carries an exit code with an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError returns an error that exits 2: bad input the user can fix.
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// asUsage wraps err (transport, config) so that it exits 2.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: exitUsage, err: err}
}

// checkFailed returns an error that exits 1: the endpoint failed a check.
func checkFailed(format string, a ...any) error {
	return &exitError{code: exitCheckFailed, err: fmt.Errorf(format, a...)}
}

// interrupted returns an error that exits 130.
func interrupted(format string, a ...any) error {
	return &exitError{code: exitInterrupted, err: fmt.Errorf(format, a...)}
}

// exitCodeOf maps an error to the process exit code. Errors that carry no
// code (cobra's own flag errors among them) are usage errors.
func exitCodeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

// oneLine folds an error message onto one line, so stderr stays greppable.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
