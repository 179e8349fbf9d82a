package clause

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes docs/clauses.md: every clause in partcopy's own
// words with its facts (statuses, codes, limits, profiles, capabilities),
// the capabilities and the limits. It is generated from the catalogue; a
// test keeps the committed file in sync.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# The clauses partcopy certifies\n\n")
	b.WriteString("Generated from the clause catalogue (`suites/clause`) by `go test ./suites/clause -update`; do not edit by hand.\n\n")
	b.WriteString("partcopy checks one S3 operation, UploadPartCopy, against the object storage vendor's documentation page\n")
	b.WriteString("**\"Upload Part - Copy\"**, numbered here clause by clause in partcopy's own words. `D` clauses come from that\n")
	b.WriteString("page; `S` clauses are widely documented S3 behaviour of the same call that the page leaves implicit.\n\n")
	b.WriteString("Every spec carries exactly one clause ID as a Ginkgo label (its verdict is about that clause only) and a\n")
	b.WriteString("`needs:<capability>` label for each capability it needs. `partcopy conform --list` prints every spec with its\n")
	b.WriteString("clause, profiles and capabilities without sending a request.\n\n")

	b.WriteString("## Profiles\n\n")
	fmt.Fprintf(&b, "- **%s**: the page's clauses (D01-D25) with the statuses and error codes the page names; where it names no code,\n  the status is checked and the observed code recorded.\n", OBS)
	fmt.Fprintf(&b, "- **%s** (default): the D clauses and the S clauses, with AWS's error codes where the page names only a status.\n\n", S3)

	b.WriteString("## Outcomes\n\n")
	b.WriteString("A spec ends **passed**, **failed** (the endpoint broke the spec's clause, shown by an exchange), **unsupported**\n")
	b.WriteString("(the endpoint or the configuration lacks a capability the spec needs; the reason says which), **blocked**\n")
	b.WriteString("(setup could not go on because of another clause's deviation: `blocked by S08: ...`; that clause has its own\n")
	b.WriteString("failing spec), **not-run** (the endpoint was down), **interrupted** (Ctrl-C), **error** (a configuration or\n")
	b.WriteString("transport error stopped the run) or **skipped** (filtered out). A clause's verdict is fail if any spec failed,\n")
	b.WriteString("else pass if any passed, else blocked, unsupported or not-run.\n\n")

	b.WriteString("## Limits\n\n")
	fmt.Fprintf(&b, "| limit | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| largest part (D22) | 5 GiB = %d bytes |\n", MaxPartSize)
	fmt.Fprintf(&b, "| smallest non-last part at Complete (S05) | 5 MiB = %d bytes (`--min-part-size` for other endpoints) |\n", MinPartSize)
	fmt.Fprintf(&b, "| part numbers (D23) | %d..%d |\n", MinPartNumber, MaxPartNumber)
	fmt.Fprintf(&b, "| longest key (S04) | %d bytes |\n\n", MaxKeyLength)

	b.WriteString("## Capabilities\n\n| capability | what | how a run provides it |\n|---|---|---|\n")
	for _, ci := range Capabilities {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", ci.Capability, cell(ci.What), cell(ci.Provide))
	}

	b.WriteString("\n## Clauses\n\n| ID | clause | profiles | status | codes | needs |\n|---|---|---|---|---|---|\n")
	for _, c := range All {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | %s |\n", c.ID, strings.ToLower(c.ID), cell(c.Title), profilesText(c),
			statusText(c), codesText(c), capsText(c))
	}
	for _, c := range All {
		fmt.Fprintf(&b, "\n### %s\n\n**%s**\n\n%s\n\n", c.ID, c.Title, c.Text)
		origin := "the page \"Upload Part - Copy\""
		if c.Origin == CommonS3 {
			origin = "widely documented S3 behaviour"
		}
		fmt.Fprintf(&b, "- from: %s\n- profiles: %s\n", origin, profilesText(c))
		if len(c.Statuses) > 0 || c.Any4xx {
			fmt.Fprintf(&b, "- status: %s\n", statusText(c))
		}
		if len(c.Codes) > 0 {
			fmt.Fprintf(&b, "- codes (every profile): %s\n", backticks(c.Codes))
		}
		if len(c.S3Codes) > 0 {
			fmt.Fprintf(&b, "- codes (profile s3): %s\n", backticks(c.S3Codes))
		}
		if len(c.Limits) > 0 {
			fmt.Fprintf(&b, "- limits: %s\n", strings.Join(c.Limits, "; "))
		}
		if len(c.Capabilities) > 0 {
			fmt.Fprintf(&b, "- some specs need: %s\n", capsText(c))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func profilesText(c Clause) string {
	var ps []string
	for _, p := range c.Profiles() {
		ps = append(ps, string(p))
	}
	return strings.Join(ps, ", ")
}

func statusText(c Clause) string {
	if c.Any4xx {
		return "4xx"
	}
	if len(c.Statuses) == 0 {
		return "—"
	}
	var ss []string
	for _, s := range c.Statuses {
		ss = append(ss, fmt.Sprint(s))
	}
	return strings.Join(ss, " or ")
}

func codesText(c Clause) string {
	var parts []string
	if len(c.Codes) > 0 {
		parts = append(parts, backticks(c.Codes))
	}
	if len(c.S3Codes) > 0 {
		parts = append(parts, "s3: "+backticks(c.S3Codes))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, "; ")
}

func capsText(c Clause) string {
	if len(c.Capabilities) == 0 {
		return "—"
	}
	var cs []string
	for _, x := range c.Capabilities {
		cs = append(cs, "`"+string(x)+"`")
	}
	return strings.Join(cs, ", ")
}

func backticks(ss []string) string {
	var out []string
	for _, s := range ss {
		out = append(out, "`"+s+"`")
	}
	return strings.Join(out, ", ")
}
