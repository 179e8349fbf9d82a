// Command partcopy-go-driver runs one UploadPartCopy with a Go S3 SDK, the
// way an application would, and says what the SDK reported. It follows the
// `partcopy clients --exec` contract (docs/clients.md): the request comes
// from PARTCOPY_* and AWS_* environment variables; exit status 0 means the
// SDK reported success, and the ETag it returned is printed on stdout; on
// an error the SDK's error is printed on stderr and the exit status is 1.
//
//	partcopy-go-driver -client aws-sdk-go-v2|minio-go [-retries default|off]
//	partcopy-go-driver -versions
//
// PARTCOPY_DEBUG=1 turns on the SDK's own wire logging (to stderr); partcopy
// redacts what it keeps of it.
//
// The driver never decides whether the copy succeeded: that is the SDK's
// word, which is what partcopy checks.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// env is the request, from the contract's variables.
type env struct {
	endpoint, accessKey, secretKey, region string
	bucket, key, uploadID, copySource      string
	partNumber                             int32
	debug                                  bool
}

func readEnv() (env, error) {
	e := env{
		endpoint:   os.Getenv("PARTCOPY_ENDPOINT"),
		accessKey:  os.Getenv("AWS_ACCESS_KEY_ID"),
		secretKey:  os.Getenv("AWS_SECRET_ACCESS_KEY"),
		region:     os.Getenv("AWS_REGION"),
		bucket:     os.Getenv("PARTCOPY_BUCKET"),
		key:        os.Getenv("PARTCOPY_KEY"),
		uploadID:   os.Getenv("PARTCOPY_UPLOAD_ID"),
		copySource: os.Getenv("PARTCOPY_COPY_SOURCE"),
		debug:      os.Getenv("PARTCOPY_DEBUG") == "1",
	}
	for name, v := range map[string]string{
		"PARTCOPY_ENDPOINT": e.endpoint, "AWS_ACCESS_KEY_ID": e.accessKey, "AWS_SECRET_ACCESS_KEY": e.secretKey,
		"PARTCOPY_BUCKET": e.bucket, "PARTCOPY_KEY": e.key, "PARTCOPY_UPLOAD_ID": e.uploadID, "PARTCOPY_COPY_SOURCE": e.copySource,
	} {
		if v == "" {
			return e, fmt.Errorf("%s is not set", name)
		}
	}
	if e.region == "" {
		e.region = "us-east-1"
	}
	n, err := strconv.Atoi(os.Getenv("PARTCOPY_PART_NUMBER"))
	if err != nil || n < 1 {
		return e, fmt.Errorf("PARTCOPY_PART_NUMBER %q is not a part number", os.Getenv("PARTCOPY_PART_NUMBER"))
	}
	e.partNumber = int32(n)
	return e, nil
}

func main() {
	client := flag.String("client", "", "aws-sdk-go-v2 or minio-go")
	retries := flag.String("retries", "default", "default (the SDK's own retry settings) or off (one attempt)")
	versions := flag.Bool("versions", false, "print the SDK module versions this driver was built with, one per line")
	flag.Parse()
	if *versions {
		printVersions()
		return
	}
	if *retries != "default" && *retries != "off" {
		fail(2, "-retries %q: want default or off", *retries)
	}
	e, err := readEnv()
	if err != nil {
		fail(2, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var etag string
	switch *client {
	case "aws-sdk-go-v2":
		etag, err = awsCopy(ctx, e, *retries == "off")
	case "minio-go":
		etag, err = minioCopy(ctx, e, *retries == "off")
	default:
		fail(2, "-client %q: want aws-sdk-go-v2 or minio-go", *client)
	}
	if err != nil {
		fail(1, "%v", err)
	}
	fmt.Println(etag)
}

func fail(code int, format string, a ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(code)
}

// awsCopy is s3.Client.UploadPartCopy with the SDK's defaults (the standard
// retryer: 3 attempts) or aws.NopRetryer.
func awsCopy(ctx context.Context, e env, noRetry bool) (string, error) {
	opts := s3.Options{
		Region:       e.region,
		Credentials:  credentials.NewStaticCredentialsProvider(e.accessKey, e.secretKey, os.Getenv("AWS_SESSION_TOKEN")),
		BaseEndpoint: aws.String(e.endpoint),
		UsePathStyle: true,
	}
	if noRetry {
		opts.Retryer = aws.NopRetryer{}
	}
	if e.debug {
		opts.ClientLogMode = aws.LogRequest | aws.LogResponseWithBody | aws.LogRetries
		opts.Logger = logging.NewStandardLogger(os.Stderr)
	}
	c := s3.New(opts)
	out, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket:     aws.String(e.bucket),
		Key:        aws.String(e.key),
		UploadId:   aws.String(e.uploadID),
		PartNumber: aws.Int32(e.partNumber),
		CopySource: aws.String(e.copySource),
	})
	if err != nil {
		return "", err
	}
	if out.CopyPartResult == nil || out.CopyPartResult.ETag == nil {
		return "", nil // success without an ETag: the SDK's word, printed as such
	}
	return *out.CopyPartResult.ETag, nil
}

// minioCopy is minio.Core.CopyObjectPart with minio-go's defaults (MaxRetry
// attempts) or one attempt. The copy source "/bucket/key" (URL-encoded) is
// split into the bucket and key minio-go takes.
func minioCopy(ctx context.Context, e env, noRetry bool) (string, error) {
	u, err := url.Parse(e.endpoint)
	if err != nil {
		return "", fmt.Errorf("PARTCOPY_ENDPOINT: %w", err)
	}
	srcBucket, srcKey, err := splitCopySource(e.copySource)
	if err != nil {
		return "", err
	}
	opts := &minio.Options{
		Creds:  miniocreds.NewStaticV4(e.accessKey, e.secretKey, os.Getenv("AWS_SESSION_TOKEN")),
		Secure: u.Scheme == "https",
		Region: e.region,
	}
	if noRetry {
		opts.MaxRetries = 1
	}
	c, err := minio.NewCore(u.Host, opts)
	if err != nil {
		return "", err
	}
	if e.debug {
		c.TraceOn(log.New(os.Stderr, "", 0).Writer())
	}
	p, err := c.CopyObjectPart(ctx, srcBucket, srcKey, e.bucket, e.key, e.uploadID, int(e.partNumber), 0, -1, nil)
	if err != nil {
		return "", err
	}
	return p.ETag, nil
}

// splitCopySource reads "/bucket/key" or "bucket/key" (percent-encoded, an
// optional ?versionId ignored) into bucket and key.
func splitCopySource(s string) (string, string, error) {
	s, _, _ = strings.Cut(s, "?")
	dec, err := url.PathUnescape(strings.TrimPrefix(s, "/"))
	if err != nil {
		return "", "", fmt.Errorf("PARTCOPY_COPY_SOURCE %q: %w", s, err)
	}
	b, k, ok := strings.Cut(dec, "/")
	if !ok || b == "" || k == "" {
		return "", "", fmt.Errorf("PARTCOPY_COPY_SOURCE %q: want /bucket/key", s)
	}
	return b, k, nil
}

// printVersions prints "module version" for the SDK modules, from the build
// information, so a report names exactly what was tested.
func printVersions() {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/aws/aws-sdk-go-v2/service/s3", "github.com/aws/aws-sdk-go-v2", "github.com/minio/minio-go/v7":
			fmt.Println(d.Path, d.Version)
		}
	}
	fmt.Println("go", bi.GoVersion)
}
