package main

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/partcopy/partcopy/internal/redact"
	"github.com/partcopy/partcopy/reports"
)

// commandLine is the arguments partcopy was started with (after the program
// name); main's run sets it, so that reports written by an in-process
// subcommand ('partcopy run' calling conform) name what the user typed.
var commandLine []string

// partcopyVersion is the one version string of this build: the -ldflags
// version if set, else the module version the Go toolchain stamped (a
// pseudo-version from the VCS revision in a git checkout), else "dev".
func partcopyVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

// collectProvenance is what every report says about the build and the run.
// secrets are redacted from the command line besides the values of every
// secret flag (isSecretFlag); awsProfile is the shared-config profile used,
// if any.
func collectProvenance(awsProfile string, secrets ...string) *reports.Provenance {
	p := &reports.Provenance{
		PartcopyVersion: partcopyVersion(),
		GoVersion:       runtime.Version(),
		CommandLine:     redactArgs(append([]string{"partcopy"}, commandLine...), secrets),
		AWSProfile:      awsProfile,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		p.GoVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				p.VCSRevision = s.Value
			case "vcs.time":
				p.VCSTime = s.Value
			case "vcs.modified":
				p.VCSModified = s.Value == "true"
			}
		}
	}
	return p
}

// redactArgs replaces the values of secret flags ("--secret-key X",
// "--secret-key=X") and every explicit secret wherever it appears.
func redactArgs(args, secrets []string) []string {
	redact.Add(secrets...)
	out := make([]string, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "--") || a == "--" || !isSecretFlag(name):
			out[i] = redact.String(a)
		case hasValue:
			out[i] = "--" + name + "=" + redact.Marker
		default:
			out[i] = a
			if i+1 < len(args) {
				i++
				out[i] = redact.Marker
			}
		}
	}
	return out
}
