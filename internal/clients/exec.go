package clients

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/partcopy/partcopy/reports"
)

// Client is one row of the matrix: a command that follows the contract.
type Client struct {
	// Name is the row's name.
	Name string
	// Kind is "builtin" or "exec".
	Kind string
	// SDK and Retries describe a built-in driver.
	SDK, Retries string
	// Versions are "module version" lines of what is tested.
	Versions []string
	// Argv is the command; for --exec it is sh -c COMMAND.
	Argv []string
	// Display is the command as the report shows it.
	Display string
	// Dir is the working directory ("" = partcopy's).
	Dir string
	// Unsupported, when set, is why the client cannot run here: every cell
	// of the row is "unsupported" with this reason.
	Unsupported string
}

// Info returns the client as the report describes it.
func (c Client) Info() reports.ClientInfo {
	return reports.ClientInfo{Name: c.Name, Kind: c.Kind, SDK: c.SDK, Retries: c.Retries,
		Versions: append([]string{}, c.Versions...), Command: c.Display, Unsupported: c.Unsupported}
}

// ExecClient is a user's --exec command, run with sh -c.
func ExecClient(name, command string) Client {
	return Client{Name: name, Kind: "exec", Argv: []string{"sh", "-c", command}, Display: command}
}

// Contract is the environment a client gets for one cell (the documented
// --exec contract; see docs/clients.md).
type Contract struct {
	Endpoint     string // PARTCOPY_ENDPOINT: the proxy's URL
	AccessKey    string // AWS_ACCESS_KEY_ID
	SecretKey    string // AWS_SECRET_ACCESS_KEY
	SessionToken string // AWS_SESSION_TOKEN (only when set)
	Region       string // AWS_REGION
	Bucket       string // PARTCOPY_BUCKET
	Key          string // PARTCOPY_KEY
	UploadID     string // PARTCOPY_UPLOAD_ID
	PartNumber   int    // PARTCOPY_PART_NUMBER
	CopySource   string // PARTCOPY_COPY_SOURCE: the x-amz-copy-source value
	Debug        bool   // PARTCOPY_DEBUG=1: drivers log the wire (redacted by partcopy)
}

// env returns the process environment for the contract: partcopy's own
// environment without any AWS_* variable (a profile, config file, endpoint
// or retry setting of the caller must not change what is tested), then the
// contract's variables. AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3 name the
// proxy too, for clients that read the standard variables.
func (c Contract) env() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "PARTCOPY_") {
			continue
		}
		out = append(out, kv)
	}
	set := func(k, v string) { out = append(out, k+"="+v) }
	set("PARTCOPY_ENDPOINT", c.Endpoint)
	set("AWS_ENDPOINT_URL", c.Endpoint)
	set("AWS_ENDPOINT_URL_S3", c.Endpoint)
	set("AWS_ACCESS_KEY_ID", c.AccessKey)
	set("AWS_SECRET_ACCESS_KEY", c.SecretKey)
	if c.SessionToken != "" {
		set("AWS_SESSION_TOKEN", c.SessionToken)
	}
	set("AWS_REGION", c.Region)
	set("AWS_DEFAULT_REGION", c.Region)
	set("AWS_EC2_METADATA_DISABLED", "true")
	set("AWS_CONFIG_FILE", os.DevNull)
	set("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	set("PARTCOPY_BUCKET", c.Bucket)
	set("PARTCOPY_KEY", c.Key)
	set("PARTCOPY_UPLOAD_ID", c.UploadID)
	set("PARTCOPY_PART_NUMBER", strconv.Itoa(c.PartNumber))
	set("PARTCOPY_COPY_SOURCE", c.CopySource)
	if c.Debug {
		set("PARTCOPY_DEBUG", "1")
	}
	return out
}

// maxOutput caps what is kept of a client's stdout and stderr each.
const maxOutput = 64 << 10

// cappedBuffer keeps the first and last bytes of a long output: the ETag
// is at the end of stdout, an error usually at the end of stderr.
type cappedBuffer struct {
	head, tail []byte
	dropped    int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := maxOutput/2 - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	b.tail = append(b.tail, p...)
	if over := len(b.tail) - maxOutput/2; over > 0 {
		b.tail = b.tail[over:]
		b.dropped += over
	}
	return n, nil
}

func (b *cappedBuffer) String() string {
	if b.dropped == 0 {
		return string(b.head) + string(b.tail)
	}
	return string(b.head) + "\n[... " + strconv.Itoa(b.dropped) + " bytes dropped ...]\n" + string(b.tail)
}

// ran is what running a client once gave.
type ran struct {
	reported reports.ClientReported
	stderr   string
	duration time.Duration
}

// runClient runs the client's command once with the contract's environment
// and reads its word: exit 0 is success with the ETag on stdout's last
// non-empty line. The process group is killed at the timeout (or when ctx
// ends). red redacts everything kept.
func runClient(ctx context.Context, c Client, ct Contract, timeout time.Duration, red *reports.Redactor) ran {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = ct.env()
	cmd.Stdin = nil
	var stdout, stderr cappedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	start := time.Now()
	err := cmd.Run()
	out := ran{duration: time.Since(start)}
	rep := reports.ClientReported{ExitCode: -1}
	var ee *exec.ExitError
	switch {
	case err == nil:
		rep.ExitCode, rep.Success = 0, true
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		rep.TimedOut = true
	case errors.As(err, &ee):
		rep.ExitCode = ee.ExitCode()
	}
	errText := strings.TrimSpace(redactOutput(red, stderr.String()))
	if rep.Success {
		rep.ETag = redactOutput(red, lastLine(stdout.String()))
	} else {
		rep.Error = lastLines(errText, 8)
		if rep.Error == "" {
			rep.Error = strings.TrimSpace(redactOutput(red, lastLines(stdout.String(), 4)))
		}
		if rep.Error == "" && err != nil {
			rep.Error = red.String(err.Error())
		}
		if rep.TimedOut {
			rep.Error = strings.TrimSpace("killed after " + timeout.String() + "; " + rep.Error)
		}
	}
	out.reported, out.stderr = rep, errText
	return out
}

// hex64 matches what SigV4 debug output prints besides the Authorization
// header: signatures and signing keys (64 hex digits). Payload hashes look
// the same and go too; ETags (32 hex digits) stay.
var hex64 = regexp.MustCompile(`\b[0-9a-fA-F]{64}\b`)

// redactOutput removes secrets from a client's output: the report
// redactor's patterns and secrets, then every 64-hex-digit token.
func redactOutput(red *reports.Redactor, s string) string {
	return hex64.ReplaceAllString(red.String(s), reports.Redacted)
}

// lastLine is the last non-empty line of s: the contract's ETag line.
func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

func lastLines(s string, n int) string {
	s = strings.TrimSpace(s)
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
