package s3call

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

type v4Signer = v4.Signer

func newV4Signer() *v4Signer {
	// S3 does not double-escape the path in the canonical request.
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
}

// sign signs req in place with the client's credentials and signature
// version. Anonymous clients send no Authorization header.
func (c *Client) sign(req *http.Request, payloadHash string) error {
	cr := c.cfg.Credentials
	if cr.IsZero() {
		return nil
	}
	now := c.now().UTC()
	if c.cfg.Signature == SigV2 {
		if cr.SessionToken != "" {
			req.Header.Set("X-Amz-Security-Token", cr.SessionToken)
		}
		if req.Header.Get("Date") == "" && req.Header.Get("X-Amz-Date") == "" {
			req.Header.Set("Date", now.Format(http.TimeFormat))
		}
		sig := SignV2(cr.SecretKey, StringToSignV2(req, c.v2Bucket(req)))
		req.Header.Set("Authorization", "AWS "+cr.AccessKey+":"+sig)
		return nil
	}
	if h := req.Header.Get("X-Amz-Content-Sha256"); h != "" {
		// The caller's header is what the server puts in the canonical
		// request, so it is what gets signed: a deliberately wrong hash then
		// reaches the server's payload check instead of failing the
		// signature.
		payloadHash = h
	} else {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	// The signer rewrites RawQuery into canonical form; the wire must carry
	// the query exactly as the caller wrote it, so restore it afterwards.
	rawQuery := req.URL.RawQuery
	creds := aws.Credentials{AccessKeyID: cr.AccessKey, SecretAccessKey: cr.SecretKey, SessionToken: cr.SessionToken}
	if err := c.signerV4.SignHTTP(req.Context(), creds, req, payloadHash, "s3", c.cfg.region(), now); err != nil {
		return fmt.Errorf("signing request: %w", err)
	}
	req.URL.RawQuery = rawQuery
	return nil
}

// v2Bucket is the bucket named by the Host header in virtual-hosted
// addressing (it belongs in SigV2's canonical resource), or "".
func (c *Client) v2Bucket(req *http.Request) string {
	if !c.cfg.VirtualHost {
		return ""
	}
	if b, ok := strings.CutSuffix(req.Host, "."+c.base.Host); ok {
		return b
	}
	return ""
}

// v2SubResources are the query parameters that belong in SigV2's
// canonicalized resource.
var v2SubResources = map[string]bool{
	"acl": true, "cors": true, "delete": true, "lifecycle": true, "location": true, "logging": true,
	"notification": true, "partNumber": true, "policy": true, "requestPayment": true, "restore": true,
	"tagging": true, "torrent": true, "uploadId": true, "uploads": true, "versionId": true,
	"versioning": true, "versions": true, "website": true,
	"response-cache-control": true, "response-content-disposition": true, "response-content-encoding": true,
	"response-content-language": true, "response-content-type": true, "response-expires": true,
}

// StringToSignV2 builds SigV2's string to sign for req. bucket is the
// virtual-hosted bucket ("" for path-style).
func StringToSignV2(req *http.Request, bucket string) string {
	var b strings.Builder
	b.WriteString(req.Method + "\n")
	b.WriteString(req.Header.Get("Content-MD5") + "\n")
	b.WriteString(req.Header.Get("Content-Type") + "\n")
	if req.Header.Get("X-Amz-Date") != "" {
		b.WriteString("\n")
	} else {
		b.WriteString(req.Header.Get("Date") + "\n")
	}
	// CanonicalizedAmzHeaders: lower-case names, sorted, values joined by ",".
	var names []string
	amz := map[string][]string{}
	for k, vs := range req.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") {
			continue
		}
		if _, seen := amz[lk]; !seen {
			names = append(names, lk)
		}
		for _, v := range vs {
			amz[lk] = append(amz[lk], strings.TrimSpace(v))
		}
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(n + ":" + strings.Join(amz[n], ",") + "\n")
	}
	// CanonicalizedResource.
	if bucket != "" {
		b.WriteString("/" + bucket)
	}
	// The path is taken literally, escapes and their case included.
	path := wirePath(req.URL)
	if path == "" {
		path = "/"
	}
	b.WriteString(path)
	// Sub-resource values enter decoded ("uploadId=a/b", not "a%2Fb"), as
	// botocore's HmacV1Auth and MinIO's verifier have them; '+' stays '+'.
	var subs []string
	for _, kv := range strings.Split(req.URL.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, hasValue := strings.Cut(kv, "=")
		if !v2SubResources[k] {
			continue
		}
		if dv, err := url.PathUnescape(v); err == nil {
			v = dv
		}
		if hasValue {
			subs = append(subs, k+"="+v)
		} else {
			subs = append(subs, k)
		}
	}
	sort.SliceStable(subs, func(i, j int) bool {
		ki, _, _ := strings.Cut(subs[i], "=")
		kj, _, _ := strings.Cut(subs[j], "=")
		return ki < kj
	})
	if len(subs) > 0 {
		b.WriteString("?" + strings.Join(subs, "&"))
	}
	return b.String()
}

// SignV2 returns base64(HMAC-SHA1(secret, stringToSign)).
func SignV2(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
