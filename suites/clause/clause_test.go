package clause

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/partcopy/partcopy/internal/depcheck"
)

var update = flag.Bool("update", false, "rewrite docs/clauses.md from the catalogue")

// TestDocInSync: docs/clauses.md is what WriteMarkdown writes from the
// catalogue (go test ./suites/clause -update rewrites it).
func TestDocInSync(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "clauses.md")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./suites/clause -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is out of date: run go test ./suites/clause -update", path)
	}
	for _, c := range All {
		if !strings.Contains(buf.String(), "### "+c.ID+"\n") {
			t.Errorf("clauses.md has no section for %s", c.ID)
		}
	}
	if !strings.Contains(buf.String(), `"Upload Part - Copy"`) {
		t.Error("clauses.md must cite the vendor page by its title")
	}
}

// TestCatalogue: 25 D and 8 S clauses in order, each with a title and
// text, known capabilities, and profiles by origin.
func TestCatalogue(t *testing.T) {
	var d, s int
	prev := ""
	for _, c := range All {
		if !IsID(c.ID) || c.ID <= prev || c.Title == "" || c.Text == "" {
			t.Errorf("bad clause %+v after %s", c.ID, prev)
		}
		prev = c.ID
		switch c.Origin {
		case Document:
			d++
			if !c.InProfile(OBS) || !c.InProfile(S3) {
				t.Errorf("%s: a document clause is in both profiles", c.ID)
			}
		case CommonS3:
			s++
			if c.InProfile(OBS) || !c.InProfile(S3) {
				t.Errorf("%s: a common-S3 clause is in profile s3 only", c.ID)
			}
		}
		for _, cp := range c.Capabilities {
			if _, ok := DescribeCapability(cp); !ok {
				t.Errorf("%s: unknown capability %q", c.ID, cp)
			}
		}
	}
	if d != 25 || s != 8 {
		t.Errorf("%d D and %d S clauses, want 25 and 8", d, s)
	}
	if len(ForProfile(OBS)) != 25 || len(ForProfile(S3)) != 33 {
		t.Errorf("profiles: obs %d, s3 %d", len(ForProfile(OBS)), len(ForProfile(S3)))
	}
	if MaxPartSize != 5368709120 {
		t.Errorf("MaxPartSize = %d", MaxPartSize)
	}
}

func TestLabels(t *testing.T) {
	ids, caps, other := FromLabels([]string{"D03", "needs:kms", "large", "D03"})
	if !slices.Equal(ids, []string{"D03"}) || !slices.Equal(caps, []Capability{KMS}) || !slices.Equal(other, []string{"large"}) {
		t.Errorf("FromLabels = %v %v %v", ids, caps, other)
	}
	if id, err := One([]string{"S08", "needs:sse-c"}); id != "S08" || err != nil {
		t.Errorf("One = %q, %v", id, err)
	}
	for _, bad := range [][]string{nil, {"D10", "D09"}, {"D99"}, {"D01", "needs:teleport"}} {
		if _, err := One(bad); err == nil {
			t.Errorf("One(%v) accepted", bad)
		}
	}
	owner, why, ok := ParseBlocked(Blocked("S08", "Complete answered 500"))
	if !ok || owner != "S08" || why != "Complete answered 500" {
		t.Errorf("ParseBlocked = %q %q %v", owner, why, ok)
	}
	if _, _, ok := ParseBlocked("blocked by nothing"); ok {
		t.Error("ParseBlocked accepted a message without a clause")
	}
}

// TestLeaf: the catalogue imports nothing of partcopy and no library.
func TestLeaf(t *testing.T) {
	depcheck.Check(t, []string{"."}, []string{"github.com/partcopy/partcopy/suites/clause"},
		"github.com/partcopy/partcopy/internal*", "github.com/partcopy/partcopy/reports*", "github.com/partcopy/partcopy/load*",
		"github.com/partcopy/partcopy/cmd*", "github.com/partcopy/partcopy/suites", "github.com/onsi/*", "github.com/aws/*")
}
