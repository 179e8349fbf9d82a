package s3call

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strconv"
)

// GenReader is a deterministic pseudo-random stream of Size bytes from
// Seed: any size, never held in memory. Two readers with the same seed
// produce the same bytes, so a spec can compute what an object must hold.
type GenReader struct {
	size, off int64
	state     uint64
	buf       [8]byte
	bufN      int
}

// NewGen returns a stream of size bytes from seed.
func NewGen(seed uint64, size int64) *GenReader {
	return &GenReader{size: size, state: seed*0x9E3779B97F4A7C15 + 1}
}

// Len is the number of bytes left.
func (g *GenReader) Len() int64 { return g.size - g.off }

// Read fills p with the next bytes of the stream.
func (g *GenReader) Read(p []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	if rem := g.size - g.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := 0
	for n < len(p) {
		if g.bufN == 0 {
			// splitmix64: fast, good enough to defeat dedup/compression.
			g.state += 0x9E3779B97F4A7C15
			z := g.state
			z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
			z = (z ^ (z >> 27)) * 0x94D049BB133111EB
			z ^= z >> 31
			binary.LittleEndian.PutUint64(g.buf[:], z)
			g.bufN = 8
		}
		c := copy(p[n:], g.buf[8-g.bufN:])
		g.bufN -= c
		n += c
	}
	g.off += int64(n)
	return n, nil
}

// GenBytes returns the first size bytes of seed's stream.
func GenBytes(seed uint64, size int) []byte {
	b := make([]byte, size)
	_, _ = io.ReadFull(NewGen(seed, int64(size)), b)
	return b
}

// MD5Hex is the hex MD5 of b.
func MD5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// MultipartETag is S3's ETag of a multipart object (S08):
// "md5(concat(binary part MD5s))-N", quotes included. partETags are the
// parts' ETags as listed (quoted hex MD5s).
func MultipartETag(partETags []string) (string, error) {
	h := md5.New()
	for _, e := range partETags {
		b, err := hex.DecodeString(TrimETag(e))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(partETags)) + `"`, nil
}

// TrimETag removes surrounding whitespace and quotes from an ETag.
func TrimETag(e string) string {
	for len(e) > 0 && (e[0] == '"' || e[0] == ' ') {
		e = e[1:]
	}
	for len(e) > 0 && (e[len(e)-1] == '"' || e[len(e)-1] == ' ') {
		e = e[:len(e)-1]
	}
	return e
}
