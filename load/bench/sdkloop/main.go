// Command sdkloop is the "net/http + aws-sdk-go-v2 signer" reference of
// load/bench/generators.sh: a closed loop of -c goroutines, each sending
// the same UploadPartCopy (PUT with x-amz-copy-source) signed by
// aws-sdk-go-v2's v4 signer through one shared net/http client, reading
// the body and counting 200s. No D02 rule, no histogram: the floor of what
// a Go generator built on the standard client and the SDK signer costs.
// It prints "requests N ok M".
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func main() {
	endpoint := flag.String("endpoint", "", "endpoint URL")
	conns := flag.Int("c", 16, "connections (goroutines)")
	dur := flag.Duration("d", 10*time.Second, "duration")
	ca := flag.String("ca-cert", "", "PEM file of the endpoint's CA (https)")
	flag.Parse()
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if *ca != "" {
		pem, err := os.ReadFile(*ca)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdkloop:", err)
			os.Exit(2)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tlsCfg.RootCAs = pool
	}
	hc := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true, TLSClientConfig: tlsCfg},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: "BENCHACCESSKEY", SecretAccessKey: "bench-secret-key-not-a-secret"}
	url := *endpoint + "/bench-bucket/dst/00000001?partNumber=1&uploadId=null-upload-id"
	var n, ok atomic.Int64
	end := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for i := 0; i < *conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for time.Now().Before(end) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, nil)
				if err != nil {
					panic(err)
				}
				req.Header.Set("X-Amz-Copy-Source", "/bench-bucket/src/000")
				req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
				if err := signer.SignHTTP(ctx, creds, req, emptySHA256, "s3", "us-east-1", time.Now()); err != nil {
					panic(err)
				}
				resp, err := hc.Do(req)
				n.Add(1)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("requests %d ok %d\n", n.Load(), ok.Load())
}
