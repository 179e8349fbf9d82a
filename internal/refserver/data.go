package refserver

import (
	"context"
	"crypto/md5"
	"io"
	"sync"
	"sync/atomic"
)

// blob is an immutable byte slice received from a client. Segments reference
// it; it is never written after creation.
type blob struct {
	data []byte
}

// segment is a reference to blob.data[off : off+n].
type segment struct {
	b      *blob
	off, n int64
}

// content is the immutable data of an object or a part: an ordered list of
// segments. Copying a range of a content yields a new content whose segments
// reference the same blobs, so no bytes are ever copied (big objects cost
// memory per segment, not per byte).
type content struct {
	id   uint64 // identity for the MD5 memo; unique per content value
	segs []segment
	size int64
}

var contentIDs atomic.Uint64

// newContent makes a content of the given segments (zero-length ones dropped).
func newContent(segs []segment) *content {
	c := &content{id: contentIDs.Add(1)}
	for _, s := range segs {
		if s.n == 0 {
			continue
		}
		c.segs = append(c.segs, s)
		c.size += s.n
	}
	return c
}

// contentOf wraps a freshly received byte slice.
func contentOf(p []byte) *content {
	return newContent([]segment{{b: &blob{data: p}, off: 0, n: int64(len(p))}})
}

// concatContents joins contents (CompleteMultipartUpload).
func concatContents(cs []*content) *content {
	var segs []segment
	for _, c := range cs {
		segs = append(segs, c.segs...)
	}
	return newContent(segs)
}

// slice returns the content's bytes [start, end] (inclusive) as a new content
// referencing the same blobs. The caller has checked the bounds.
func (c *content) slice(start, end int64) *content {
	if start == 0 && end == c.size-1 {
		return c
	}
	var segs []segment
	var pos int64
	for _, s := range c.segs {
		sEnd := pos + s.n - 1
		if sEnd >= start && pos <= end {
			lo := max(start, pos)
			hi := min(end, sEnd)
			segs = append(segs, segment{b: s.b, off: s.off + (lo - pos), n: hi - lo + 1})
		}
		pos += s.n
		if pos > end {
			break
		}
	}
	return newContent(segs)
}

// writeTo writes bytes [start, end] of the content to w.
func (c *content) writeRange(w io.Writer, start, end int64) error {
	if c.size == 0 || end < start {
		return nil
	}
	var pos int64
	for _, s := range c.segs {
		sEnd := pos + s.n - 1
		if sEnd >= start && pos <= end {
			lo := max(start, pos)
			hi := min(end, sEnd)
			if _, err := w.Write(s.b.data[s.off+(lo-pos) : s.off+(hi-pos)+1]); err != nil {
				return err
			}
		}
		pos += s.n
		if pos > end {
			break
		}
	}
	return nil
}

// md5Memo remembers the MD5 of (content, range) so that building a big
// source from repeated copies of one object hashes its bytes once. It is
// bounded: when full it is cleared (correctness never depends on it).
type md5Memo struct {
	mu sync.Mutex
	m  map[memoKey][16]byte
}

type memoKey struct {
	id         uint64
	start, end int64
}

const md5MemoMax = 1 << 16

func (mm *md5Memo) get(k memoKey) ([16]byte, bool) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	v, ok := mm.m[k]
	return v, ok
}

func (mm *md5Memo) put(k memoKey, v [16]byte) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.m == nil || len(mm.m) >= md5MemoMax {
		mm.m = make(map[memoKey][16]byte)
	}
	mm.m[k] = v
}

// md5Of returns the MD5 of the content's bytes. A content that is a slice of
// another carries the memo key of its origin, so slicing the same range again
// (a new content value) reuses the digest.
func (mm *md5Memo) md5Of(ctx context.Context, c *content, key memoKey) ([16]byte, error) {
	if v, ok := mm.get(key); ok {
		return v, nil
	}
	h := md5.New()
	for _, s := range c.segs {
		// Hash in chunks so a cancelled request stops early.
		data := s.b.data[s.off : s.off+s.n]
		for len(data) > 0 {
			if err := ctx.Err(); err != nil {
				return [16]byte{}, err
			}
			n := min(len(data), 64<<20)
			h.Write(data[:n])
			data = data[n:]
		}
	}
	var sum [16]byte
	copy(sum[:], h.Sum(nil))
	mm.put(key, sum)
	// The digest of the whole new content is the same value.
	if key.id != c.id {
		mm.put(memoKey{id: c.id, start: 0, end: c.size - 1}, sum)
	}
	return sum, nil
}
