package load

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTaggedNames: a sharded run's tag is in the bucket name (at most 63
// characters even with the longest prefix) and in every upload key, and
// two generators with the same tag still get different buckets.
func TestTaggedNames(t *testing.T) {
	ep := &recordingEndpoint{}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	prefix := strings.Repeat("p", 40)
	w := Workload{SourceSize: 1 << 10, BucketPrefix: prefix, Tag: "3fa9c1s12345"}
	a := newScenario(t, srv.URL, w, 1)
	b := newScenario(t, srv.URL, w, 1)
	for _, sc := range []*CopyScenario{a, b} {
		name := sc.Bucket()
		if len(name) > 63 || !strings.HasPrefix(name, prefix+"-3fa9c1s12345-") {
			t.Errorf("bucket %q (%d chars)", name, len(name))
		}
	}
	if a.Bucket() == b.Bucket() {
		t.Errorf("two generators share bucket %s", a.Bucket())
	}
	var r Result
	a.Op(context.Background(), Hit{}, &r)
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if len(ep.copies) != 1 || !strings.HasPrefix(ep.copies[0].key, "/"+a.Bucket()+"/dst/3fa9c1s12345/") {
		t.Errorf("copies %+v: want the upload key under dst/<tag>/", ep.copies)
	}
	for _, bad := range []string{"UPPER", "has_underscore", strings.Repeat("x", 14)} {
		if err := (Workload{SourceSize: 1, Tag: bad}).Validate(); err == nil {
			t.Errorf("tag %q accepted", bad)
		}
	}
}
