package refserver

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// Actions checked by the handlers, named as in IAM policies.
const (
	actListBucket        = "s3:ListBucket"
	actListBucketVersion = "s3:ListBucketVersions"
	actListUploads       = "s3:ListBucketMultipartUploads"
	actGetObject         = "s3:GetObject"
	actPutObject         = "s3:PutObject"
	actDeleteObject      = "s3:DeleteObject"
	actAbortUpload       = "s3:AbortMultipartUpload"
	actListParts         = "s3:ListMultipartUploadParts"
	actRestoreObject     = "s3:RestoreObject"
)

// aclPerms maps an action to the bucket ACL permissions that grant it. A
// bucket READ grant lets the grantee list and read objects, a WRITE grant
// lets it create, overwrite and delete objects (the reference endpoint has
// no per-object ACLs; D18/D19 speak of bucket permissions).
var aclPerms = map[string][]string{
	actListBucket:        {"READ"},
	actListBucketVersion: {"READ"},
	actListUploads:       {"READ"},
	actGetObject:         {"READ"},
	actPutObject:         {"WRITE"},
	actDeleteObject:      {"WRITE"},
	actAbortUpload:       {"WRITE"},
	actRestoreObject:     {"WRITE"},
	actListParts:         {"READ", "WRITE"},
}

const (
	groupAllUsers  = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// aclState is a bucket ACL beyond the owner's implicit FULL_CONTROL.
type aclState struct {
	grants []aclGrant
}

// aclGrant grants perm to a user (user != "") or a group URI.
type aclGrant struct {
	user  string
	group string
	perm  string // READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL
}

// cannedACL expands x-amz-acl.
func cannedACL(name string) ([]aclGrant, *apiError) {
	switch name {
	case "", "private", "bucket-owner-full-control", "bucket-owner-read":
		return nil, nil
	case "public-read":
		return []aclGrant{{group: groupAllUsers, perm: "READ"}}, nil
	case "public-read-write":
		return []aclGrant{{group: groupAllUsers, perm: "READ"}, {group: groupAllUsers, perm: "WRITE"}}, nil
	case "authenticated-read":
		return []aclGrant{{group: groupAuthUsers, perm: "READ"}}, nil
	}
	return nil, errInvalidArgument("The canned ACL %q is not valid.", name)
}

// resolveUser maps a grantee id or policy principal value to a user name:
// the user's name, canonical id, access key id or an IAM ARN of the user or
// its account.
func (s *Server) resolveUser(v string) string {
	for _, id := range s.keys {
		u := id.user
		switch {
		case v == id.p.AccessKey, v == u, v == id.canonicalID, v == s.accounts[u],
			v == "arn:aws:iam::"+s.accounts[u]+":root",
			strings.HasPrefix(v, "arn:aws:iam::") && strings.HasSuffix(v, ":user/"+u):
			return u
		}
	}
	return ""
}

// parseGrantHeaders reads x-amz-acl and x-amz-grant-* headers. They are
// mutually exclusive, as in S3.
func (s *Server) parseGrantHeaders(h http.Header) (*aclState, *apiError) {
	canned := h.Get("X-Amz-Acl")
	perms := map[string]string{
		"X-Amz-Grant-Read": "READ", "X-Amz-Grant-Write": "WRITE", "X-Amz-Grant-Read-Acp": "READ_ACP",
		"X-Amz-Grant-Write-Acp": "WRITE_ACP", "X-Amz-Grant-Full-Control": "FULL_CONTROL",
	}
	var grants []aclGrant
	explicit := false
	for hdr, perm := range perms {
		for _, v := range h.Values(hdr) {
			explicit = true
			for _, g := range strings.Split(v, ",") {
				g = strings.TrimSpace(g)
				if g == "" {
					continue
				}
				k, val, ok := strings.Cut(g, "=")
				if !ok {
					return nil, errInvalidArgument("Invalid grant %q", g)
				}
				val = strings.Trim(strings.TrimSpace(val), `"`)
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "id":
					u := s.resolveUser(val)
					if u == "" {
						return nil, errInvalidArgument("Invalid id")
					}
					grants = append(grants, aclGrant{user: u, perm: perm})
				case "uri":
					if val != groupAllUsers && val != groupAuthUsers {
						return nil, errInvalidArgument("Invalid group uri")
					}
					grants = append(grants, aclGrant{group: val, perm: perm})
				case "emailaddress":
					return nil, errf(http.StatusBadRequest, "UnresolvableGrantByEmailAddress",
						"The email address you provided does not match any account on record.")
				default:
					return nil, errInvalidArgument("Invalid grantee type %q", k)
				}
			}
		}
	}
	if explicit && canned != "" {
		return nil, errInvalidRequest("Specifying both Canned ACLs and Header Grants is not allowed")
	}
	if !explicit {
		cg, err := cannedACL(canned)
		if err != nil {
			return nil, err
		}
		grants = cg
	}
	return &aclState{grants: grants}, nil
}

// accessControlPolicy is the XML body of PUT/GET ?acl.
type accessControlPolicy struct {
	XMLName xml.Name   `xml:"AccessControlPolicy"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Owner   ownerXML   `xml:"Owner"`
	Grants  []grantXML `xml:"AccessControlList>Grant"`
}

type grantXML struct {
	Grantee    granteeXML `xml:"Grantee"`
	Permission string     `xml:"Permission"`
}

type granteeXML struct {
	XmlnsXSI    string `xml:"xmlns:xsi,attr,omitempty"`
	Type        string `xml:"xsi:type,attr,omitempty"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

type ownerXML struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

// parseACLBody reads an AccessControlPolicy document. Grants of the owner
// are implicit and dropped.
func (s *Server) parseACLBody(body []byte, owner string) (*aclState, *apiError) {
	var doc struct {
		Grants []struct {
			Grantee struct {
				ID  string `xml:"ID"`
				URI string `xml:"URI"`
			} `xml:"Grantee"`
			Permission string `xml:"Permission"`
		} `xml:"AccessControlList>Grant"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, errMalformedXML()
	}
	st := &aclState{}
	for _, g := range doc.Grants {
		switch g.Permission {
		case "READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL":
		default:
			return nil, errMalformedXML()
		}
		switch {
		case g.Grantee.ID != "":
			u := s.resolveUser(g.Grantee.ID)
			if u == "" {
				return nil, errInvalidArgument("Invalid id")
			}
			if u != owner {
				st.grants = append(st.grants, aclGrant{user: u, perm: g.Permission})
			}
		case g.Grantee.URI == groupAllUsers || g.Grantee.URI == groupAuthUsers:
			st.grants = append(st.grants, aclGrant{group: g.Grantee.URI, perm: g.Permission})
		default:
			return nil, errMalformedXML()
		}
	}
	return st, nil
}

// policyDoc is a parsed bucket policy.
type policyDoc struct {
	statements []policyStatement
}

type policyStatement struct {
	allow      bool
	principals []string // "*" or values resolved by resolveUser at check time
	actions    []string
	resources  []string
}

// stringOrList decodes a JSON string or array of strings.
type stringOrList []string

func (l *stringOrList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var v []string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = v
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = []string{v}
	return nil
}

func errMalformedPolicy(format string, a ...any) *apiError {
	return errf(http.StatusBadRequest, "MalformedPolicy", format, a...)
}

// parsePolicy validates and parses a bucket policy for bucket. Conditions,
// NotPrincipal, NotAction and NotResource are refused rather than silently
// ignored: the reference endpoint does not evaluate them.
func parsePolicy(body []byte, bucketName string) (*policyDoc, *apiError) {
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return nil, errMalformedPolicy("Policies must be valid JSON and the first byte must be '{'")
	}
	if len(raw.Statement) == 0 {
		return nil, errMalformedPolicy("Missing required field Statement")
	}
	type stmtJSON struct {
		Sid          string          `json:"Sid"`
		Effect       string          `json:"Effect"`
		Principal    json.RawMessage `json:"Principal"`
		Action       stringOrList    `json:"Action"`
		Resource     stringOrList    `json:"Resource"`
		Condition    json.RawMessage `json:"Condition"`
		NotPrincipal json.RawMessage `json:"NotPrincipal"`
		NotAction    json.RawMessage `json:"NotAction"`
		NotResource  json.RawMessage `json:"NotResource"`
	}
	var stmts []stmtJSON
	st := bytes.TrimSpace(raw.Statement)
	if st[0] == '[' {
		if err := json.Unmarshal(st, &stmts); err != nil {
			return nil, errMalformedPolicy("Statement is not valid: %v", err)
		}
	} else {
		var one stmtJSON
		if err := json.Unmarshal(st, &one); err != nil {
			return nil, errMalformedPolicy("Statement is not valid: %v", err)
		}
		stmts = []stmtJSON{one}
	}
	if len(stmts) == 0 {
		return nil, errMalformedPolicy("Missing required field Statement")
	}
	doc := &policyDoc{}
	for _, js := range stmts {
		if len(js.Condition) > 0 || len(js.NotPrincipal) > 0 || len(js.NotAction) > 0 || len(js.NotResource) > 0 {
			return nil, errMalformedPolicy("Condition, NotPrincipal, NotAction and NotResource are not supported by the reference endpoint")
		}
		var ps policyStatement
		switch js.Effect {
		case "Allow":
			ps.allow = true
		case "Deny":
		default:
			return nil, errMalformedPolicy("Invalid effect: %s", js.Effect)
		}
		prins, err := parsePrincipal(js.Principal)
		if err != nil {
			return nil, errMalformedPolicy("Invalid principal in policy: %v", err)
		}
		ps.principals = prins
		if len(js.Action) == 0 {
			return nil, errMalformedPolicy("Missing required field Action")
		}
		for _, a := range js.Action {
			if a != "*" && !strings.HasPrefix(strings.ToLower(a), "s3:") {
				return nil, errMalformedPolicy("Policy has invalid action: %s", a)
			}
		}
		ps.actions = js.Action
		if len(js.Resource) == 0 {
			return nil, errMalformedPolicy("Missing required field Resource")
		}
		for _, res := range js.Resource {
			rest, ok := strings.CutPrefix(res, "arn:aws:s3:::")
			if !ok {
				return nil, errMalformedPolicy("Policy has invalid resource: %s", res)
			}
			bkt, _, _ := strings.Cut(rest, "/")
			if !wildMatch(bkt, bucketName) {
				return nil, errMalformedPolicy("Policy has invalid resource: %s", res)
			}
		}
		ps.resources = js.Resource
		doc.statements = append(doc.statements, ps)
	}
	return doc, nil
}

func parsePrincipal(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("missing Principal")
	}
	if raw[0] == '"' {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		if v != "*" {
			return nil, fmt.Errorf("a string Principal must be \"*\"")
		}
		return []string{"*"}, nil
	}
	var m map[string]stringOrList
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	var out []string
	for k, vs := range m {
		if k != "AWS" && k != "CanonicalUser" {
			return nil, fmt.Errorf("unsupported principal type %q", k)
		}
		out = append(out, vs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty Principal")
	}
	return out, nil
}

// wildMatch matches IAM-style patterns: '*' any run (including '/'), '?'
// one character.
func wildMatch(pattern, s string) bool { return wildMatchRunes([]rune(pattern), []rune(s)) }

func wildMatchRunes(p, s []rune) bool {
	// Iterative glob with backtracking on the last '*'.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func (st *policyStatement) matches(s *Server, id *identity, action, resource string) bool {
	okP := false
	for _, p := range st.principals {
		if p == "*" || (id != nil && s.resolveUser(p) == id.user) {
			okP = true
			break
		}
	}
	if !okP {
		return false
	}
	okA := false
	for _, a := range st.actions {
		if a == "*" || wildMatch(strings.ToLower(a), strings.ToLower(action)) {
			okA = true
			break
		}
	}
	if !okA {
		return false
	}
	for _, r := range st.resources {
		if wildMatch(r, resource) {
			return true
		}
	}
	return false
}

// allowed decides whether id (nil: anonymous) may do action on bucket b
// (key "" for bucket-level actions). An explicit Deny wins over everything;
// then the owner is allowed; then a policy Allow or an ACL grant. Callers
// hold s.mu.
func (s *Server) allowed(b *bucket, id *identity, action, key string) bool {
	resource := "arn:aws:s3:::" + b.name
	if key != "" {
		resource += "/" + key
	}
	if b.policy != nil {
		for i := range b.policy.statements {
			st := &b.policy.statements[i]
			if !st.allow && st.matches(s, id, action, resource) {
				return false
			}
		}
	}
	if id != nil && id.user == b.owner {
		return true
	}
	if b.policy != nil {
		for i := range b.policy.statements {
			st := &b.policy.statements[i]
			if st.allow && st.matches(s, id, action, resource) {
				return true
			}
		}
	}
	for _, g := range b.acl.grants {
		match := g.group == groupAllUsers || (g.group == groupAuthUsers && id != nil) || (id != nil && g.user == id.user)
		if !match {
			continue
		}
		for _, p := range aclPerms[action] {
			if g.perm == p || g.perm == "FULL_CONTROL" {
				return true
			}
		}
	}
	return false
}
