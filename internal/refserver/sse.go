package refserver

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

const (
	ssecPrefix     = "X-Amz-Server-Side-Encryption-Customer-"
	ssecCopyPrefix = "X-Amz-Copy-Source-Server-Side-Encryption-Customer-"
)

// ssecKey is a validated SSE-C key as sent by a client: its MD5 (to echo,
// D14) and a salted hash (to compare with later requests). The key itself
// is dropped as soon as it is validated.
type ssecKey struct {
	keyMD5 string
	hash   [32]byte
}

// parseSSEC validates one set of SSE-C headers (prefix ssecPrefix for the
// destination, ssecCopyPrefix for the copy source). It returns nil when
// none of the three headers is present. D09/D10: the three go together;
// D11: the key is base64 of 256 (or 512) bits and the MD5 header is base64
// of its MD5; AES256 is the only algorithm.
func (s *Server) parseSSEC(h http.Header, prefix string) (*ssecKey, *apiError) {
	alg := h.Get(prefix + "Algorithm")
	key := h.Get(prefix + "Key")
	sum := h.Get(prefix + "Key-Md5")
	if alg == "" && key == "" && sum == "" {
		return nil, nil
	}
	switch {
	case alg == "":
		return nil, errInvalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.").
			with("ArgumentName", "x-amz-server-side-encryption")
	case key == "":
		return nil, errInvalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.").
			with("ArgumentName", "x-amz-server-side-encryption")
	case sum == "":
		return nil, errInvalidArgument("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.").
			with("ArgumentName", "x-amz-server-side-encryption")
	case alg != "AES256":
		return nil, errInvalidArgument("The requested encryption algorithm is not valid, must be AES256.").
			with("ArgumentName", "x-amz-server-side-encryption")
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || (len(raw) != 32 && len(raw) != 64) {
		return nil, errInvalidArgument("The secret key was invalid for the specified algorithm.").
			with("ArgumentName", "x-amz-server-side-encryption")
	}
	want := md5.Sum(raw)
	got, err := base64.StdEncoding.DecodeString(sum)
	if err != nil || subtle.ConstantTimeCompare(got, want[:]) != 1 {
		return nil, errInvalidArgument("The calculated MD5 hash of the key did not match the hash that was provided.").
			with("ArgumentName", "x-amz-server-side-encryption")
	}
	m := hmac.New(sha256.New, s.salt)
	m.Write(raw)
	k := &ssecKey{keyMD5: base64.StdEncoding.EncodeToString(want[:])}
	copy(k.hash[:], m.Sum(nil))
	return k, nil
}

// checkSSECAccess decides whether a request's SSE-C key (nil: none sent)
// opens data stored with info. Reading an SSE-C object needs its key
// (400 without, 403 AccessDenied with a wrong one, as S3 does); sending a
// key for data that is not SSE-C is a 400.
func checkSSECAccess(info sseInfo, k *ssecKey, what string) *apiError {
	if info.kind != "SSE-C" {
		if k != nil {
			return errInvalidRequest("The encryption parameters are not applicable to this %s.", what)
		}
		return nil
	}
	if k == nil {
		return errInvalidRequest("The %s was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the %s.", what, what)
	}
	if subtle.ConstantTimeCompare(k.hash[:], info.keyHash[:]) != 1 {
		return errAccessDenied()
	}
	return nil
}

// parseSSE reads the SSE headers of a request that creates data (PUT,
// CopyObject destination, CreateMultipartUpload).
func (s *Server) parseSSE(h http.Header) (sseInfo, *apiError) {
	k, e := s.parseSSEC(h, ssecPrefix)
	if e != nil {
		return sseInfo{}, e
	}
	mode := h.Get("X-Amz-Server-Side-Encryption")
	kmsID := h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
	if k != nil {
		if mode != "" || kmsID != "" {
			return sseInfo{}, errInvalidArgument("Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
		}
		return sseInfo{kind: "SSE-C", keyMD5: k.keyMD5, keyHash: k.hash}, nil
	}
	switch mode {
	case "":
		if kmsID != "" {
			return sseInfo{}, errInvalidArgument("Specifying an AWS KMS key id requires x-amz-server-side-encryption: aws:kms").
				with("ArgumentName", "x-amz-server-side-encryption-aws-kms-key-id")
		}
		return sseInfo{}, nil
	case "AES256":
		if kmsID != "" {
			return sseInfo{}, errInvalidArgument("Specifying an AWS KMS key id requires x-amz-server-side-encryption: aws:kms")
		}
		return sseInfo{kind: "AES256"}, nil
	case "aws:kms", "aws:kms:dsse":
		// D14: a default key when none is named.
		if kmsID == "" {
			kmsID = s.opt.DefaultKMSKeyID
		}
		return sseInfo{kind: mode, kmsKeyID: kmsID}, nil
	}
	return sseInfo{}, errInvalidArgument("The encryption method specified is not supported").with("ArgumentName", "x-amz-server-side-encryption")
}

// echoSSE sets the response headers that describe info (D14).
func echoSSE(h http.Header, info sseInfo) {
	switch info.kind {
	case "SSE-C":
		h.Set("x-amz-server-side-encryption-customer-algorithm", "AES256")
		h.Set("x-amz-server-side-encryption-customer-key-MD5", info.keyMD5)
	case "AES256":
		h.Set("x-amz-server-side-encryption", "AES256")
	case "aws:kms", "aws:kms:dsse":
		h.Set("x-amz-server-side-encryption", info.kind)
		h.Set("x-amz-server-side-encryption-aws-kms-key-id", info.kmsKeyID)
	}
}
