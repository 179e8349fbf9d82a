package s3call

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestMultipartETag(t *testing.T) {
	// Known value: md5(md5("") || md5("abc")) computed with Python's
	// hashlib, "-2" for two parts (S08).
	got, err := MultipartETag([]string{`"d41d8cd98f00b204e9800998ecf8427e"`, `"900150983cd24fb0d6963f7d28e17f72"`})
	if err != nil || got != `"66027c6d92d43d01c4f2aa8759629be3-2"` {
		t.Errorf("MultipartETag = %s, %v", got, err)
	}
	// Independently: three parts of generated data, the ETags written the
	// ways servers list them (quoted, unquoted, padded).
	parts := [][]byte{GenBytes(1, 5<<20), GenBytes(2, 5<<20), GenBytes(3, 1234)}
	concat := md5.New()
	var etags []string
	for i, p := range parts {
		sum := md5.Sum(p)
		concat.Write(sum[:])
		e := hex.EncodeToString(sum[:])
		etags = append(etags, []string{`"` + e + `"`, e, ` "` + e + `" `}[i])
	}
	want := `"` + hex.EncodeToString(concat.Sum(nil)) + `-3"`
	if got, err := MultipartETag(etags); err != nil || got != want {
		t.Errorf("MultipartETag = %s, %v; want %s", got, err, want)
	}
	if _, err := MultipartETag([]string{`"not-hex"`}); err == nil {
		t.Errorf("MultipartETag accepted a non-hex ETag")
	}
	if got, _ := MultipartETag(nil); got != `"d41d8cd98f00b204e9800998ecf8427e-0"` {
		t.Errorf("MultipartETag(nil) = %s", got)
	}
}

func TestTrimETag(t *testing.T) {
	for in, want := range map[string]string{
		`"abc"`: "abc", "abc": "abc", ` "abc" `: "abc", `""`: "", "": "", `"a"b"`: `a"b`,
	} {
		if got := TrimETag(in); got != want {
			t.Errorf("TrimETag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMD5Hex(t *testing.T) {
	if got := MD5Hex([]byte("abc")); got != "900150983cd24fb0d6963f7d28e17f72" {
		t.Errorf("MD5Hex(abc) = %s", got)
	}
	if got := MD5Hex(nil); got != "d41d8cd98f00b204e9800998ecf8427e" {
		t.Errorf("MD5Hex(nil) = %s", got)
	}
}

func TestGenReader(t *testing.T) {
	// Pinned against an independent splitmix64 (Python): a change of the
	// stream would silently change what specs expect objects to hold.
	if got := hex.EncodeToString(GenBytes(1, 20)); got != "67ec8e65a18debbe5e5532fbeea293f80bc942ee" {
		t.Errorf("GenBytes(1, 20) = %s", got)
	}
	if got := hex.EncodeToString(GenBytes(0, 8)); got != "c15c0289ec2d0a91" {
		t.Errorf("GenBytes(0, 8) = %s", got)
	}
	if got := MD5Hex(GenBytes(7, 1<<20)); got != "5c70ac3f484da801d419a1e13fd6d4b6" {
		t.Errorf("md5(GenBytes(7, 1 MiB)) = %s", got)
	}

	const size = 1<<20 + 13
	want := GenBytes(9, size)
	for _, chunk := range []int{1, 3, 7, 8, 9, 4096, 65537, size + 100} {
		g := NewGen(9, size)
		var got bytes.Buffer
		buf := make([]byte, chunk)
		for {
			n, err := g.Read(buf)
			got.Write(buf[:n])
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.Len() != size-int64(got.Len()) {
				t.Fatalf("Len() = %d after %d bytes", g.Len(), got.Len())
			}
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("reading in %d-byte chunks gives other bytes", chunk)
		}
	}
	for _, n := range []int64{0, 1, 7, 8, 9, 1000003} {
		g := NewGen(5, n)
		if c, err := io.Copy(io.Discard, g); c != n || err != nil {
			t.Errorf("NewGen(5, %d) gave %d bytes, %v", n, c, err)
		}
		if k, err := g.Read(make([]byte, 10)); k != 0 || !errors.Is(err, io.EOF) {
			t.Errorf("read after the end: %d, %v", k, err)
		}
	}
	if k, err := NewGen(5, 10).Read(nil); k != 0 || err != nil {
		t.Errorf("empty read: %d, %v", k, err)
	}
	if bytes.Equal(GenBytes(1, 64), GenBytes(2, 64)) {
		t.Errorf("seeds 1 and 2 give the same bytes")
	}
	if !bytes.Equal(GenBytes(1, 100)[:64], GenBytes(1, 64)) {
		t.Errorf("a shorter stream is not a prefix of a longer one")
	}
}

func TestCopySource(t *testing.T) {
	// S04: the key percent-encoded in x-amz-copy-source; S03: ?versionId=.
	cases := []struct{ bucket, key, version, want string }{
		{"src", "plain.txt", "", "/src/plain.txt"},
		{"src", "a b", "", "/src/a%20b"},
		{"src", "a+b", "", "/src/a%2Bb"},
		{"src", "what?", "", "/src/what%3F"},
		{"src", "x#y", "", "/src/x%23y"},
		{"src", "100%", "", "/src/100%25"},
		{"src", "%20", "", "/src/%2520"},
		{"src", "dir/ünï.txt", "", "/src/dir/%C3%BCn%C3%AF.txt"},
		{"src", "日本語", "", "/src/%E6%97%A5%E6%9C%AC%E8%AA%9E"},
		{"src", "a&b=c;d", "", "/src/a%26b%3Dc%3Bd"},
		{"src", "k", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
			"/src/k?versionId=3%2FL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY%2BMTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"},
		{"src", "a b?", "v 1", "/src/a%20b%3F?versionId=v%201"},
		{"src", "k", "null", "/src/k?versionId=null"},
	}
	for _, tc := range cases {
		got := CopySource(tc.bucket, tc.key, tc.version)
		if got != tc.want {
			t.Errorf("CopySource(%q, %q, %q) = %q, want %q", tc.bucket, tc.key, tc.version, got, tc.want)
			continue
		}
		// A server decodes it back to exactly the bucket, key and version.
		path, query, _ := strings.Cut(got, "?")
		if dec, err := url.PathUnescape(path); err != nil || dec != "/"+tc.bucket+"/"+tc.key {
			t.Errorf("%q decodes to %q, %v", path, dec, err)
		}
		if q, err := url.ParseQuery(query); err != nil || q.Get("versionId") != tc.version {
			t.Errorf("%q: versionId decodes to %q, %v", got, q.Get("versionId"), err)
		}
	}
}

func TestEncodeQueryValue(t *testing.T) {
	for in, want := range map[string]string{
		"abc-_.~XYZ09": "abc-_.~XYZ09", "a b": "a%20b", "a+b": "a%2Bb", "a/b=": "a%2Fb%3D", "ü": "%C3%BC", "": "",
	} {
		if got := EncodeQueryValue(in); got != want {
			t.Errorf("EncodeQueryValue(%q) = %q, want %q", in, got, want)
		}
		if back, err := url.QueryUnescape(EncodeQueryValue(in)); err != nil || back != in {
			t.Errorf("EncodeQueryValue(%q) does not decode back: %q, %v", in, back, err)
		}
	}
}

func TestCopyPartRequest(t *testing.T) {
	base := CopyPart{Bucket: "b", Key: "k", UploadID: "u+/=", PartNumber: "abc", Source: "/s/k", Range: "bytes=0-9",
		Header: http.Header{HdrCopySource: {"overridden"}, "X-Extra": {"1"}}}
	cases := []struct {
		name  string
		edit  func(*CopyPart)
		query string
	}{
		{"as given", func(*CopyPart) {}, "partNumber=abc&uploadId=u%2B%2F%3D"},
		{"empty part number", func(c *CopyPart) { c.PartNumber = "" }, "partNumber=&uploadId=u%2B%2F%3D"},
		{"no part number", func(c *CopyPart) { c.OmitPartNumber = true }, "uploadId=u%2B%2F%3D"},
		{"no upload id", func(c *CopyPart) { c.OmitUploadID = true }, "partNumber=abc"},
		{"neither", func(c *CopyPart) { c.OmitPartNumber, c.OmitUploadID = true, true }, ""},
	}
	for _, tc := range cases {
		in := base
		tc.edit(&in)
		r := in.Request()
		if r.Query != tc.query || r.Method != http.MethodPut || r.Bucket != "b" || r.Key != "k" || r.Body != nil {
			t.Errorf("%s: %+v", tc.name, r)
		}
		if r.Header.Get(HdrCopySource) != "/s/k" || r.Header.Get(HdrCopySourceRange) != "bytes=0-9" || r.Header.Get("X-Extra") != "1" {
			t.Errorf("%s: headers %v", tc.name, r.Header)
		}
	}
	if base.Header.Get(HdrCopySource) != "overridden" {
		t.Errorf("Request() modified the caller's header")
	}
	in := base
	in.Source, in.Range = "", ""
	if h := in.Request().Header; h.Get(HdrCopySourceRange) != "" || h.Get(HdrCopySource) != "overridden" {
		t.Errorf("empty Source/Range: %v", h)
	}
	if got := Range(0, 5368709119); got != "bytes=0-5368709119" {
		t.Errorf("Range = %q", got)
	}
}

func TestSSEC(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	s := NewSSEC(key)
	// base64 of bytes 0..31 and of their MD5, computed with Python.
	if s.Algorithm != "AES256" || s.KeyB64 != "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" || s.KeyMD5B64 != "tP/LI3N87DFaSk0aoqYgzg==" {
		t.Errorf("NewSSEC = %+v", s)
	}
	if s.Secret() != s.KeyB64 {
		t.Errorf("Secret() = %q", s.Secret())
	}
	h := s.Header()
	if h.Get(HdrSSECAlgorithm) != "AES256" || h.Get(HdrSSECKey) != s.KeyB64 || h.Get(HdrSSECKeyMD5) != s.KeyMD5B64 || len(h) != 3 {
		t.Errorf("Header() = %v", h)
	}
	ch := s.CopySourceHeader()
	if ch.Get(HdrCopySSECAlgorithm) != "AES256" || ch.Get(HdrCopySSECKey) != s.KeyB64 || ch.Get(HdrCopySSECKeyMD5) != s.KeyMD5B64 || len(ch) != 3 {
		t.Errorf("CopySourceHeader() = %v", ch)
	}
	partial := SSEC{Algorithm: "AES256", KeyB64: s.KeyB64}.Header()
	if len(partial) != 2 || partial.Get(HdrSSECKeyMD5) != "" {
		t.Errorf("a partial set sends %v", partial)
	}
	k := KMSHeader("arn:aws:kms:us-east-1:1:key/x")
	if k.Get(HdrSSE) != "aws:kms" || k.Get(HdrSSEKMSKeyID) != "arn:aws:kms:us-east-1:1:key/x" {
		t.Errorf("KMSHeader = %v", k)
	}
	if k := KMSHeader(""); len(k) != 1 {
		t.Errorf("KMSHeader(\"\") = %v", k)
	}
}

func TestMergeHeaders(t *testing.T) {
	a := http.Header{"A": {"1"}, "B": {"1"}}
	b := http.Header{"B": {"2", "3"}}
	m := MergeHeaders(a, nil, b)
	if strings.Join(m["A"], ",") != "1" || strings.Join(m["B"], ",") != "2,3" {
		t.Errorf("MergeHeaders = %v", m)
	}
	m["B"][0] = "changed"
	if b["B"][0] != "2" {
		t.Errorf("MergeHeaders shares value slices with its inputs")
	}
}

// FuzzEncodePath: any key encodes to a path that decodes back to it, and
// any path goes on the request line byte for byte.
func FuzzEncodePath(f *testing.F) {
	for _, s := range []string{"a b", "a+b", "100%", "ü/日本", "a//b", "%zz", "//x", "?#", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		enc := EncodePath(key)
		if dec, err := url.PathUnescape(enc); err != nil || dec != key {
			t.Fatalf("EncodePath(%q) = %q decodes to %q, %v", key, enc, dec, err)
		}
		path := "/" + key
		u := &url.URL{Scheme: "http", Host: "127.0.0.1:9000", RawQuery: "partNumber=1"}
		setPath(u, path)
		if got := wirePath(u); got != path {
			t.Fatalf("wirePath after setPath(%q) = %q", path, got)
		}
		want := path + "?partNumber=1"
		if strings.HasPrefix(path, "//") && u.Opaque != "" {
			want = "http://127.0.0.1:9000" + want // absolute form
		}
		if got := u.RequestURI(); got != want {
			t.Fatalf("request target for %q = %q, want %q", path, got, want)
		}
	})
}
