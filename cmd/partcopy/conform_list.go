package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/onsi/ginkgo/v2"
	ginkgotypes "github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/internal/size"
	"github.com/partcopy/partcopy/suites"
	"github.com/partcopy/partcopy/suites/clause"
)

// listedSpec is one spec of `conform --list`.
type listedSpec struct {
	clause  string
	text    string
	needs   []clause.Capability
	missing []string // why this configuration lacks a capability
}

// runConformList prints every spec the profile and --labels select, with
// its clause, profiles and capabilities, and which capabilities this
// configuration lacks (those specs would be unsupported). It walks the
// Ginkgo tree without running it (Ginkgo's dry run) and sends no request:
// capabilities only the endpoint can tell are marked "detected".
func runConformList(ctx context.Context, stdout io.Writer, o *conformOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	profile, err := clause.ParseProfile(o.profile)
	if err != nil {
		return clauseProfileError(o.profile)
	}
	if o.labels != "" {
		if _, err := ginkgotypes.ParseLabelFilter(o.labels); err != nil {
			return usageError("--labels %q: %v", o.labels, err)
		}
	}
	minPart, err := size.Parse(o.minPartSize)
	if err != nil {
		return usageError("--min-part-size: %v", err)
	}
	// Which endpoint would run: only to know whether the embedded one
	// (which has every principal) would. Resolving reads flags, the
	// environment and the shared config files; it sends nothing.
	_, embedded, err := o.ep.resolve(ctx)
	if err != nil {
		embedded = false
	}
	cfg := suites.NewConfig("http://127.0.0.1:1", s3call.Credentials{AccessKey: "list", SecretKey: "list"})
	cfg.Profile = string(profile)
	cfg.NoKMS, cfg.SkipLarge, cfg.MinPartSize = o.noKMS, o.skipLarge, minPart
	if embedded || o.altAccessKey != "" {
		cfg.Alt = s3call.Credentials{AccessKey: "alt", SecretKey: "alt"}
	}
	if embedded || o.tempAccessKey != "" {
		cfg.Temp = s3call.Credentials{AccessKey: "temp", SecretKey: "temp", SessionToken: "t"}
	}
	if embedded {
		cfg.MinPartSize = 5 << 20
	}

	var report ginkgotypes.Report
	ginkgo.ReportAfterSuite("partcopy spec list", func(r ginkgo.Report) { report = r })
	gomega.RegisterFailHandler(ginkgo.Fail)
	suites.Register(cfg)
	suiteCfg, reporterCfg := ginkgo.GinkgoConfiguration()
	suiteCfg.DryRun = true
	suiteCfg.LabelFilter = suites.CombineLabelFilters(cfg.LabelFilter(), o.labels)
	reporterCfg.Succinct, reporterCfg.SilenceSkips = true, true
	reporterCfg.NoColor = true
	ginkgo.RunSpecs(&specFailer{}, "partcopy UploadPartCopy conformance (list)", suiteCfg, reporterCfg)

	var specs []listedSpec
	for _, sr := range report.SpecReports {
		if sr.LeafNodeType != ginkgotypes.NodeTypeIt {
			continue
		}
		if sr.State == ginkgotypes.SpecStateSkipped {
			continue // filtered out by the profile or --labels
		}
		id, err := clause.One(sr.Labels())
		if err != nil {
			return fmt.Errorf("spec %q: %w", sr.FullText(), err)
		}
		_, caps, _ := clause.FromLabels(sr.Labels())
		ls := listedSpec{clause: id, text: sr.FullText(), needs: caps}
		for _, c := range caps {
			if why := cfg.MissingCapability(c); why != "" {
				ls.missing = append(ls.missing, why)
			}
		}
		specs = append(specs, ls)
	}
	sort.SliceStable(specs, func(i, j int) bool {
		if specs[i].clause != specs[j].clause {
			return specs[i].clause < specs[j].clause
		}
		return specs[i].text < specs[j].text
	})
	fmt.Fprintln(stdout) // Ginkgo's own dry-run line ends without one
	writeSpecList(stdout, specs, profile)
	return nil
}

func writeSpecList(w io.Writer, specs []listedSpec, profile clause.Profile) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLAUSE\tPROFILES\tNEEDS\tWITH THIS CONFIGURATION\tSPEC")
	unsupported := map[string]int{} // clause -> specs unsupported by the configuration
	total := map[string]int{}
	for _, s := range specs {
		c, _ := clause.Lookup(s.clause)
		var ps []string
		for _, p := range c.Profiles() {
			ps = append(ps, string(p))
		}
		needs := "-"
		if len(s.needs) > 0 {
			var ns []string
			for _, n := range s.needs {
				ns = append(ns, string(n))
			}
			needs = strings.Join(ns, ",")
		}
		state := "runs"
		if len(s.needs) > 0 {
			state = "runs (the endpoint may lack a capability: detected)"
		}
		total[s.clause]++
		if len(s.missing) > 0 {
			state = "unsupported: " + strings.Join(s.missing, "; ")
			unsupported[s.clause]++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.clause, strings.Join(ps, ","), needs, state, s.text)
	}
	_ = tw.Flush()
	var lost []string
	for id, n := range unsupported {
		if n == total[id] {
			lost = append(lost, id)
		}
	}
	clause.Sort(lost)
	fmt.Fprintf(w, "\n%d specs (profile %s); no request was sent.\n", len(specs), profile)
	if len(lost) > 0 {
		fmt.Fprintf(w, "With this configuration these clauses would be unsupported: %s\n", strings.Join(lost, ", "))
	}
}
