package reports

import (
	"path"
	"path/filepath"
	"runtime"
	"strings"
)

// Provenance says what produced a report, so that a certificate built from
// the report can carry it: which partcopy (the build's version, VCS revision
// and whether the tree was modified), built with which Go, run how (the
// command line, secrets redacted) and with which AWS profile. The CLI
// collects it; every writer shows it (field added to both v1 schemas).
type Provenance struct {
	// PartcopyVersion is the string 'partcopy version' prints.
	PartcopyVersion string `json:"partcopyVersion"`
	// VCSRevision is the commit partcopy was built from; empty when the
	// build carried no VCS information.
	VCSRevision string `json:"vcsRevision,omitempty"`
	// VCSTime is the commit time (RFC 3339); empty when unknown.
	VCSTime string `json:"vcsTime,omitempty"`
	// VCSModified is true when the working tree had uncommitted changes.
	VCSModified bool `json:"vcsModified"`
	// GoVersion is the Go toolchain that built partcopy ("go1.26.8").
	GoVersion string `json:"goVersion"`
	// CommandLine is the exact command line, one element per argument,
	// with every secret value replaced by [REDACTED].
	CommandLine []string `json:"commandLine"`
	// AWSProfile is the shared-config profile the endpoint or credentials
	// came from; empty when none was used.
	AWSProfile string `json:"awsProfile,omitempty"`
}

// Revision is the VCS revision with "+dirty" when the tree was modified, or
// "unknown".
func (p *Provenance) Revision() string {
	if p == nil || p.VCSRevision == "" {
		return "unknown"
	}
	if p.VCSModified {
		return p.VCSRevision + "+dirty"
	}
	return p.VCSRevision
}

// Command is the command line as one shell-like string (arguments with
// spaces or quotes are single-quoted).
func (p *Provenance) Command() string {
	if p == nil {
		return ""
	}
	parts := make([]string, len(p.CommandLine))
	for i, a := range p.CommandLine {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>()*?[]{}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// Rows are the provenance as label/value pairs, in the order every human
// readable writer shows them.
func (p *Provenance) Rows() [][2]string {
	if p == nil {
		return nil
	}
	rows := [][2]string{
		{"partcopy", p.PartcopyVersion},
		{"Revision", p.Revision()},
		{"Go", p.GoVersion},
		{"Command", p.Command()},
	}
	if p.AWSProfile != "" {
		rows = append(rows, [2]string{"AWS profile", p.AWSProfile})
	}
	return rows
}

// redacted returns a copy of p with every string redacted by r.
func (p *Provenance) redacted(r *Redactor) *Provenance {
	if p == nil {
		return nil
	}
	out := *p
	out.PartcopyVersion = r.String(p.PartcopyVersion)
	out.VCSRevision = r.String(p.VCSRevision)
	out.VCSTime = r.String(p.VCSTime)
	out.GoVersion = r.String(p.GoVersion)
	out.CommandLine = r.Strings(p.CommandLine)
	out.AWSProfile = r.String(p.AWSProfile)
	return &out
}

// moduleRoot is the directory of this module's source as the compiler saw
// it: an absolute path, or the module path under -trimpath.
var moduleRoot = func() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// This file is <root>/reports/provenance.go.
	return path.Dir(path.Dir(filepath.ToSlash(file)))
}()

// ModuleRelative returns a source location ("/build/dir/suites/x.go:12")
// relative to the module root ("suites/x.go:12"), so that reports do not
// carry the building machine's paths. Locations outside the module are
// returned unchanged.
func ModuleRelative(loc string) string {
	l := filepath.ToSlash(loc)
	if moduleRoot != "" && moduleRoot != "." && strings.HasPrefix(l, moduleRoot+"/") {
		return strings.TrimPrefix(l, moduleRoot+"/")
	}
	return loc
}
