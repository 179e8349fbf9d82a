package suites

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/partcopy/partcopy/internal/ctxtime"
	"github.com/partcopy/partcopy/internal/s3call"
	"github.com/partcopy/partcopy/suites/clause"
)

// altPerm is a bucket permission the permission specs (D18, D19, D21) give
// the alt principal.
type altPerm string

const (
	// permRead is READ on a source bucket: s3:GetObject (D18).
	permRead altPerm = "read"
	// permWrite is WRITE on a destination bucket: what a multipart upload
	// needs (D19).
	permWrite altPerm = "write"
)

// permActions are the policy actions of each permission.
var permActions = map[altPerm][]string{
	permRead:  {"s3:GetObject"},
	permWrite: {"s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"},
}

// permACL are the bucket ACL grant headers of each permission (the fallback
// when the endpoint takes no bucket policies).
var permACL = map[altPerm]string{
	permRead:  "X-Amz-Grant-Read",
	permWrite: "X-Amz-Grant-Write",
}

// Propagation of a grant or revoke is waited for by retrying, at most
// grantAttempts times grantDelay apart (real endpoints apply bucket
// policies within seconds).
const (
	grantAttempts = 15
	grantDelay    = time.Second
)

// grants gives Alt access to Main's buckets within one spec. Every bucket it
// touches gets a DeferCleanup that removes the grant. It uses a bucket
// policy naming Config.AltPrincipal, and falls back to x-amz-grant-*
// headers when the endpoint refuses policies; when it takes neither the
// spec is unsupported.
type grants struct {
	sc      *Ctx
	mode    map[string]string // bucket -> "policy" | "acl" | "cmd"
	cleaned map[string]bool
	perms   map[string][]altPerm // bucket -> what set gave last
	keys    map[string][]string  // bucket -> the objects alt must read
	altID   string               // alt's canonical id (ACL mode), looked up once
	mainID  string
}

func newGrants(sc *Ctx) *grants {
	return &grants{sc: sc, mode: map[string]string{}, cleaned: map[string]bool{},
		perms: map[string][]altPerm{}, keys: map[string][]string{}}
}

// mechanism names how the grants are given, for reasons.
func (g *grants) mechanism() string {
	for _, m := range g.mode {
		switch m {
		case "cmd":
			return "the grant command (--alt-grant-cmd)"
		case "acl":
			return "ACL grants (x-amz-grant-*)"
		}
	}
	return "a bucket policy"
}

// switchToACL gives every grant made by bucket policy again as ACL grants
// (the other mechanism S3 has), removing the policies. false when there
// is nothing to switch (already ACL, or the grant command) or the
// endpoint refuses the ACLs.
func (g *grants) switchToACL(ctx context.Context) bool {
	GinkgoHelper()
	switched := false
	for b, m := range g.mode {
		if m != "policy" {
			continue
		}
		ex, err := g.sc.Main.DeleteBucketPolicy(ctx, b)
		Expect(s3call.Check("DeleteBucketPolicy", ex, err, 200, 204)).To(Succeed())
		if !g.setACL(ctx, b, g.keys[b], g.perms[b]) {
			return false
		}
		g.mode[b] = "acl"
		switched = true
	}
	return switched
}

// verified runs a control that must succeed for the grants to be believed
// (the copy or upload the grants are for). When it never succeeds with the
// current mechanism it tries the other one (bucket policy -> ACL grants);
// when that fails too, the endpoint does not grant the operation this way
// and the spec is unsupported, not failed: a refusal seen without a
// working grant proves nothing about the clause.
func (g *grants) verified(ctx context.Context, what string, try func() (ok bool, answer string)) {
	GinkgoHelper()
	ok, answer := try()
	if ok {
		return
	}
	first := g.mechanism()
	if g.switchToACL(ctx) {
		ok2, answer2 := try()
		if ok2 {
			g.sc.Note(fmt.Sprintf("%s did not grant %s (control answered %s); ACL grants did", first, what, answer))
			return
		}
		Unsupported(clause.AltPrincipal, "the grant mechanisms %s and ACL grants do not grant %s on this server: the control with the grant answered %s, then %s",
			first, what, answer, answer2)
	}
	Unsupported(clause.AltPrincipal, "the grant mechanism %s does not grant %s on this server: the control with the grant answered %s", first, what, answer)
}

// refusedUnimplemented reports a reply that clearly says "this endpoint does not
// do that".
func refusedUnimplemented(ex *s3call.Exchange) bool {
	return ex != nil && (ex.Status == http.StatusNotImplemented || s3call.ErrorCode(ex) == "NotImplemented")
}

// set makes perms the whole of Alt's access to bucket (replacing what set
// gave before); keys are the objects Alt must read (object ACLs in ACL
// mode). No perms revokes.
func (g *grants) set(ctx context.Context, bucket string, keys []string, perms ...altPerm) {
	GinkgoHelper()
	if len(perms) == 0 {
		g.revoke(ctx, bucket)
		return
	}
	g.registerCleanup(bucket, keys)
	g.perms[bucket], g.keys[bucket] = append([]altPerm(nil), perms...), append([]string(nil), keys...)
	if g.sc.Cfg.AltGrantCommand != "" {
		// The endpoint's own way of granting (e.g. MinIO's and moto's IAM
		// user policies: their bucket policies cannot grant a signed user).
		g.mode[bucket] = "cmd"
		Expect(g.runGrantCommand(ctx, bucket, permMode(perms))).To(Succeed())
		return
	}
	if g.mode[bucket] != "acl" {
		ex, err := g.sc.Main.PutBucketPolicy(ctx, bucket, g.policy(bucket, perms))
		Expect(err).NotTo(HaveOccurred(), "PutBucketPolicy")
		if ex.Status/100 == 2 {
			g.mode[bucket] = "policy"
			return
		}
		policyRefusal := fmt.Sprintf("PutBucketPolicy answered %d %s", ex.Status, s3call.ErrorCode(ex))
		if g.mode[bucket] == "policy" {
			// It took a policy on this bucket before: a refusal now is a real failure.
			Fail("changing the bucket policy failed: " + policyRefusal)
		}
		if !g.setACL(ctx, bucket, keys, perms) {
			Unsupported(clause.AltPrincipal, "cannot grant the alt principal access: %s, and ACL grant headers were refused too", policyRefusal)
		}
		g.mode[bucket] = "acl"
		return
	}
	Expect(g.setACL(ctx, bucket, keys, perms)).To(BeTrue(), "PutBucketAcl was refused after it worked once")
}

// revoke removes every grant set gave on bucket.
func (g *grants) revoke(ctx context.Context, bucket string) {
	GinkgoHelper()
	Expect(g.remove(ctx, bucket, nil)).To(Succeed())
}

func (g *grants) remove(ctx context.Context, bucket string, keys []string) error {
	switch g.mode[bucket] {
	case "cmd":
		return g.runGrantCommand(ctx, bucket, "none")
	case "policy":
		ex, err := g.sc.Main.DeleteBucketPolicy(ctx, bucket)
		return s3call.Check("DeleteBucketPolicy", ex, err, 200, 204)
	case "acl":
		h := http.Header{}
		h.Set("X-Amz-Acl", "private")
		ex, err := g.sc.Main.PutBucketACL(ctx, bucket, h)
		if err := s3call.Check("PutBucketAcl private", ex, err, 200); err != nil {
			return err
		}
		for _, k := range keys {
			ex, err := g.sc.Main.Do(ctx, &s3call.Request{Method: http.MethodPut, Bucket: bucket, Key: k, Query: "acl", Header: h})
			if err == nil && refusedUnimplemented(ex) {
				continue
			}
			if err := s3call.Check("PutObjectAcl private", ex, err, 200); err != nil {
				return err
			}
		}
	}
	return nil
}

// permMode names perms the way Config.AltGrantCommand takes them.
func permMode(perms []altPerm) string {
	r, w := false, false
	for _, p := range perms {
		r = r || p == permRead
		w = w || p == permWrite
	}
	switch {
	case r && w:
		return "readwrite"
	case r:
		return "read"
	case w:
		return "write"
	}
	return "none"
}

// runGrantCommand runs Config.AltGrantCommand BUCKET MODE; its output is
// logged to GinkgoWriter (the command must print no secrets).
func (g *grants) runGrantCommand(ctx context.Context, bucket, mode string) error {
	cmd := exec.CommandContext(ctx, "sh", "-c", g.sc.Cfg.AltGrantCommand+` "$1" "$2"`, "grant", bucket, mode)
	out, err := cmd.CombinedOutput()
	GinkgoWriter.Printf("alt grant %s %s: %s", bucket, mode, out)
	if err != nil {
		return fmt.Errorf("alt grant command (%s %s): %w: %s", bucket, mode, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (g *grants) registerCleanup(bucket string, keys []string) {
	if g.cleaned[bucket] {
		return
	}
	g.cleaned[bucket] = true
	DeferCleanup(func() {
		cctx, cancel := cleanupCtx()
		defer cancel()
		if err := g.remove(cctx, bucket, keys); err != nil {
			GinkgoWriter.Printf("removing alt's grant on %s: %v\n", bucket, err)
		}
	})
}

// policy renders a bucket policy that allows Alt the actions of perms on
// bucket and its objects.
func (g *grants) policy(bucket string, perms []altPerm) string {
	var actions []string
	for _, p := range perms {
		actions = append(actions, permActions[p]...)
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "PartcopyAlt",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": []string{g.sc.Cfg.altPrincipal()}},
			"Action":    actions,
			"Resource":  []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// setACL grants perms with x-amz-grant-* headers on the bucket (and READ on
// keys, since S3 reads objects by their own ACL). It keeps the owner's
// FULL_CONTROL, which explicit grant headers would otherwise drop.
func (g *grants) setACL(ctx context.Context, bucket string, keys []string, perms []altPerm) bool {
	GinkgoHelper()
	if g.altID == "" {
		g.altID = principalOwnerID(ctx, g.sc.Alt)
		if g.altID == "" {
			g.altID = g.sc.Cfg.altPrincipal()
		}
		g.mainID = principalOwnerID(ctx, g.sc.Main)
	}
	h := http.Header{}
	for _, p := range perms {
		h.Set(permACL[p], fmt.Sprintf("id=%q", g.altID))
	}
	if g.mainID != "" {
		h.Set("X-Amz-Grant-Full-Control", fmt.Sprintf("id=%q", g.mainID))
	}
	ex, err := g.sc.Main.PutBucketACL(ctx, bucket, h)
	Expect(err).NotTo(HaveOccurred(), "PutBucketAcl")
	if ex.Status/100 != 2 {
		return false
	}
	read := false
	for _, p := range perms {
		read = read || p == permRead
	}
	if !read {
		return true
	}
	oh := http.Header{}
	oh.Set("X-Amz-Grant-Read", fmt.Sprintf("id=%q", g.altID))
	if g.mainID != "" {
		oh.Set("X-Amz-Grant-Full-Control", fmt.Sprintf("id=%q", g.mainID))
	}
	for _, k := range keys {
		ex, err := g.sc.Main.Do(ctx, &s3call.Request{Method: http.MethodPut, Bucket: bucket, Key: k, Query: "acl", Header: oh})
		Expect(err).NotTo(HaveOccurred(), "PutObjectAcl")
		if refusedUnimplemented(ex) {
			continue // the endpoint reads objects by the bucket's ACL
		}
		Expect(s3call.Check("PutObjectAcl "+k, ex, nil, 200)).To(Succeed())
	}
	return true
}

// principalOwnerID is the canonical user id of c's principal (ListBuckets' Owner),
// or "" when the endpoint does not say.
func principalOwnerID(ctx context.Context, c *s3call.Client) string {
	ex, err := c.ListBuckets(ctx)
	if err != nil || ex.Status != 200 {
		return ""
	}
	var res struct {
		Owner struct {
			ID string `xml:"ID"`
		} `xml:"Owner"`
	}
	if xml.Unmarshal(ex.Body, &res) != nil {
		return ""
	}
	return strings.TrimSpace(res.Owner.ID)
}

// untilGranted calls try until it returns true, at most grantAttempts times
// grantDelay apart (grant propagation); it returns try's last answer.
func untilGranted(ctx context.Context, try func() bool) bool {
	for i := 0; ; i++ {
		if try() {
			return true
		}
		if i+1 >= grantAttempts || !ctxtime.Sleep(ctx, grantDelay) {
			return false
		}
	}
}

// uploadAsGranted starts a multipart upload as c, retrying while a
// fresh grant propagates, and registers its abort (by c, then by Main, the
// bucket owner, in case c's grant is gone by then). When the grant never
// lets c initiate, the grant mechanism is unsupported (g.verified).
func (sc *Ctx) uploadAsGranted(ctx context.Context, g *grants, c *s3call.Client, bucket, key string) string {
	GinkgoHelper()
	var (
		id   string
		last error
	)
	g.verified(ctx, "CreateMultipartUpload", func() (bool, string) {
		untilGranted(ctx, func() bool {
			id, _, last = c.CreateMultipartUpload(ctx, bucket, key, nil)
			return last == nil
		})
		if last != nil {
			return false, last.Error()
		}
		return true, ""
	})
	DeferCleanup(func() {
		cctx, cancel := cleanupCtx()
		defer cancel()
		if ex, err := c.AbortMultipartUpload(cctx, bucket, key, id); err == nil && ex.Status/100 == 2 {
			return
		}
		_, _ = sc.Main.AbortMultipartUpload(cctx, bucket, key, id)
	})
	return id
}

// controlCopy is the copy that shows the grants work for UploadPartCopy:
// sent as c while it is refused with 403 (propagation), and when it never
// succeeds, retried with the other grant mechanism, else the spec is
// unsupported (g.verified). A control that fails otherwise (a 200 without
// an ETag, a 5xx) is not a grant problem: the spec fails on it.
func (sc *Ctx) controlCopy(ctx context.Context, g *grants, c *s3call.Client, in s3call.CopyPart) s3call.Outcome {
	GinkgoHelper()
	var o s3call.Outcome
	g.verified(ctx, "UploadPartCopy", func() (bool, string) {
		_, o = sc.copyAsGranted(ctx, c, in)
		return o.OK || o.Status != http.StatusForbidden, o.String()
	})
	Expect(o.OK).To(BeTrue(), "the control copy with the grants in effect must succeed (D02: 200 with an ETag in the body): %s", o)
	return o
}

// copyAsGranted sends a copy as c while it is refused with 403 (grant
// propagation) and returns the last outcome. Any other failure ends the
// retries at once: a 200 without an ETag must not be retried away (D02).
func (sc *Ctx) copyAsGranted(ctx context.Context, c *s3call.Client, in s3call.CopyPart) (*s3call.Exchange, s3call.Outcome) {
	var (
		ex *s3call.Exchange
		o  s3call.Outcome
	)
	untilGranted(ctx, func() bool {
		ex, o = c.UploadPartCopy(ctx, in)
		return o.OK || o.Status != 403
	})
	return ex, o
}
