package refserver

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The S3 surface around UploadPartCopy that the suites and the load
// generator use, driven by the AWS SDK.

func TestBucketLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	b := e.bucket(e.main)
	_, err := e.main.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, 409, "BucketAlreadyOwnedByYou")
	_, err = e.alt.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, 409, "BucketAlreadyExists")
	if _, err := e.main.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.alt.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, 403)
	_, err = e.main.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket-x")})
	wantCode(t, err, 404)
	lb, err := e.main.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != b {
		t.Fatalf("ListBuckets %+v %v", lb, err)
	}
	if lb, _ := e.alt.ListBuckets(ctx, &s3.ListBucketsInput{}); len(lb.Buckets) != 0 {
		t.Fatal("alt sees main's bucket")
	}
	e.put(e.main, b, "k", []byte("x"))
	_, err = e.main.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, 409, "BucketNotEmpty")
	_, err = e.alt.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, 403, "AccessDenied")
	out, err := e.main.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k")}}}})
	if err != nil || len(out.Deleted) != 1 {
		t.Fatalf("DeleteObjects %+v %v", out, err)
	}
	e.initiate(e.main, b, "pending") // uploads in progress go with the bucket
	if _, err := e.main.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.main.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b)})
	wantCode(t, err, 404)
}

func TestListingAndVersions(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	b := e.bucket(e.main)
	for _, k := range []string{"a/1", "a/2", "b/1", "c"} {
		e.put(e.main, b, k, []byte(k))
	}
	out, err := e.main.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b), Delimiter: aws.String("/")})
	if err != nil || len(out.Contents) != 1 || len(out.CommonPrefixes) != 2 {
		t.Fatalf("ListObjectsV2 %+v %v", out, err)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(e.main, &s3.ListObjectsV2Input{Bucket: aws.String(b), MaxKeys: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if strings.Join(keys, ",") != "a/1,a/2,b/1,c" {
		t.Fatalf("paginated keys %v", keys)
	}
	v1, err := e.main.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String(b), Prefix: aws.String("a/")})
	if err != nil || len(v1.Contents) != 2 {
		t.Fatalf("ListObjects %+v %v", v1, err)
	}
	if _, err := e.main.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	gv, err := e.main.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if err != nil || gv.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning %+v %v", gv, err)
	}
	e.put(e.main, b, "c", []byte("c2"))
	if _, err := e.main.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	lv, err := e.main.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("c")})
	if err != nil || len(lv.Versions) != 2 || len(lv.DeleteMarkers) != 1 {
		t.Fatalf("ListObjectVersions %+v %v", lv, err)
	}
	// Deleting every version empties the key.
	for _, v := range lv.Versions {
		if _, err := e.main.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("c"), VersionId: v.VersionId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.main.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String("c"), VersionId: lv.DeleteMarkers[0].VersionId}); err != nil {
		t.Fatal(err)
	}
	if lv, _ := e.main.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b), Prefix: aws.String("c")}); len(lv.Versions)+len(lv.DeleteMarkers) != 0 {
		t.Fatalf("versions left: %+v", lv)
	}
}

func TestCopyObject(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	b := e.bucket(e.main)
	data := randBytes(2000)
	e.put(e.main, b, "src", data, func(in *s3.PutObjectInput) { in.Metadata = map[string]string{"m": "1"} })
	out, err := e.main.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/src")})
	if err != nil || aws.ToString(out.CopyObjectResult.ETag) != `"`+md5Hex(data)+`"` {
		t.Fatalf("CopyObject %+v %v", out, err)
	}
	h, err := e.main.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("copy")})
	if err != nil || h.Metadata["m"] != "1" {
		t.Fatalf("metadata not copied: %+v %v", h, err)
	}
	if _, err := e.main.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("copy"), CopySource: aws.String(b + "/src"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"m": "2"}}); err != nil {
		t.Fatal(err)
	}
	if h, _ := e.main.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("copy")}); h.Metadata["m"] != "2" {
		t.Fatalf("metadata not replaced: %v", h.Metadata)
	}
	_, err = e.main.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("src"), CopySource: aws.String(b + "/src")})
	wantCode(t, err, 400, "InvalidRequest")
	_, err = e.main.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("c2"), CopySource: aws.String(b + "/src"), CopySourceIfMatch: aws.String(`"nope"`)})
	wantCode(t, err, 412, "PreconditionFailed")
	e.put(e.main, b, "cold", []byte("c"), func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassDeepArchive })
	_, err = e.main.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("c3"), CopySource: aws.String(b + "/cold")})
	wantCode(t, err, 403, "InvalidObjectState")
	_, err = e.alt.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b), Key: aws.String("c4"), CopySource: aws.String(b + "/src")})
	wantCode(t, err, 403, "AccessDenied")
}

func TestObjectGetHeadConditionsAndUploadsListing(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	b := e.bucket(e.main)
	out := e.put(e.main, b, "k", []byte("hello"))
	_, err := e.main.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfNoneMatch: out.ETag})
	wantCode(t, err, 304)
	_, err = e.main.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), IfMatch: aws.String(`"x"`)})
	wantCode(t, err, 412, "PreconditionFailed")
	g, err := e.main.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Range: aws.String("bytes=-3")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if !bytes.Equal(body, []byte("llo")) {
		t.Fatalf("suffix range %q", body)
	}
	_, err = e.main.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("k"), Range: aws.String("bytes=10-")})
	wantCode(t, err, 416, "InvalidRange")
	_, err = e.main.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("missing")})
	wantCode(t, err, 404, "NoSuchKey")

	id1 := e.initiate(e.main, b, "u1")
	id2 := e.initiate(e.main, b, "u2")
	lu, err := e.main.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	if err != nil || len(lu.Uploads) != 2 || aws.ToString(lu.Uploads[0].UploadId) != id1 || aws.ToString(lu.Uploads[1].UploadId) != id2 {
		t.Fatalf("ListMultipartUploads %+v %v", lu, err)
	}
	_, err = e.alt.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
	wantCode(t, err, 403, "AccessDenied")
	_, err = e.alt.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(b), Key: aws.String("u1"), UploadId: aws.String(id1)})
	wantCode(t, err, 403, "AccessDenied")
	_, err = e.alt.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String("u1"), UploadId: aws.String(id1)})
	wantCode(t, err, 403, "AccessDenied")

	pol, err := e.main.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b)})
	wantCode(t, err, 404, "NoSuchBucketPolicy")
	_ = pol
	e.grantPolicy(e.main, b, "alt", "Allow", "s3:GetObject")
	if pol, err := e.main.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b)}); err != nil || !strings.Contains(aws.ToString(pol.Policy), "s3:GetObject") {
		t.Fatalf("GetBucketPolicy %v", err)
	}
	_, err = e.alt.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(b)})
	wantCode(t, err, 403, "AccessDenied")
	if _, err := e.main.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), ACL: types.BucketCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	acl, err := e.main.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(b)})
	if err != nil || len(acl.Grants) != 2 || aws.ToString(acl.Owner.ID) != canonicalID("main") {
		t.Fatalf("GetBucketAcl %+v %v", acl, err)
	}
}
