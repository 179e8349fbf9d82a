package refserver

import (
	"net/http"
	"strings"
	"testing"
)

func TestWildMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true},
		{"arn:aws:s3:::b/pre*", "arn:aws:s3:::b/prefix/k", true},
		{"arn:aws:s3:::b/pre*", "arn:aws:s3:::b/other", false},
		{"arn:aws:s3:::b", "arn:aws:s3:::b/k", false},
		{"s3:get*", "s3:getobject", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*", "", true},
		{"[ab]", "a", false},
	}
	for _, c := range cases {
		if got := wildMatch(c.p, c.s); got != c.want {
			t.Errorf("wildMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	cases := []struct {
		name, doc string
		ok        bool
	}{
		{"list principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["alt"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`, true},
		{"star principal, single statement", `{"Statement":{"Effect":"Deny","Principal":"*","Action":["s3:*"],"Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]}}`, true},
		{"ARN principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000002:root"},"Action":"*","Resource":"arn:aws:s3:::bkt/p*"}]}`, true},
		{"other bucket", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`, false},
		{"bad effect", `{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`, false},
		{"condition refused", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, false},
		{"non-s3 action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:Run","Resource":"arn:aws:s3:::bkt/*"}]}`, false},
		{"no statement", `{"Version":"2012-10-17"}`, false},
		{"empty statement list", `{"Statement":[]}`, false},
		{"not JSON", `nope`, false},
		{"string principal not star", `{"Statement":[{"Effect":"Allow","Principal":"alt","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parsePolicy([]byte(c.doc), "bkt")
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && (err.Status != 400 || err.Code != "MalformedPolicy") {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestAllowedMatrix(t *testing.T) {
	s := New(Options{})
	main, alt, temp := s.keys[s.opt.Main.AccessKey], s.keys[s.opt.Alt.AccessKey], s.keys[s.opt.Temp.AccessKey]
	pol := func(doc string) *policyDoc {
		p, err := parsePolicy([]byte(doc), "bkt")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	grants := func(h http.Header) aclState {
		a, err := s.parseGrantHeaders(h)
		if err != nil {
			t.Fatal(err)
		}
		return *a
	}
	cases := []struct {
		name   string
		b      bucket
		id     *identity
		action string
		key    string
		want   bool
	}{
		{"owner", bucket{}, main, actPutObject, "k", true},
		{"temp acts as owner", bucket{}, temp, actPutObject, "k", true},
		{"alt without grants", bucket{}, alt, actGetObject, "k", false},
		{"anonymous without grants", bucket{}, nil, actGetObject, "k", false},
		{"policy allow by key id", bucket{policy: pol(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["` + s.opt.Alt.AccessKey + `"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`)}, alt, actGetObject, "k", true},
		{"policy allow is action-specific", bucket{policy: pol(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["alt"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`)}, alt, actPutObject, "k", false},
		{"policy allow is prefix-specific", bucket{policy: pol(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"alt"},"Action":"s3:*","Resource":"arn:aws:s3:::bkt/pub/*"}]}`)}, alt, actGetObject, "priv/k", false},
		{"policy star allows anonymous", bucket{policy: pol(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`)}, nil, actGetObject, "k", true},
		{"deny beats owner", bucket{policy: pol(`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*"}]}`)}, main, actPutObject, "k", false},
		{"deny beats ACL", bucket{policy: pol(`{"Statement":[{"Effect":"Deny","Principal":{"AWS":"alt"},"Action":"s3:*","Resource":"arn:aws:s3:::bkt/*"}]}`), acl: grants(http.Header{"X-Amz-Acl": {"public-read"}})}, alt, actGetObject, "k", false},
		{"public-read lets anonymous read", bucket{acl: grants(http.Header{"X-Amz-Acl": {"public-read"}})}, nil, actGetObject, "k", true},
		{"public-read does not let write", bucket{acl: grants(http.Header{"X-Amz-Acl": {"public-read"}})}, alt, actPutObject, "k", false},
		{"public-read-write lets write", bucket{acl: grants(http.Header{"X-Amz-Acl": {"public-read-write"}})}, nil, actPutObject, "k", true},
		{"authenticated-read: signed users", bucket{acl: grants(http.Header{"X-Amz-Acl": {"authenticated-read"}})}, alt, actGetObject, "k", true},
		{"authenticated-read: not anonymous", bucket{acl: grants(http.Header{"X-Amz-Acl": {"authenticated-read"}})}, nil, actGetObject, "k", false},
		{"grant-write by canonical id", bucket{acl: grants(http.Header{"X-Amz-Grant-Write": {`id="` + canonicalID("alt") + `"`}})}, alt, actPutObject, "k", true},
		{"grant-read by name", bucket{acl: grants(http.Header{"X-Amz-Grant-Read": {`id="alt"`}})}, alt, actListBucket, "", true},
		{"full control", bucket{acl: grants(http.Header{"X-Amz-Grant-Full-Control": {`id="alt"`}})}, alt, actDeleteObject, "k", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.b
			b.name, b.owner = "bkt", "main"
			if got := s.allowed(&b, c.id, c.action, c.key); got != c.want {
				t.Fatalf("allowed = %v, want %v", got, c.want)
			}
		})
	}
}

func TestGrantHeaderErrors(t *testing.T) {
	s := New(Options{})
	cases := []struct {
		name string
		h    http.Header
		code string
	}{
		{"unknown canned", http.Header{"X-Amz-Acl": {"world-writable"}}, "InvalidArgument"},
		{"unknown id", http.Header{"X-Amz-Grant-Read": {`id="nobody"`}}, "InvalidArgument"},
		{"email grantee", http.Header{"X-Amz-Grant-Read": {`emailAddress="a@b.c"`}}, "UnresolvableGrantByEmailAddress"},
		{"canned and grants", http.Header{"X-Amz-Acl": {"private"}, "X-Amz-Grant-Read": {`id="alt"`}}, "InvalidRequest"},
		{"no equals", http.Header{"X-Amz-Grant-Read": {`alt`}}, "InvalidArgument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.parseGrantHeaders(c.h)
			if err == nil || err.Code != c.code {
				t.Fatalf("err %v, want %s", err, c.code)
			}
		})
	}
	if _, err := s.parseACLBody([]byte(`<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>alt</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`), "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.parseACLBody([]byte(`<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>alt</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList></AccessControlPolicy>`), "main"); err == nil || !strings.Contains(err.Code, "Malformed") {
		t.Fatalf("bad permission accepted: %v", err)
	}
}
