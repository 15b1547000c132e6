package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const (
	s3TestAccount = "123456789012" // the account the mocks answer with
	s3TestKeyArn  = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
)

var s3TestPurposes = []string{
	components.VideosBucket, components.UploadsBucket,
	components.StaticBucket, components.LogsBucket,
}

// s3TestArgs are storage settings that differ from every default, so a
// test sees them come through.
func s3TestArgs() *components.StorageArgs {
	return &components.StorageArgs{
		AccountID:                       s3TestAccount,
		Region:                          "us-east-1",
		KeyArn:                          pulumi.String(s3TestKeyArn),
		CorsOrigins:                     []string{"https://app.example.com", "https://www.example.com"},
		InfrequentAccessAfterDays:       45,
		NoncurrentVersionExpirationDays: 20,
		LogExpirationDays:               14,
		Protect:                         true,
	}
}

// runStorage creates a Storage named "sf" in region and returns what was
// registered, with the component's media outputs as stack outputs.
func runStorage(t *testing.T, region string, args *components.StorageArgs) *harness.Result {
	t.Helper()

	result, err := harness.Run("socialflow", "test", harness.NewMocks(region),
		func(ctx *pulumi.Context) (pulumi.Map, error) {
			s, err := components.NewStorage(ctx, "sf", args)
			if err != nil {
				return nil, err
			}

			return pulumi.Map{
				"mediaAccessPolicy": s.MediaAccessPolicy,
				"mediaBucketArns":   s.MediaBucketArns,
				"videosArn":         s.Videos.Arn,
				"uploadsArn":        s.Uploads.Arn,
			}, nil
		})
	require.NoError(t, err)

	return result
}

// s3Find returns the resource of typ named name, failing if it is absent.
func s3Find(t *testing.T, r *harness.Result, typ, name string) *harness.Resource {
	t.Helper()

	res := r.Find(typ, name)
	require.NotNil(t, res, "%s %s is registered", typ, name)

	return res
}

// s3Statements decodes the statements of a policy document input.
func s3Statements(t *testing.T, res *harness.Resource, key string) []map[string]any {
	t.Helper()

	raw, ok := document(t, res, key)["Statement"].([]any)
	require.True(t, ok, "%s has a statement list", res.Name)
	out := make([]map[string]any, len(raw))
	for i, s := range raw {
		out[i], ok = s.(map[string]any)
		require.True(t, ok)
	}

	return out
}

// s3Statement returns the statement with the given Sid.
func s3Statement(t *testing.T, statements []map[string]any, sid string) map[string]any {
	t.Helper()

	for _, s := range statements {
		if s["Sid"] == sid {
			return s
		}
	}
	require.Failf(t, "statement missing", "no statement %q in %v", sid, statements)

	return nil
}

// assertDeniesPlainHTTP checks the TLS-only statement of a bucket policy.
func assertDeniesPlainHTTP(t *testing.T, statements []map[string]any, bucketArn string) {
	t.Helper()

	deny := s3Statement(t, statements, "DenyInsecureTransport")
	assert.Equal(t, "Deny", deny["Effect"])
	assert.Equal(t, "*", deny["Principal"])
	assert.Equal(t, "s3:*", deny["Action"])
	assert.ElementsMatch(t, []any{bucketArn, bucketArn + "/*"}, deny["Resource"])
	assert.Equal(t, map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
		deny["Condition"])
}

const (
	typBucket     = "aws:s3/bucketV2:BucketV2"
	typOwnership  = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	typPAB        = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	typEncryption = "aws:s3/bucketServerSideEncryptionConfigurationV2:" +
		"BucketServerSideEncryptionConfigurationV2"
	typVersioning = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	typLifecycle  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	typCors       = "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2"
	typPolicy     = "aws:s3/bucketPolicy:BucketPolicy"
)

func TestStorageBucketsDisableACLsAndBlockAllPublicAccess(t *testing.T) {
	t.Parallel()

	r := runStorage(t, "us-east-1", s3TestArgs())
	require.Len(t, r.OfType(typBucket), 4)
	assert.Empty(t, r.OfType("aws:s3/bucketAclV2:BucketAclV2"), "no ACL is ever set")
	for _, p := range s3TestPurposes {
		bucket := s3Find(t, r, typBucket, "sf-"+p)
		assert.NotContains(t, bucket.Inputs, "acl", p)
		assert.NotContains(t, bucket.Inputs, "grants", p)

		own := s3Find(t, r, typOwnership, "sf-"+p+"-ownership")
		assert.Equal(t, "sf-"+p, own.Inputs["bucket"])
		assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"}, own.Inputs["rule"])

		pab := s3Find(t, r, typPAB, "sf-"+p+"-public-access")
		assert.Equal(t, "sf-"+p, pab.Inputs["bucket"])
		for _, flag := range []string{
			"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets",
		} {
			assert.Equal(t, true, pab.Inputs[flag], "%s %s", p, flag)
		}
	}
}

func TestStorageEncryptsUploadsWithTheCustomerKeyAndServedBucketsWithS3Keys(t *testing.T) {
	t.Parallel()

	r := runStorage(t, "us-east-1", s3TestArgs())
	want := map[string]map[string]any{
		// Only the application reads uploads, through IAM and the key.
		components.UploadsBucket: {
			"applyServerSideEncryptionByDefault": map[string]any{
				"sseAlgorithm": "aws:kms", "kmsMasterKeyId": s3TestKeyArn,
			},
			"bucketKeyEnabled": true,
		},
		// CloudFront reads these without any key policy.
		components.VideosBucket: {
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
		},
		components.StaticBucket: {
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
		},
		// Load balancer access logs support SSE-S3 only.
		components.LogsBucket: {
			"applyServerSideEncryptionByDefault": map[string]any{"sseAlgorithm": "AES256"},
		},
	}
	for p, rule := range want {
		enc := s3Find(t, r, typEncryption, "sf-"+p+"-encryption")
		assert.Equal(t, "sf-"+p, enc.Inputs["bucket"])
		assert.Equal(t, []any{rule}, enc.Inputs["rules"], p)
	}
}

func TestStorageProtectsBucketsAndVersioningAndNeverForceDestroysThem(t *testing.T) {
	t.Parallel()

	r := runStorage(t, "us-east-1", s3TestArgs())
	for _, p := range s3TestPurposes {
		bucket := s3Find(t, r, typBucket, "sf-"+p)
		assert.True(t, bucket.Protect, p)
		assert.Equal(t, false, bucket.Inputs["forceDestroy"], p)

		v := s3Find(t, r, typVersioning, "sf-"+p+"-versioning")
		assert.True(t, v.Protect, p)
		assert.Equal(t, map[string]any{"status": "Enabled"}, v.Inputs["versioningConfiguration"])
	}
}

func TestStorageUnprotectedBucketsMayBeForceDestroyed(t *testing.T) {
	t.Parallel()

	args := s3TestArgs()
	args.Protect, args.ForceDestroy = false, true
	r := runStorage(t, "us-east-1", args)
	for _, p := range s3TestPurposes {
		bucket := s3Find(t, r, typBucket, "sf-"+p)
		assert.False(t, bucket.Protect, p)
		assert.Equal(t, true, bucket.Inputs["forceDestroy"], p)
	}
}

func TestStorageRefusesForceDestroyOnProtectedBuckets(t *testing.T) {
	t.Parallel()

	args := s3TestArgs()
	args.ForceDestroy = true
	_, err := runComponentE(func(ctx *pulumi.Context) error {
		_, err := components.NewStorage(ctx, "sf", args)

		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "forceDestroy")
}

func TestStorageLifecycleTiersMediaAndExpiresOldVersions(t *testing.T) {
	t.Parallel()

	r := runStorage(t, "us-east-1", s3TestArgs())
	whole := map[string]any{}
	abort := func(days int) map[string]any {
		return map[string]any{
			"id": "abort-incomplete-multipart-uploads", "status": "Enabled", "filter": whole,
			"abortIncompleteMultipartUpload": map[string]any{"daysAfterInitiation": float64(days)},
		}
	}
	tier := map[string]any{
		"id": "tier-aging-media", "status": "Enabled", "filter": whole,
		"transitions": []any{
			map[string]any{"days": float64(45), "storageClass": "STANDARD_IA"},
			// Glacier Instant Retrieval still serves reads in milliseconds.
			map[string]any{"days": float64(105), "storageClass": "GLACIER_IR"},
		},
	}
	noncurrent := map[string]any{
		"id": "expire-noncurrent-versions", "status": "Enabled", "filter": whole,
		"expiration":                  map[string]any{"expiredObjectDeleteMarker": true},
		"noncurrentVersionExpiration": map[string]any{"noncurrentDays": float64(20)},
	}
	logs := map[string]any{
		"id": "expire-objects-and-noncurrent-versions", "status": "Enabled", "filter": whole,
		"expiration":                  map[string]any{"days": float64(14)},
		"noncurrentVersionExpiration": map[string]any{"noncurrentDays": float64(20)},
	}
	want := map[string][]any{
		components.VideosBucket:  {abort(7), tier, noncurrent},
		components.UploadsBucket: {abort(2), tier, noncurrent},
		components.StaticBucket:  {abort(7), noncurrent},
		components.LogsBucket:    {abort(7), logs},
	}
	for p, rules := range want {
		lc := s3Find(t, r, typLifecycle, "sf-"+p+"-lifecycle")
		assert.Equal(t, "sf-"+p, lc.Inputs["bucket"])
		assert.Equal(t, rules, lc.Inputs["rules"], p)
		v := s3Find(t, r, typVersioning, "sf-"+p+"-versioning")
		assert.Contains(t, lc.DependsOn, v.URN, "%s lifecycle waits for versioning", p)
	}
}

func TestStorageUploadsAcceptBrowserUploadsFromConfiguredOriginsOnly(t *testing.T) {
	t.Parallel()

	r := runStorage(t, "us-east-1", s3TestArgs())
	cors := only(t, r, typCors)
	assert.Equal(t, "sf-uploads-cors", cors.Name)
	assert.Equal(t, "sf-uploads", cors.Inputs["bucket"])
	assert.Equal(t, []any{map[string]any{
		"id":             "browser-uploads",
		"allowedMethods": []any{"PUT", "POST", "GET"},
		"allowedOrigins": []any{"https://app.example.com", "https://www.example.com"},
		"allowedHeaders": []any{"*"},
		"exposeHeaders":  []any{"ETag"},
		"maxAgeSeconds":  float64(3000),
	}}, cors.Inputs["corsRules"])
}

func TestStorageWithoutCorsOriginsAllowsNoCrossOriginRequests(t *testing.T) {
	t.Parallel()

	args := s3TestArgs()
	args.CorsOrigins = nil
	r := runStorage(t, "us-east-1", args)
	assert.Empty(t, r.OfType(typCors))
}

func TestStorageWritesTheTLSOnlyPoliciesOfUploadsAndLogsAndLeavesServedBucketsToTheCDN(
	t *testing.T,
) {
	t.Parallel()

	r := runStorage(t, "us-east-1", s3TestArgs())
	policies := r.OfType(typPolicy)
	require.Len(t, policies, 2)

	uploads := s3Find(t, r, typPolicy, "sf-uploads-policy")
	assert.Equal(t, "sf-uploads", uploads.Inputs["bucket"])
	statements := s3Statements(t, uploads, "policy")
	assert.Len(t, statements, 1, "uploads are reached through IAM only")
	assertDeniesPlainHTTP(t, statements, "arn:aws:s3:::sf-uploads")

	logs := s3Find(t, r, typPolicy, "sf-logs-policy")
	assert.Equal(t, "sf-logs", logs.Inputs["bucket"])
	assertDeniesPlainHTTP(t, s3Statements(t, logs, "policy"), "arn:aws:s3:::sf-logs")

	for _, p := range []*harness.Resource{uploads, logs} {
		pab := s3Find(t, r, typPAB, p.Inputs["bucket"].(string)+"-public-access")
		assert.Contains(t, p.DependsOn, pab.URN, "%s waits for the public access block", p.Name)
	}
}

func TestAlbLogPrincipalIsTheRegionsELBAccountOrTheServicePrincipal(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		region string
		want   map[string]string
	}{
		// Regions opened before August 2022 name their ELB account.
		{"us-east-1", map[string]string{"AWS": "arn:aws:iam::127311923021:root"}},
		{"us-west-2", map[string]string{"AWS": "arn:aws:iam::797873946194:root"}},
		{"eu-west-1", map[string]string{"AWS": "arn:aws:iam::156460612806:root"}},
		{"ap-southeast-3", map[string]string{"AWS": "arn:aws:iam::589379963580:root"}},
		// Later regions have no such account.
		{"me-central-1", map[string]string{
			"Service": "logdelivery.elasticloadbalancing.amazonaws.com",
		}},
		{"eu-central-2", map[string]string{
			"Service": "logdelivery.elasticloadbalancing.amazonaws.com",
		}},
	} {
		t.Run(tc.region, func(t *testing.T) {
			t.Parallel()

			assert.Equal(t, tc.want, components.AlbLogPrincipal(tc.region))
		})
	}
}

func TestLogBucketLetsTheLoadBalancerWriteUnderItsPrefixOnly(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		region    string
		principal any
	}{
		{"us-east-1", map[string]any{"AWS": "arn:aws:iam::127311923021:root"}},
		{"eu-central-2", map[string]any{
			"Service": "logdelivery.elasticloadbalancing.amazonaws.com",
		}},
	} {
		t.Run(tc.region, func(t *testing.T) {
			t.Parallel()

			args := s3TestArgs()
			args.Region = tc.region
			r := runStorage(t, tc.region, args)
			statements := s3Statements(t, s3Find(t, r, typPolicy, "sf-logs-policy"), "policy")
			alb := s3Statement(t, statements, "AllowLoadBalancerAccessLogs")
			assert.Equal(t, "Allow", alb["Effect"])
			assert.Equal(t, tc.principal, alb["Principal"])
			assert.Equal(t, "s3:PutObject", alb["Action"])
			assert.Equal(t, "arn:aws:s3:::sf-logs/alb/AWSLogs/"+s3TestAccount+"/*", alb["Resource"])
		})
	}
}

func TestLogBucketTakesCloudFrontLogsFromThisAccountsUSEast1DeliverySourcesOnly(t *testing.T) {
	t.Parallel()

	// Even a stack in another region gets CloudFront's logs from us-east-1.
	args := s3TestArgs()
	args.Region = "eu-west-1"
	r := runStorage(t, "eu-west-1", args)
	statements := s3Statements(t, s3Find(t, r, typPolicy, "sf-logs-policy"), "policy")
	require.Len(t, statements, 3)
	cf := s3Statement(t, statements, "AllowCloudFrontAccessLogDelivery")
	assert.Equal(t, "Allow", cf["Effect"])
	assert.Equal(t, map[string]any{"Service": "delivery.logs.amazonaws.com"}, cf["Principal"])
	assert.Equal(t, "s3:PutObject", cf["Action"])
	assert.Equal(t, "arn:aws:s3:::sf-logs/AWSLogs/"+s3TestAccount+"/*", cf["Resource"])
	assert.Equal(t, map[string]any{
		"StringEquals": map[string]any{
			// With ACLs disabled S3 still accepts this one canned ACL.
			"s3:x-amz-acl":      "bucket-owner-full-control",
			"aws:SourceAccount": s3TestAccount,
		},
		"ArnLike": map[string]any{
			"aws:SourceArn": "arn:aws:logs:us-east-1:" + s3TestAccount + ":delivery-source:*",
		},
	}, cf["Condition"])
}

func TestMediaAccessPolicyCoversExactlyTheMediaBucketsAndTheirKey(t *testing.T) {
	t.Parallel()

	r := runStorage(t, "us-east-1", s3TestArgs())
	videos, _ := r.Outputs["videosArn"].(string)
	uploads, _ := r.Outputs["uploadsArn"].(string)
	assert.Equal(t, []string{videos, uploads}, r.Outputs["mediaBucketArns"])

	policy := &harness.Resource{Name: "media", Inputs: map[string]any{
		"policy": r.Outputs["mediaAccessPolicy"],
	}}
	statements := s3Statements(t, policy, "policy")
	require.Len(t, statements, 3)
	list := s3Statement(t, statements, "ListMediaBuckets")
	assert.Equal(t, []any{videos, uploads}, list["Resource"])
	rw := s3Statement(t, statements, "ReadWriteMedia")
	assert.Equal(t, []any{videos + "/*", uploads + "/*"}, rw["Resource"])
	assert.Subset(t, rw["Action"], []any{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"})
	key := s3Statement(t, statements, "UseMediaKeyThroughS3")
	assert.Equal(t, s3TestKeyArn, key["Resource"])
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{
		"kms:ViaService": "s3.us-east-1.amazonaws.com",
	}}, key["Condition"])
}
