package main

import (
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partcopy/partcopy/internal/refserver"
	"github.com/partcopy/partcopy/internal/s3call"
)

func TestPartcopyBucketNames(t *testing.T) {
	p := defaultCleanupPrefixes
	for name, want := range map[string]bool{
		"pc-src-1a2b3c1-7":              true,
		"pc-dst-abcdef12-130":           true,
		"partcopy-load-0123456789ab":    true,
		"partcopy-load-s3-1-0123abcd":   true,
		"pc-important":                  false,
		"partcopy-load-mydata":          false,
		"my-pc-src-1a2b3c1-7":           false,
		"pcsrc-1a2b3c1-7":               false,
		"partcopy-load-0123456789abcd0": false,
	} {
		if got := partcopyBucket(name, p); got != want {
			t.Errorf("partcopyBucket(%q) = %v, want %v", name, got, want)
		}
	}
	if !partcopyBucket("ci-s3-src-1a2b3c1-7", []string{"ci-s3"}) {
		t.Error("a custom prefix is not matched")
	}
}

// leftovers counts the buckets and uploads on the endpoint.
func leftovers(t *testing.T, c *s3call.Client) (buckets, uploads int, names []string) {
	t.Helper()
	ctx := context.Background()
	bs, err := listBuckets(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		names = append(names, b.Name)
		ups, _, err := c.ListMultipartUploads(ctx, b.Name)
		if err == nil {
			uploads += len(ups)
		}
	}
	return len(bs), uploads, names
}

// TestInterruptedRunsThenCleanup: conform and load against 'partcopy
// serve', stopped by SIGINT at a random point or killed with SIGKILL,
// leave what they leave; 'partcopy cleanup --yes' then leaves 0 buckets
// and 0 uploads. Without --yes and without a terminal it only lists.
func TestInterruptedRunsThenCleanup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs partcopy several times")
	}
	srv, base := startServeChild(t)
	_ = srv
	main := refserver.DefaultMain
	creds := []string{"--access-key", main.AccessKey, "--secret-key", main.SecretKey}
	c, err := s3call.New(s3call.Config{Endpoint: base, Credentials: s3call.Credentials{AccessKey: main.AccessKey, SecretKey: main.SecretKey}})
	if err != nil {
		t.Fatal(err)
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	conform := append([]string{"conform", "--endpoint", base, "--skip-large", "--out", t.TempDir()}, creds...)
	load := append([]string{"load", "--endpoint", base, "--concurrency", "8", "--duration", "30s", "--source-size", "6MiB", "--part-size", "5MiB", "--complete-every", "1000", "--out", t.TempDir()}, creds...)
	// A run that leaves a user's bucket with an unfinished upload: cleanup
	// must never touch it.
	ctx := context.Background()
	if ex, err := c.CreateBucket(ctx, "users-own-bucket", nil); err != nil || ex.Status != 200 {
		t.Fatalf("CreateBucket: %v %v", ex, err)
	}
	killed := 0
	for i, run := range []struct {
		args []string
		sig  os.Signal
	}{
		{conform, syscall.SIGKILL},
		{load, syscall.SIGKILL},
		{conform, os.Interrupt},
		{load, os.Interrupt},
		{conform, os.Interrupt},
	} {
		p := startChild(t, nil, run.args...)
		wait := time.Duration(500+rng.IntN(2500)) * time.Millisecond
		time.Sleep(wait)
		_ = p.cmd.Process.Signal(run.sig)
		code := p.wait(t, 3*time.Minute)
		t.Logf("run %d: %s %v after %v: exit %d", i, run.args[0], run.sig, wait, code)
		if run.sig == syscall.SIGKILL {
			killed++
		} else if code != exitInterrupted && code != exitCheckFailed && code != exitOK {
			t.Errorf("run %d: SIGINT gave exit %d; stderr %s", i, code, p.stderr.String())
		}
	}
	before, beforeUps, names := leftovers(t, c)
	t.Logf("before cleanup: %d bucket(s) (%s), %d upload(s)", before, strings.Join(names, " "), beforeUps)
	if before < 2 {
		t.Fatalf("the killed runs left only %d bucket(s): the test proves nothing", before)
	}

	// Without --yes and without a terminal: a listing, nothing deleted.
	code, stdout, stderr := runChild(t, time.Minute, nil, append([]string{"cleanup", "--endpoint", base}, creds...)...)
	if code != exitOK || !strings.Contains(stdout, "nothing deleted") {
		t.Errorf("cleanup without --yes: exit %d, %q %q", code, stdout, stderr)
	}
	if n, _, _ := leftovers(t, c); n != before {
		t.Errorf("cleanup without --yes deleted %d bucket(s)", before-n)
	}
	code, stdout, stderr = runChild(t, 3*time.Minute, nil, append([]string{"cleanup", "--endpoint", base, "--yes"}, creds...)...)
	if code != exitOK {
		t.Errorf("cleanup --yes: exit %d, %q %q", code, stdout, stderr)
	}
	after, afterUps, names := leftovers(t, c)
	if after != 1 || afterUps != 0 || names[0] != "users-own-bucket" {
		t.Errorf("after cleanup: %d bucket(s) %v and %d upload(s); want only users-own-bucket", after, names, afterUps)
	}
	if !strings.Contains(stdout, "removed") {
		t.Errorf("cleanup does not list what it removed: %s", stdout)
	}
}

// TestLoadSetupRetriesSlowDown: with 30% of PUTs (bucket, source object,
// copies) and upload creations answered 503 SlowDown by the fault proxy, load's setup still
// succeeds (it retries with backoff) and the run measures copies.
func TestLoadSetupRetriesSlowDown(t *testing.T) {
	if testing.Short() {
		t.Skip("runs partcopy")
	}
	_, base := startServeChild(t)
	p := startChild(t, nil, "proxy", "--target", base, "--listen", "127.0.0.1:0", "--seed", "7",
		"--fault", "put:status=503@30%", "--fault", "post?uploads:status=503@30%", "--duration", "2m")
	var purl string
	for i := 0; i < 200 && purl == ""; i++ {
		if s := p.stdout.String(); strings.Contains(s, "\n") {
			purl = strings.TrimSpace(strings.SplitN(s, "\n", 2)[0])
		}
		time.Sleep(25 * time.Millisecond)
	}
	if purl == "" {
		t.Fatalf("proxy printed no URL: %s", p.stderr.String())
	}
	main := refserver.DefaultMain
	for i := 0; i < 3; i++ {
		code, stdout, stderr := runChild(t, 2*time.Minute, nil, "load", "--endpoint", purl, "--access-key", main.AccessKey, "--secret-key", main.SecretKey,
			"--concurrency", "4", "--duration", "1s", "--source-size", "64KiB", "--out", t.TempDir())
		if code != exitOK {
			t.Fatalf("run %d: exit %d; stderr %s; stdout %s", i, code, stderr, stdout)
		}
	}
}
