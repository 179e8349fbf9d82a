package main

import (
	"bufio"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/partcopy/partcopy/internal/s3call"
)

// cleanupOptions are the flags of 'partcopy cleanup'.
type cleanupOptions struct {
	ep         endpointFlags
	prefixes   []string
	olderThan  time.Duration
	yes        bool
	configFile string
}

// defaultCleanupPrefixes are the bucket name prefixes partcopy uses: the
// suites' ("pc-<kind>-<run id>...") and the load's ("partcopy-load-...").
var defaultCleanupPrefixes = []string{"pc", "partcopy-load"}

func init() {
	register(func() *cobra.Command {
		o := &cleanupOptions{}
		cmd := &cobra.Command{
			Use:   "cleanup --endpoint URL [--prefix P] [--older-than D] [--yes]",
			Short: "Remove the buckets, objects, versions and uploads earlier runs left behind",
			Long: `cleanup removes what interrupted or killed partcopy runs left on an endpoint:
every bucket named the way partcopy names its buckets, with all its object
versions, delete markers and multipart uploads.

A bucket is partcopy's when its name is PREFIX-<kind>-<run id><n>-<n> (the
conformance suites; PREFIX "pc" unless --bucket-prefix said otherwise) or
PREFIX-[<tag>-]<hex> (the load; PREFIX "partcopy-load"). Other buckets are
never touched, whatever their prefix.

It lists what it will remove first. Without --yes it asks on a terminal; run
without a terminal (CI) it only lists and deletes nothing. Setup-style
retries apply: 503 SlowDown and 500 InternalError are retried with backoff.

Exit codes: 0 removed (or nothing to remove, or listed only); 1 something
could not be removed; 2 usage or connection error.`,
			Example: `  # what would go
  partcopy cleanup --endpoint http://127.0.0.1:9000 --access-key AK --secret-key SK

  # remove leftovers older than an hour, no questions (CI)
  partcopy cleanup --endpoint http://127.0.0.1:9000 --older-than 1h --yes

  # runs that used --bucket-prefix ci-s3
  partcopy cleanup --endpoint ... --prefix ci-s3 --yes`,
			Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				if err := applyConfigFile(c, o.configFile); err != nil {
					return err
				}
				return runCleanup(c, o)
			},
		}
		fs := cmd.Flags()
		o.ep.add(fs)
		fs.StringArrayVar(&o.prefixes, "prefix", nil, "bucket name prefix of the runs to clean up, repeatable (default: pc and partcopy-load)")
		fs.DurationVar(&o.olderThan, "older-than", 0, "only buckets created longer ago than this (0: every age)")
		fs.BoolVarP(&o.yes, "yes", "y", false, "delete without asking")
		fs.StringVar(&o.configFile, "config", "", "YAML file of options (keys are flag names); explicit flags override it")
		return cmd
	})
}

// leftover is a bucket cleanup would remove.
type leftover struct {
	Name    string
	Created time.Time
}

// partcopyBucket reports whether name is a bucket partcopy made with one of
// the prefixes: the suites' PREFIX-<kind>-<6 hex run id><process>-<seq>,
// or the load's PREFIX-[<tag>-]<8 or 12 hex>.
func partcopyBucket(name string, prefixes []string) bool {
	for _, p := range prefixes {
		rest, ok := strings.CutPrefix(name, strings.ToLower(p)+"-")
		if !ok {
			continue
		}
		if suiteBucket.MatchString(rest) || loadBucket.MatchString(rest) {
			return true
		}
	}
	return false
}

var (
	suiteBucket = regexp.MustCompile(`^[a-z0-9]+-[0-9a-f]{6}[0-9]+-[0-9]+$`)
	loadBucket  = regexp.MustCompile(`^([a-z0-9-]+-[0-9a-f]{8}|[0-9a-f]{12})$`)
)

func runCleanup(c *cobra.Command, o *cleanupOptions) error {
	if o.olderThan < 0 {
		return usageError("--older-than must not be negative")
	}
	prefixes := o.prefixes
	if len(prefixes) == 0 {
		prefixes = defaultCleanupPrefixes
	}
	for _, p := range prefixes {
		if p == "" || strings.Trim(strings.ToLower(p), "abcdefghijklmnopqrstuvwxyz0123456789-.") != "" {
			return usageError("--prefix %q: use lower-case letters, digits, '-' or '.'", p)
		}
	}
	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	res, embedded, err := o.ep.resolve(ctx)
	if err != nil {
		return err
	}
	if embedded {
		return usageError("cleanup needs --endpoint (or AWS_ENDPOINT_URL_S3): the embedded endpoint keeps nothing after a run")
	}
	cfg := o.ep.clientConfig(res)
	if err := probe(ctx, cfg, o.ep.source); err != nil {
		return err
	}
	client, err := s3call.New(cfg)
	if err != nil {
		return asUsage(err)
	}
	all, err := listBuckets(ctx, client)
	if err != nil {
		return usageError("listing the buckets of %s: %v", cfg.Endpoint, err)
	}
	now := time.Now()
	var doomed []leftover
	for _, b := range all {
		if !partcopyBucket(b.Name, prefixes) {
			continue
		}
		if o.olderThan > 0 && (b.Created.IsZero() || now.Sub(b.Created) < o.olderThan) {
			continue
		}
		doomed = append(doomed, b)
	}
	out := c.OutOrStdout()
	if len(doomed) == 0 {
		fmt.Fprintf(out, "partcopy cleanup: no bucket of partcopy's (prefixes %s) on %s\n", strings.Join(prefixes, ", "), cfg.Endpoint)
		return nil
	}
	fmt.Fprintf(out, "partcopy cleanup: %d bucket(s) of partcopy's on %s:\n", len(doomed), cfg.Endpoint)
	for _, b := range doomed {
		age := "age unknown"
		if !b.Created.IsZero() {
			age = "created " + b.Created.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(out, "  %s (%s)\n", b.Name, age)
	}
	if !o.yes {
		// /dev/null is a character device too: ask the terminal itself.
		if !term.IsTerminal(int(os.Stdin.Fd())) {
			fmt.Fprintln(out, "partcopy cleanup: nothing deleted: not a terminal; pass --yes to delete them")
			return nil
		}
		fmt.Fprintf(out, "Delete them with every object, version and upload in them? [y/N] ")
		if !confirmed(os.Stdin) {
			fmt.Fprintln(out, "partcopy cleanup: nothing deleted")
			return nil
		}
	}
	failed := 0
	for _, b := range doomed {
		n, err := removeBucket(ctx, client, b.Name)
		if err != nil {
			failed++
			fmt.Fprintf(out, "  %s: NOT removed: %s\n", b.Name, oneLine(err.Error()))
			continue
		}
		fmt.Fprintf(out, "  %s: removed (%d object version(s), %d upload(s))\n", b.Name, n.versions, n.uploads)
	}
	if failed > 0 {
		return checkFailed("%d of %d bucket(s) could not be removed (see above)", failed, len(doomed))
	}
	fmt.Fprintf(out, "partcopy cleanup: removed %d bucket(s)\n", len(doomed))
	return nil
}

func confirmed(r io.Reader) bool {
	line, _ := bufio.NewReader(io.LimitReader(r, 1024)).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// listBuckets is ListBuckets with every name and creation date.
func listBuckets(ctx context.Context, c *s3call.Client) ([]leftover, error) {
	ex, err := s3call.Retry(ctx, func() (*s3call.Exchange, error) { return c.ListBuckets(ctx) })
	if err := s3call.Check("ListBuckets", ex, err, 200); err != nil {
		return nil, err
	}
	var res struct {
		Buckets []struct {
			Name         string `xml:"Name"`
			CreationDate string `xml:"CreationDate"`
		} `xml:"Buckets>Bucket"`
	}
	if err := xml.Unmarshal(ex.Body, &res); err != nil {
		return nil, fmt.Errorf("unreadable ListBuckets answer: %w", err)
	}
	out := make([]leftover, 0, len(res.Buckets))
	for _, b := range res.Buckets {
		t, _ := time.Parse(time.RFC3339, b.CreationDate)
		out = append(out, leftover{Name: b.Name, Created: t})
	}
	return out, nil
}

type removed struct{ versions, uploads int }

// removeBucket counts what the bucket holds, then empties and deletes it
// (s3call.EmptyAndDeleteBucket, which retries). A bucket policy a spec
// left (denying its owner, say) is deleted first when the first try fails.
func removeBucket(ctx context.Context, c *s3call.Client, bucket string) (removed, error) {
	var n removed
	if ups, _, err := c.ListMultipartUploads(ctx, bucket); err == nil {
		n.uploads = len(ups)
	}
	if vs, _, err := c.ListObjectVersions(ctx, bucket); err == nil {
		n.versions = len(vs)
	}
	err := c.EmptyAndDeleteBucket(ctx, bucket)
	if err != nil {
		_, _ = c.DeleteBucketPolicy(ctx, bucket)
		err = c.EmptyAndDeleteBucket(ctx, bucket)
	}
	return n, err
}
