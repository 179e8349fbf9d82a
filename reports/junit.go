package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit XML, written from our schema rather than by Ginkgo's reporter so that
// "unsupported" is visible as such in CI test views.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitSkipped `xml:"skipped"`
	Failure   *junitFailure `xml:"failure"`
	Error     *junitFailure `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes c as JUnit XML: one testcase per spec, classname the
// spec's clause IDs, unsupported and skipped specs as <skipped> (the message
// of an unsupported one starts with "unsupported:"), failed ones as <failure>
// with the message, location and exchange excerpt.
func WriteJUnit(w io.Writer, c Conformance) error {
	c = c.redacted()
	suite := junitSuite{
		Name:      fmt.Sprintf("partcopy conformance (profile %s)", c.Profile),
		Timestamp: c.GeneratedAt.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"schema", c.Schema},
			{"endpoint", c.Endpoint},
			{"profile", c.Profile},
			{"result", string(c.Result)},
			{"partcopyVersion", c.PartcopyVersion},
		},
	}
	if c.Implementation != nil {
		suite.Properties = append(suite.Properties,
			junitProperty{"implementation", strings.TrimSpace(c.Implementation.Name + " " + c.Implementation.Version)})
	}
	if p := c.Provenance; p != nil {
		suite.Properties = append(suite.Properties,
			junitProperty{"provenance.partcopyVersion", p.PartcopyVersion},
			junitProperty{"provenance.revision", p.Revision()},
			junitProperty{"provenance.goVersion", p.GoVersion},
			junitProperty{"provenance.commandLine", p.Command()})
		if p.AWSProfile != "" {
			suite.Properties = append(suite.Properties, junitProperty{"provenance.awsProfile", p.AWSProfile})
		}
	}
	for _, f := range c.SuiteFailures {
		suite.Properties = append(suite.Properties, junitProperty{"suiteFailure", f})
	}
	var total float64
	for _, s := range c.Specs {
		total += s.DurationSeconds
		tc := junitCase{
			Name:      s.Name,
			Classname: classname(s.Clauses),
			Time:      fmt.Sprintf("%.3f", s.DurationSeconds),
		}
		switch s.State {
		case StateFailed:
			suite.Failures++
			text := s.Message
			if s.Location != "" {
				text += "\n\nat " + s.Location
			}
			if ex := exchangeExcerpt(s.Exchange, 4, 600); ex != "" {
				text += "\n\nHTTP exchange:\n" + ex
			}
			tc.Failure = &junitFailure{Message: firstLine(s.Message), Type: "failed", Text: text}
		case StateUnsupported:
			suite.Skipped++
			msg := s.Message
			if !strings.HasPrefix(msg, strings.TrimSpace(UnsupportedPrefix)) {
				msg = UnsupportedPrefix + msg
			}
			tc.Skipped = &junitSkipped{Message: msg}
		case StateBlocked, StateNotRun:
			suite.Skipped++
			tc.Skipped = &junitSkipped{Message: firstLine(s.Message)}
		case StateInterrupted, StateError:
			// Not a failed assertion: the run was stopped (Ctrl-C, a
			// configuration error). CI shows it as an error.
			suite.Errors++
			kind := "interrupted"
			if s.State == StateError {
				kind = "config-error"
			}
			tc.Error = &junitFailure{Message: firstLine(s.Message), Type: kind, Text: s.Message}
		case StateSkipped:
			suite.Skipped++
			msg := s.Message
			if msg == "" {
				msg = "skipped"
			}
			tc.Skipped = &junitSkipped{Message: msg}
		}
		if len(s.Observed) > 0 {
			tc.SystemOut = "observed: " + strings.Join(s.Observed, "; ")
		}
		suite.Cases = append(suite.Cases, tc)
	}
	suite.Tests = len(c.Specs)
	suite.Time = fmt.Sprintf("%.3f", total)
	if c.ConfigError != "" {
		suite.Properties = append(suite.Properties, junitProperty{"configError", c.ConfigError})
	}
	for _, in := range c.EndpointIncidents {
		suite.Properties = append(suite.Properties, junitProperty{"endpointDown", in.Spec + ": " + firstLine(in.Message)})
	}
	// A suite-level failure has no testcase of its own; count it as an
	// error so CI does not show a green run.
	suite.Errors += len(c.SuiteFailures)
	doc := junitSuites{
		Name: "partcopy", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Skipped: suite.Skipped, Time: suite.Time, Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// classname is the spec's clause IDs, so CI groups testcases by clause.
func classname(clauses []string) string {
	if len(clauses) == 0 {
		return "partcopy"
	}
	return strings.Join(clauses, ",")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
