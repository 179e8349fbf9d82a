package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// validator checks a JSON document against the subset of JSON Schema
// (2020-12) that schema/*.json use: $ref into $defs, type, const, enum,
// required, properties, additionalProperties, items, pattern, minimum,
// maximum. Enough to catch a writer that drops a required field or emits a
// value outside the schema; it is not a general validator.
type validator struct {
	root map[string]any
}

func newValidator(t *testing.T, schema string) validator {
	t.Helper()
	raw, err := JSONSchema(schema)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatalf("schema %s is not JSON: %v", schema, err)
	}
	return validator{root: root}
}

func decodeNumbers(t *testing.T, doc []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (v validator) validate(s map[string]any, x any, path string) []string {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		defs, _ := v.root["$defs"].(map[string]any)
		def, ok := defs[name].(map[string]any)
		if !ok {
			return []string{path + ": unresolvable $ref " + ref}
		}
		return v.validate(def, x, path)
	}
	var errs []string
	fail := func(format string, a ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, a...)) }
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(x) {
		fail("want const %v, got %v", c, x)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, ev := range e {
			if fmt.Sprint(ev) == fmt.Sprint(x) {
				found = true
			}
		}
		if !found {
			fail("%v not in enum %v", x, e)
		}
	}
	if tv, ok := s["type"]; ok {
		var types []string
		switch tt := tv.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, e := range tt {
				types = append(types, e.(string))
			}
		}
		match := false
		for _, ty := range types {
			if jsonType(x, ty) {
				match = true
			}
		}
		if !match {
			fail("want type %v, got %T (%v)", types, x, x)
			return errs
		}
	}
	switch xv := x.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, ok := xv[r.(string)]; !ok {
					fail("missing required %q", r)
				}
			}
		}
		keys := make([]string, 0, len(xv))
		for k := range xv {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, v.validate(ps, xv[k], path+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("unexpected property %q", k)
				}
			case map[string]any:
				errs = append(errs, v.validate(ap, xv[k], path+"."+k)...)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range xv {
				errs = append(errs, v.validate(items, e, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case string:
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(xv) {
			fail("%q does not match %s", xv, p)
		}
		if f, _ := s["format"].(string); f == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, xv); err != nil {
				fail("not a date-time: %v", err)
			}
		}
	case json.Number:
		n, _ := xv.Float64()
		if m, ok := s["minimum"].(float64); ok && n < m {
			fail("%v below minimum %v", n, m)
		}
		if m, ok := s["maximum"].(float64); ok && n > m {
			fail("%v above maximum %v", n, m)
		}
	}
	return errs
}

func jsonType(x any, ty string) bool {
	switch ty {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "null":
		return x == nil
	case "number":
		_, ok := x.(json.Number)
		return ok
	case "integer":
		n, ok := x.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && f == math.Trunc(f) && !strings.ContainsAny(n.String(), ".eE")
	}
	return false
}

func (v validator) check(t *testing.T, name string, doc []byte) {
	t.Helper()
	for _, e := range v.validate(v.root, decodeNumbers(t, doc), "$") {
		t.Errorf("%s: %s", name, e)
	}
}

func TestConformanceJSONMatchesSchema(t *testing.T) {
	v := newValidator(t, ConformanceSchema)
	reports := map[string]Conformance{
		"fixture": fixtureConformance(t),
		"empty":   NewConformance(Meta{Profile: ProfileOBS}, nil, nil),
		// Built by hand, never recomputed: writers still emit arrays.
		"bare": {Schema: ConformanceSchema, Profile: ProfileOBS, Result: ResultPass,
			Specs: []SpecResult{{Name: "s", State: StateSkipped}}},
	}
	merged, err := Merge(reports["fixture"], reports["fixture"])
	if err != nil {
		t.Fatal(err)
	}
	reports["merged"] = merged
	for name, c := range reports {
		var buf bytes.Buffer
		if err := WriteJSON(&buf, c); err != nil {
			t.Fatal(err)
		}
		v.check(t, name, buf.Bytes())
	}
}

func TestLoadJSONMatchesSchema(t *testing.T) {
	v := newValidator(t, LoadSchema)
	full := fixtureLoad()
	ts, _ := ParseThresholds([]string{"p99<100ms", "errors<0.5%", "bytes>1MiB/s", "p95<1s"})
	full.Thresholds = EvaluateThresholds(ts, full, nil)
	full.LatencyOf, full.Interrupted, full.Aborted, full.RequestedDurationSeconds = LatencyOfSucceeded, true, "errors<0.5%", 60
	full.LatencyMs.Failed = &Latency{P50: 1, P99: 2, Max: 3, Count: 60, Distribution: []PercentilePoint{{Percentile: 50, ValueMs: 1}}}
	full.Generator = &Generator{LagMs: Latency{P99: 1, Count: 6000}, Limited: true, Causes: []string{GenCPUStarved, GenInFlightCap, GenTimerSlack},
		Warning: "w", WorkersUsed: 3, MaxInFlight: 64, MaxInFlightReached: true, CapWaits: 4, NotSent: 5, SchedLatencyP99Ms: 1, RunQueueWaitMsPerSecond: 2, GOMAXPROCS: 2}
	full.Intervals[29].Partial, full.Intervals[29].P90Ms, full.Intervals[29].LagP99Ms = true, 3, 4
	for name, l := range map[string]Load{"fixture": fixtureLoad(), "zero": {Schema: LoadSchema, Mode: ModeClosed}, "full": full} {
		var buf bytes.Buffer
		if err := WriteLoadJSON(&buf, l); err != nil {
			t.Fatal(err)
		}
		v.check(t, name, buf.Bytes())
	}
}

// TestValidatorRejects proves the schema checks above can fail.
func TestValidatorRejects(t *testing.T) {
	v := newValidator(t, ConformanceSchema)
	var good bytes.Buffer
	if err := WriteJSON(&good, fixtureConformance(t)); err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(m map[string]any){
		"missing summary":  func(m map[string]any) { delete(m, "summary") },
		"bad result":       func(m map[string]any) { m["result"] = "success" },
		"wrong schema":     func(m map[string]any) { m["schema"] = "partcopy/conformance/v2" },
		"extra field":      func(m map[string]any) { m["secretKey"] = "x" },
		"bad clause id":    func(m map[string]any) { m["clauses"].([]any)[0].(map[string]any)["id"] = "C03" },
		"bad verdict":      func(m map[string]any) { m["clauses"].([]any)[0].(map[string]any)["verdict"] = "ok" },
		"no spec state":    func(m map[string]any) { delete(m["specs"].([]any)[0].(map[string]any), "state") },
		"fractional count": func(m map[string]any) { m["summary"].(map[string]any)["passed"] = json.Number("1.5") },
		"bad time":         func(m map[string]any) { m["generatedAt"] = "yesterday" },
	}
	for name, mutate := range mutations {
		doc := decodeNumbers(t, good.Bytes()).(map[string]any)
		mutate(doc)
		if errs := v.validate(v.root, doc, "$"); len(errs) == 0 {
			t.Errorf("%s: validator accepted it", name)
		}
	}
}
