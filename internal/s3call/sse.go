package s3call

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"

	"github.com/partcopy/partcopy/internal/redact"
)

// SSE-C header names (D09-D11, D14).
const (
	HdrSSECAlgorithm       = "X-Amz-Server-Side-Encryption-Customer-Algorithm"
	HdrSSECKey             = "X-Amz-Server-Side-Encryption-Customer-Key"
	HdrSSECKeyMD5          = "X-Amz-Server-Side-Encryption-Customer-Key-Md5"
	HdrCopySSECAlgorithm   = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm"
	HdrCopySSECKey         = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key"
	HdrCopySSECKeyMD5      = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key-Md5"
	HdrSSE                 = "X-Amz-Server-Side-Encryption"
	HdrSSEKMSKeyID         = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
	HdrCopySource          = "X-Amz-Copy-Source"
	HdrCopySourceRange     = "X-Amz-Copy-Source-Range"
	HdrSecurityToken       = "X-Amz-Security-Token"
	HdrStorageClass        = "X-Amz-Storage-Class"
	HdrRestore             = "X-Amz-Restore"
	HdrVersionID           = "X-Amz-Version-Id"
	HdrCopySourceVersionID = "X-Amz-Copy-Source-Version-Id"
)

// SSEC is one SSE-C customer key and the three header values that carry
// it. The fields are exported so that specs can send malformed sets (a
// partial set, a wrong MD5, a wrong algorithm, a short key).
type SSEC struct {
	Algorithm string // "AES256"
	KeyB64    string // base64 of the key
	KeyMD5B64 string // base64 of the key's MD5
}

// NewSSEC returns the correct header values for key (32 or 64 bytes).
func NewSSEC(key []byte) SSEC {
	sum := md5.Sum(key)
	// The key is a secret raw and in base64: every output redacts both.
	redact.Add(string(key), base64.StdEncoding.EncodeToString(key))
	return SSEC{
		Algorithm: "AES256",
		KeyB64:    base64.StdEncoding.EncodeToString(key),
		KeyMD5B64: base64.StdEncoding.EncodeToString(sum[:]),
	}
}

// Header returns the destination SSE-C headers; empty fields are omitted,
// which is how specs send partial sets.
func (s SSEC) Header() http.Header {
	return s.put(http.Header{}, HdrSSECAlgorithm, HdrSSECKey, HdrSSECKeyMD5)
}

// CopySourceHeader returns the copy-source SSE-C headers (D10).
func (s SSEC) CopySourceHeader() http.Header {
	return s.put(http.Header{}, HdrCopySSECAlgorithm, HdrCopySSECKey, HdrCopySSECKeyMD5)
}

func (s SSEC) put(h http.Header, alg, key, md5h string) http.Header {
	if s.Algorithm != "" {
		h.Set(alg, s.Algorithm)
	}
	if s.KeyB64 != "" {
		h.Set(key, s.KeyB64)
	}
	if s.KeyMD5B64 != "" {
		h.Set(md5h, s.KeyMD5B64)
	}
	return h
}

// Secret returns the key material that must never be printed.
func (s SSEC) Secret() string { return s.KeyB64 }

// KMSHeader returns SSE-KMS request headers; keyID "" asks for the
// endpoint's default key.
func KMSHeader(keyID string) http.Header {
	h := http.Header{}
	h.Set(HdrSSE, "aws:kms")
	if keyID != "" {
		h.Set(HdrSSEKMSKeyID, keyID)
	}
	return h
}

// MergeHeaders returns a new header with all of hs' values, later ones
// replacing earlier ones key by key.
func MergeHeaders(hs ...http.Header) http.Header {
	out := http.Header{}
	for _, h := range hs {
		for k, v := range h {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
