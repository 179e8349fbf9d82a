package refserver

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestD22_FiveGiBLimitOnServerSideBuiltObject builds a 5 GiB + 1 byte
// object server side - an 8 MiB seed, 128 part copies of it into a 1 GiB
// object, then 5 copies of that plus one byte - and copies it into a part:
// the whole source is refused (400), exactly 5 GiB by range is accepted
// (200), 5 GiB + 1 by range is refused. Memory must grow with the number
// of parts, not bytes.
func TestD22_FiveGiBLimitOnServerSideBuiltObject(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 6 GiB of data (about 10 s); skipped in -short mode")
	}
	start := time.Now()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	const seedSize = 8 << 20
	seed := randBytes(seedSize)
	e.put(e.main, b, "seed", seed)

	id := e.initiate(e.main, b, "one-gib")
	var etags []string
	for i := 1; i <= 128; i++ {
		etags = append(etags, e.mustCopyPart(e.main, b, "one-gib", id, int32(i), b+"/seed", ""))
	}
	if _, err := e.complete(e.main, b, "one-gib", id, etags...); err != nil {
		t.Fatal(err)
	}

	id = e.initiate(e.main, b, "big")
	etags = nil
	for i := 1; i <= 5; i++ {
		etags = append(etags, e.mustCopyPart(e.main, b, "big", id, int32(i), b+"/one-gib", ""))
	}
	etags = append(etags, e.mustCopyPart(e.main, b, "big", id, 6, b+"/seed", "bytes=0-0"))
	if _, err := e.complete(e.main, b, "big", id, etags...); err != nil {
		t.Fatal(err)
	}
	built := time.Since(start)

	dst := e.initiate(e.main, b, "dst")
	_, err := e.copyPart(e.main, b, "dst", dst, 1, b+"/big", "")
	wantCode(t, err, 400, "InvalidRequest", "EntityTooLarge")
	_, err = e.copyPart(e.main, b, "dst", dst, 1, b+"/big", fmt.Sprintf("bytes=0-%d", MaxPartSize))
	wantCode(t, err, 400, "EntityTooLarge", "InvalidArgument", "InvalidRequest")

	copyStart := time.Now()
	etag := e.mustCopyPart(e.main, b, "dst", dst, 1, b+"/big", fmt.Sprintf("bytes=0-%d", MaxPartSize-1))
	copyTook := time.Since(copyStart)
	parts := e.listParts(e.main, b, "dst", dst)
	if len(parts) != 1 || aws.ToInt64(parts[0].Size) != MaxPartSize || aws.ToString(parts[0].ETag) != etag {
		t.Fatalf("ListParts %+v, want one part of exactly 5 GiB with ETag %s", parts, etag)
	}
	// A range across segment boundaries has the MD5 of exactly those bytes.
	off := int64(seedSize - 3)
	got := e.mustCopyPart(e.main, b, "dst", dst, 2, b+"/big", fmt.Sprintf("bytes=%d-%d", off, off+9))
	want := md5.Sum(append(append([]byte{}, seed[seedSize-3:]...), seed[:7]...))
	if got != `"`+hex.EncodeToString(want[:])+`"` {
		t.Fatalf("cross-segment range ETag %s, want %x", got, want)
	}
	// The last byte of the big object is seed[0].
	r := e.do(rawReq{method: "GET", path: "/" + b + "/big", header: map[string]string{"Range": fmt.Sprintf("bytes=%d-", MaxPartSize)}})
	if r.status != 206 || !bytes.Equal(r.body, seed[:1]) {
		t.Fatalf("last byte: %d %x", r.status, r.body)
	}

	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heapGrowth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	sysGrowth := int64(after.Sys) - int64(before.Sys)
	t.Logf("built 5 GiB + 1 object in %v; 5 GiB part copy (hashing) took %v; total %v; heap growth %.1f MiB, sys growth %.1f MiB",
		built.Round(time.Millisecond), copyTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond),
		float64(heapGrowth)/(1<<20), float64(sysGrowth)/(1<<20))
	if heapGrowth > 100<<20 || sysGrowth > 100<<20 {
		t.Fatalf("memory grew by heap %d / sys %d bytes; want < 100 MB", heapGrowth, sysGrowth)
	}
}

// TestD22_FiveGiBLimitFast checks the 400s of D22 on a >5 GiB object put
// straight into the store (segments over one 1 MiB blob), so it runs in
// -short mode too: both refusals happen before any byte is hashed.
func TestD22_FiveGiBLimitFast(t *testing.T) {
	e := newEnv(t, Options{})
	b := e.bucket(e.main)
	blobData := randBytes(1 << 20)
	bl := &blob{data: blobData}
	var segs []segment
	for i := 0; i < 5<<10; i++ {
		segs = append(segs, segment{b: bl, off: 0, n: 1 << 20})
	}
	segs = append(segs, segment{b: bl, off: 0, n: 1})
	big := newContent(segs)
	if big.size != MaxPartSize+1 {
		t.Fatalf("size %d", big.size)
	}
	e.srv.mu.Lock()
	e.srv.putVersionLocked(e.srv.buckets[b], &objVersion{key: "big", data: big, etag: `"x-5121"`, owner: "main", header: http.Header{}})
	e.srv.mu.Unlock()
	id := e.initiate(e.main, b, "dst")
	cases := []struct {
		name, rng string
		status    int
	}{
		{"whole source of 5 GiB + 1", "", 400},
		{"range of 5 GiB + 1", fmt.Sprintf("bytes=0-%d", MaxPartSize), 400},
		{"range of 5 GiB + 1 from offset 0..end", fmt.Sprintf("bytes=0-%d", big.size-1), 400},
		{"small range near the end", fmt.Sprintf("bytes=%d-%d", big.size-10, big.size-1), 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.copyPart(e.main, b, "dst", id, 1, b+"/big", c.rng)
			if c.status == 200 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, 400, "InvalidRequest", "EntityTooLarge")
		})
	}
	parts := e.listParts(e.main, b, "dst", id)
	want := md5.Sum(append(append([]byte{}, blobData[len(blobData)-9:]...), blobData[0]))
	if len(parts) != 1 || aws.ToString(parts[0].ETag) != `"`+hex.EncodeToString(want[:])+`"` {
		t.Fatalf("parts %+v, want one 10-byte part with ETag %x", parts, want)
	}
}
