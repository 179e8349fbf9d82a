package faults

import (
	"encoding/json"
	"net/http"
)

// StatsPath is where the proxy answers with its counters as JSON, on its
// own listener. It cannot collide with S3 traffic in practice: bucket
// names cannot contain "_", and only an unsigned GET with no query is
// answered here (any signed or presigned request, and anything else, is
// forwarded as usual).
const StatsPath = "/_partcopy/faults"

// RuleStats counts what one rule did.
type RuleStats struct {
	// Index is the rule's position among the --fault flags (0-based).
	Index int `json:"index"`
	// Rule is the rule in canonical form (Rule.String).
	Rule string `json:"rule"`
	// Action is the rule's action.
	Action Action `json:"action"`
	// Matched counts requests the rule's selector matched (body rewrites:
	// copy-part requests only), whether or not an earlier rule fired.
	Matched int64 `json:"matched"`
	// Fired counts requests the rule was applied to. A stall counts only
	// requests that arrived during a freeze.
	Fired int64 `json:"fired"`
}

// StatsReport is the JSON document served at StatsPath.
type StatsReport struct {
	// Seed is the seed of the random choices.
	Seed int64 `json:"seed"`
	// Requests counts requests the proxy handled (stats requests excluded).
	Requests int64 `json:"requests"`
	// Rules has one entry per rule, in flag order.
	Rules []RuleStats `json:"rules"`
}

// Stats returns the counters of every rule, in rule order.
func (p *Proxy) Stats() []RuleStats {
	out := make([]RuleStats, len(p.rules))
	for i := range p.rules {
		out[i] = RuleStats{
			Index:   i,
			Rule:    p.rules[i].String(),
			Action:  p.rules[i].Action,
			Matched: p.counts[i].matched.Load(),
			Fired:   p.counts[i].fired.Load(),
		}
	}
	return out
}

// Report returns the seed, the request count and the rule counters.
func (p *Proxy) Report() StatsReport {
	return StatsReport{Seed: p.seed, Requests: p.requests.Load(), Rules: p.Stats()}
}

func isStatsRequest(r *http.Request) bool {
	// RequestURI, not URL.Path: "/_partcopy%2Ffaults" is some other key.
	return r.Method == http.MethodGet && r.RequestURI == StatsPath &&
		r.Header.Get("Authorization") == ""
}

func (p *Proxy) serveStats(w http.ResponseWriter) {
	b, err := json.MarshalIndent(p.Report(), "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(b, '\n'))
}
