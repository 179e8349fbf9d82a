package refserver

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
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
