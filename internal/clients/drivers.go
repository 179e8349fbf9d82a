package clients

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The built-in SDKs, in matrix order.
const (
	SDKGoV2  = "aws-sdk-go-v2"
	SDKMinio = "minio-go"
	SDKBoto3 = "boto3"
	SDKJSv3  = "aws-sdk-js-v3"
)

// BuiltinSDKs lists the built-in drivers' SDK names.
var BuiltinSDKs = []string{SDKGoV2, SDKMinio, SDKBoto3, SDKJSv3}

// Retry settings of the built-in rows.
const (
	RetriesDefault = "default"
	RetriesOff     = "off"
)

// DriverOptions say which built-in drivers to prepare and where.
type DriverOptions struct {
	// Dir holds the drivers' sources (go/, python/, node/); "" means
	// DefaultDriversDir.
	Dir string
	// CacheDir is where built drivers and npm packages go; "" means
	// DefaultCacheDir.
	CacheDir string
	// SDKs selects drivers (BuiltinSDKs names); nil means all.
	SDKs []string
	// Retries selects the rows per driver ("default", "off"); nil means both.
	Retries []string
	// Logf gets a line per preparation step; nil: silent.
	Logf func(string, ...any)
}

// DefaultDriversDir is the drivers directory of the source tree partcopy
// was built from, when it still exists; "" otherwise.
func DefaultDriversDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	d := filepath.Join(filepath.Dir(file), "drivers")
	if st, err := os.Stat(filepath.Join(d, "go", "go.mod")); err == nil && !st.IsDir() {
		return d
	}
	return ""
}

// DefaultCacheDir is $PARTCOPY_CACHE/clients, else the user cache
// directory's partcopy/clients (as deploy/ uses), else a temp directory.
func DefaultCacheDir() string {
	if d := os.Getenv("PARTCOPY_CACHE"); d != "" {
		return filepath.Join(d, "clients")
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "partcopy", "clients")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".cache", "partcopy", "clients")
	}
	return filepath.Join(os.TempDir(), "partcopy-cache", "clients")
}

// BuiltinClients prepares the selected built-in drivers (building the Go
// one, installing the Node one) and returns their rows: per driver one row
// with the SDK's default retries and one with retries off. A driver that
// cannot run here is still returned, with Unsupported saying why.
func BuiltinClients(ctx context.Context, o DriverOptions) ([]Client, error) {
	sdks := o.SDKs
	if len(sdks) == 0 {
		sdks = BuiltinSDKs
	}
	retries := o.Retries
	if len(retries) == 0 {
		retries = []string{RetriesDefault, RetriesOff}
	}
	for _, s := range sdks {
		if !contains(BuiltinSDKs, s) {
			return nil, fmt.Errorf("unknown built-in client %q (want %s)", s, strings.Join(BuiltinSDKs, ", "))
		}
	}
	for _, r := range retries {
		if r != RetriesDefault && r != RetriesOff {
			return nil, fmt.Errorf("unknown retry setting %q (want default or off)", r)
		}
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir := o.Dir
	if dir == "" {
		dir = DefaultDriversDir()
	}
	cache := o.CacheDir
	if cache == "" {
		cache = DefaultCacheDir()
	}
	var out []Client
	var goDrv *prepared
	for _, sdk := range sdks {
		var p prepared
		switch {
		case dir == "":
			p.unsupported = "the drivers' sources were not found: pass --drivers-dir (internal/clients/drivers of a partcopy checkout)"
		case sdk == SDKGoV2 || sdk == SDKMinio:
			if goDrv == nil {
				g := prepareGo(ctx, filepath.Join(dir, "go"), cache, logf)
				goDrv = &g
			}
			p = *goDrv
			p.argv = append(append([]string{}, p.argv...), "-client", sdk)
			p.versions = filterVersions(p.versions, sdk)
		case sdk == SDKBoto3:
			p = preparePython(ctx, filepath.Join(dir, "python", "boto3_driver.py"))
		case sdk == SDKJSv3:
			p = prepareNode(ctx, filepath.Join(dir, "node"), cache, logf)
		}
		for _, r := range retries {
			c := Client{Name: sdk, Kind: "builtin", SDK: sdk, Retries: r, Versions: p.versions, Unsupported: p.unsupported}
			if r == RetriesOff {
				c.Name += " (retries off)"
			}
			if p.unsupported == "" {
				flag := "-retries"
				if sdk == SDKBoto3 || sdk == SDKJSv3 {
					flag = "--retries"
				}
				c.Argv = append(append([]string{}, p.argv...), flag, r)
				c.Display = strings.Join(displayArgv(c.Argv, cache, dir), " ")
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// prepared is a driver ready to run, or why it cannot.
type prepared struct {
	argv        []string
	versions    []string
	unsupported string
}

// prepareGo builds the Go drivers' module into the cache, once per source
// hash: go build with -mod=readonly from the module's own go.sum.
func prepareGo(ctx context.Context, src, cache string, logf func(string, ...any)) prepared {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return prepared{unsupported: "the go toolchain is not on PATH (it builds the Go drivers)"}
	}
	sum, err := hashFiles(src, "go.mod", "go.sum", "main.go")
	if err != nil {
		return prepared{unsupported: "Go driver sources: " + err.Error()}
	}
	bin := filepath.Join(cache, "go-driver-"+sum, "partcopy-go-driver")
	if _, err := os.Stat(bin); err != nil {
		logf("clients: building the Go drivers (aws-sdk-go-v2, minio-go) into %s", filepath.Dir(bin))
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return prepared{unsupported: "cache: " + err.Error()}
		}
		tmp := bin + ".tmp" + strconv.Itoa(os.Getpid())
		bctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(bctx, goBin, "build", "-trimpath", "-o", tmp, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.Remove(tmp)
			return prepared{unsupported: "building the Go drivers failed: " + lastLines(string(out), 4)}
		}
		if err := os.Rename(tmp, bin); err != nil {
			return prepared{unsupported: "cache: " + err.Error()}
		}
	}
	vers, err := runVersions(ctx, []string{bin, "-versions"}, "")
	if err != nil {
		return prepared{unsupported: "the Go driver does not run: " + err.Error()}
	}
	return prepared{argv: []string{bin}, versions: vers}
}

// filterVersions keeps the lines about sdk (and the toolchain).
func filterVersions(vers []string, sdk string) []string {
	var out []string
	for _, v := range vers {
		switch {
		case sdk == SDKGoV2 && strings.HasPrefix(v, "github.com/aws/"),
			sdk == SDKMinio && strings.HasPrefix(v, "github.com/minio/"),
			strings.HasPrefix(v, "go "):
			out = append(out, v)
		}
	}
	return out
}

// preparePython finds python3 and boto3; without either the rows say so.
func preparePython(ctx context.Context, script string) prepared {
	py, err := exec.LookPath("python3")
	if err != nil {
		return prepared{unsupported: "python3 is not on PATH"}
	}
	if _, err := os.Stat(script); err != nil {
		return prepared{unsupported: "boto3 driver: " + err.Error()}
	}
	argv := []string{py, script}
	vers, err := runVersions(ctx, append(argv, "--versions"), "")
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		return prepared{unsupported: "boto3 not installed"}
	}
	if err != nil {
		return prepared{unsupported: "the boto3 driver does not run: " + err.Error()}
	}
	return prepared{argv: argv, versions: vers}
}

// prepareNode installs the pinned @aws-sdk/client-s3 (package-lock.json,
// npm ci) into the cache, once per lock hash.
func prepareNode(ctx context.Context, src, cache string, logf func(string, ...any)) prepared {
	node, err := exec.LookPath("node")
	if err != nil {
		return prepared{unsupported: "node is not on PATH (Node.js 18 or newer runs the @aws-sdk/client-s3 driver)"}
	}
	if out, err := exec.CommandContext(ctx, node, "-p", "process.versions.node.split('.')[0]").Output(); err == nil {
		if major, _ := strconv.Atoi(strings.TrimSpace(string(out))); major > 0 && major < 18 {
			return prepared{unsupported: "node " + strings.TrimSpace(string(out)) + " is too old: @aws-sdk/client-s3 v3 needs Node.js 18 or newer"}
		}
	}
	sum, err := hashFiles(src, "package.json", "package-lock.json", "driver.mjs")
	if err != nil {
		return prepared{unsupported: "Node driver sources: " + err.Error()}
	}
	dir := filepath.Join(cache, "node-driver-"+sum)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-s3", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return prepared{unsupported: "npm is not on PATH (it installs @aws-sdk/client-s3)"}
		}
		logf("clients: installing @aws-sdk/client-s3 (npm ci) into %s", dir)
		tmp := dir + ".tmp" + strconv.Itoa(os.Getpid())
		_ = os.RemoveAll(tmp)
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return prepared{unsupported: "cache: " + err.Error()}
		}
		for _, f := range []string{"package.json", "package-lock.json", "driver.mjs"} {
			b, err := os.ReadFile(filepath.Join(src, f))
			if err == nil {
				err = os.WriteFile(filepath.Join(tmp, f), b, 0o644) //nolint:gosec // G703: fixed file names into partcopy's own cache
			}
			if err != nil {
				return prepared{unsupported: "cache: " + err.Error()}
			}
		}
		nctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(nctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.RemoveAll(tmp)
			return prepared{unsupported: "npm ci of @aws-sdk/client-s3 failed: " + lastLines(string(out), 4)}
		}
		_ = os.RemoveAll(dir)
		if err := os.Rename(tmp, dir); err != nil {
			return prepared{unsupported: "cache: " + err.Error()}
		}
	}
	argv := []string{node, filepath.Join(dir, "driver.mjs")}
	vers, err := runVersions(ctx, append(argv, "--versions"), dir)
	if err != nil {
		return prepared{unsupported: "the @aws-sdk/client-s3 driver does not run: " + err.Error()}
	}
	return prepared{argv: argv, versions: vers}
}

// runVersions runs a driver's version query and returns its lines.
func runVersions(ctx context.Context, argv []string, dir string) ([]string, error) {
	vctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(vctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("%w: %s", err, lastLines(stderr.String(), 2))
		}
		return nil, err
	}
	var vers []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			vers = append(vers, l)
		}
	}
	return vers, nil
}

// hashFiles is a short hash of the named files of dir: the cache key.
func hashFiles(dir string, names ...string) (string, error) {
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// displayArgv shortens the cache and source paths in a command for reports.
func displayArgv(argv []string, cache, dir string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		a = strings.Replace(a, cache, "$CACHE", 1)
		a = strings.Replace(a, dir, "drivers", 1)
		out[i] = filepath.Base(a)
		if strings.HasPrefix(a, "$CACHE") || strings.HasPrefix(a, "drivers") || !strings.Contains(a, "/") {
			out[i] = a
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
