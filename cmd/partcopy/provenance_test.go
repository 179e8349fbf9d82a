package main

import (
	"reflect"
	"runtime"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	in := []string{"partcopy", "conform", "--secret-key", "s1", "--alt-secret-key=s2", "--temp-session-token", "s3",
		"--main-session-token=s4", "--session-token", "s5", "--access-key", "AK", "--endpoint", "http://h:1",
		"--labels", "mentions secret6 inside", "--secret-key"}
	want := []string{"partcopy", "conform", "--secret-key", "[REDACTED]", "--alt-secret-key=[REDACTED]", "--temp-session-token", "[REDACTED]",
		"--main-session-token=[REDACTED]", "--session-token", "[REDACTED]", "--access-key", "AK", "--endpoint", "http://h:1",
		"--labels", "mentions [REDACTED] inside", "--secret-key"}
	if got := redactArgs(in, []string{"secret6"}); !reflect.DeepEqual(got, want) {
		t.Errorf("redactArgs:\n got %q\nwant %q", got, want)
	}
}

func TestCollectProvenance(t *testing.T) {
	commandLine = []string{"load", "--secret-key", "topsecret", "--rate", "5"}
	defer func() { commandLine = nil }()
	p := collectProvenance("prof")
	if p.PartcopyVersion != partcopyVersion() || p.GoVersion != runtime.Version() || p.AWSProfile != "prof" {
		t.Errorf("provenance %+v", p)
	}
	if want := []string{"partcopy", "load", "--secret-key", "[REDACTED]", "--rate", "5"}; !reflect.DeepEqual(p.CommandLine, want) {
		t.Errorf("command line %q, want %q", p.CommandLine, want)
	}
}
