package main

import (
	"bufio"
	"context"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/faults"
	"github.com/partcopy/partcopy/internal/refserver"
)

// specLine is a progress line: "[ 3/13] passed      D07  name (123ms)".
var specLine = regexp.MustCompile(`^\[ *(\d+)/(\d+)\] (\S+) +(\S*) +(.*) \((\S+)\)$`)

// timedLine is one line of a child's output and when the test read it.
type timedLine struct {
	at   time.Time
	text string
}

// TestConformProgressStreams: 'partcopy conform 2>&1 | cat' prints one line
// per spec as each finishes. The first spec's line arrives within 5 s of
// that spec finishing (it started after the "running" line, and ran for
// the time its line reports), and long before the run ends: the specs after
// it took time, and that time passes between the first line and the summary.
func TestConformProgressStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	bin := partcopyBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// D05 waits for the embedded endpoint's 2 s restore: time that must
	// pass between spec lines.
	cmd := exec.CommandContext(ctx, "sh", "-c", `"$0" conform --skip-large --labels 'D01 || D05 || D07' --out "$1" 2>&1 | cat`,
		bin, filepath.Join(t.TempDir(), "r"))
	cmd.Env = cleanEnv(t)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []timedLine
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		lines = append(lines, timedLine{time.Now(), sc.Text()})
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("conform: %v\n%s", err, joinLines(lines))
	}

	var running, summary time.Time
	var specs []timedLine
	var durations []time.Duration
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l.text, "partcopy: running "):
			running = l.at
		case strings.HasPrefix(l.text, "partcopy conform: "):
			summary = l.at
		case specLine.MatchString(l.text):
			m := specLine.FindStringSubmatch(l.text)
			d, err := time.ParseDuration(m[6])
			if err != nil {
				t.Fatalf("line %q: %v", l.text, err)
			}
			specs = append(specs, l)
			durations = append(durations, d)
		}
		if strings.Contains(l.text, "•") {
			t.Errorf("Ginkgo's dots are back: %q", l.text)
		}
	}
	if running.IsZero() || summary.IsZero() || len(specs) < 3 {
		t.Fatalf("no running line, summary or spec lines:\n%s", joinLines(lines))
	}
	if m := specLine.FindStringSubmatch(specs[len(specs)-1].text); m[1] != m[2] || m[1] != strconv.Itoa(len(specs)) {
		t.Errorf("last spec line %q: want %d/%d", specs[len(specs)-1].text, len(specs), len(specs))
	}
	if late := specs[0].at.Sub(running) - durations[0]; late > 5*time.Second {
		t.Errorf("first spec line came %v after its spec could have finished", late)
	}
	var after time.Duration
	for _, d := range durations[1:] {
		after += d
	}
	if after < time.Second {
		t.Fatalf("the specs after the first took only %v: the test cannot tell streaming from buffering", after)
	}
	if gap := summary.Sub(specs[0].at); gap < after/2 {
		t.Errorf("first spec line only %v before the summary, though the later specs ran %v: lines are not streamed", gap, after)
	}
}

// TestConformFailuresAfterSummary: a failing run prints no Ginkgo failure
// dump; the summary line comes first, then a short list of the failed
// specs. -v brings Ginkgo's dumps back.
func TestConformFailuresAfterSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite in a child process")
	}
	ref, err := refserver.Start(context.Background(), refserver.Options{}, "127.0.0.1:0", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	target, _ := url.Parse(ref.URL)
	rules, err := faults.ParseRules([]string{"copy:noetag200"})
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faults.New(target, faults.Options{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	main := ref.Server.Options().Main
	args := []string{"conform", "--endpoint", srv.URL, "--access-key", main.AccessKey, "--secret-key", main.SecretKey,
		"--labels", "D01", "--out", filepath.Join(t.TempDir(), "r")}

	code, stdout, stderr := runChild(t, 2*time.Minute, nil, args...)
	if code != exitCheckFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	out := stderr + stdout
	summary := strings.Index(stdout, "partcopy conform: FAIL")
	list := strings.Index(stdout, "failed specs (")
	if summary < 0 || list < summary {
		t.Errorf("want the summary, then the failed specs:\n%s", stdout)
	}
	if !strings.Contains(stdout[max(list, 0):], "D01 ") || !strings.Contains(stdout[max(list, 0):], "no-etag-200") {
		t.Errorf("the failed-spec list does not name D01 and its reason:\n%s", stdout)
	}
	for _, dump := range []string{"[FAILED]", "Summarizing", "•"} {
		if strings.Contains(out, dump) {
			t.Errorf("Ginkgo output %q without -v:\n%s", dump, out)
		}
	}
	if !regexp.MustCompile(`(?m)^\[ *\d+/\d+\] failed +D01 `).MatchString(stderr) {
		t.Errorf("no progress line for the failed spec:\n%s", stderr)
	}

	_, vout, verr := runChild(t, 2*time.Minute, nil, append(args, "-v")...)
	if !strings.Contains(vout+verr, "[FAILED]") {
		t.Errorf("-v does not bring Ginkgo's failure dump back:\n%s", vout)
	}
}

func joinLines(ls []timedLine) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.at.Format("15:04:05.000 ") + l.text + "\n")
	}
	return b.String()
}
