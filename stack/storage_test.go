package stack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

var storagePurposes = []string{"videos", "uploads", "static", "logs"}

const (
	stBucket       = "aws:s3/bucketV2:BucketV2"
	stPolicy       = "aws:s3/bucketPolicy:BucketPolicy"
	stDistribution = "aws:cloudfront/distribution:Distribution"
)

// stStatements decodes a bucket policy's statements by Sid.
func stStatements(t *testing.T, policy *harness.Resource) map[string]map[string]any {
	t.Helper()

	s, ok := policy.Inputs["policy"].(string)
	require.True(t, ok, "%s has a JSON policy", policy.Name)
	var doc struct {
		Statement []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(s), &doc))
	out := map[string]map[string]any{}
	for _, st := range doc.Statement {
		sid, _ := st["Sid"].(string)
		require.NotEmpty(t, sid, "every statement of %s has a Sid", policy.Name)
		out[sid] = st
	}

	return out
}

// stPolicyOf returns the one bucket policy of bucket.
func stPolicyOf(t *testing.T, r *harness.Result, bucket string) *harness.Resource {
	t.Helper()

	var found []*harness.Resource
	for _, p := range r.OfType(stPolicy) {
		if p.Inputs["bucket"] == bucket {
			found = append(found, p)
		}
	}
	require.Len(t, found, 1, "bucket %s has exactly one policy", bucket)

	return found[0]
}

func TestStacksProtectBucketsInProdAndForceDestroyThemOnlyInDev(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		stack        string
		protect      bool
		forceDestroy bool
	}{
		{"dev", false, true},
		{"staging", false, false},
		{"prod", true, false},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()

			r, cfg := stackRun(t, tc.stack)
			require.Equal(t, tc.protect, cfg.Protect, "stack file sets protect")
			require.Len(t, r.OfType(stBucket), 4)
			for _, p := range storagePurposes {
				name := cfg.Name() + "-" + p
				bucket := find(t, r, stBucket, name)
				assert.Equal(t, tc.protect, bucket.Protect, name)
				assert.Equal(t, tc.forceDestroy, bucket.Inputs["forceDestroy"], name)
				versioning := find(t, r, "aws:s3/bucketVersioningV2:BucketVersioningV2",
					name+"-versioning")
				assert.Equal(t, tc.protect, versioning.Protect, name)
				assert.Equal(t, map[string]any{"status": "Enabled"},
					versioning.Inputs["versioningConfiguration"], name)
			}
		})
	}
}

func TestStacksBucketsAreOwnerEnforcedPrivateAndEncrypted(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, cfg *config.Config) {
		assert.Empty(t, r.OfType("aws:s3/bucketAclV2:BucketAclV2"))
		for _, p := range storagePurposes {
			name := cfg.Name() + "-" + p
			own := find(t, r, "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
				name+"-ownership")
			assert.Equal(t, map[string]any{"objectOwnership": "BucketOwnerEnforced"},
				own.Inputs["rule"])
			pab := find(t, r, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
				name+"-public-access")
			for _, flag := range []string{
				"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
				"restrictPublicBuckets",
			} {
				assert.Equal(t, true, pab.Inputs[flag], "%s %s", name, flag)
			}

			enc := find(t, r, "aws:s3/bucketServerSideEncryptionConfigurationV2:"+
				"BucketServerSideEncryptionConfigurationV2", name+"-encryption")
			rules, ok := enc.Inputs["rules"].([]any)
			require.True(t, ok)
			require.Len(t, rules, 1)
			byDefault := rules[0].(map[string]any)["applyServerSideEncryptionByDefault"]
			want := map[string]any{"sseAlgorithm": "AES256"}
			if p == "uploads" {
				want = map[string]any{
					"sseAlgorithm":   "aws:kms",
					"kmsMasterKeyId": r.Outputs["kmsKeyArn"],
				}
			}
			assert.Equal(t, want, byDefault, name)
		}
	})
}

func TestStacksGiveEveryBucketOnePolicyThatRefusesPlainHTTP(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, cfg *config.Config) {
		require.Len(t, r.OfType(stPolicy), 4)
		for _, p := range storagePurposes {
			name := cfg.Name() + "-" + p
			arn := "arn:aws:s3:::" + name
			deny := stStatements(t, stPolicyOf(t, r, name))["DenyInsecureTransport"]
			require.NotNil(t, deny, name)
			assert.Equal(t, "Deny", deny["Effect"])
			assert.Equal(t, "*", deny["Principal"])
			assert.Equal(t, "s3:*", deny["Action"])
			assert.Equal(t, []any{arn, arn + "/*"}, deny["Resource"])
			assert.Equal(t, map[string]any{"Bool": map[string]any{
				"aws:SecureTransport": "false",
			}}, deny["Condition"])
		}
	})
}

func TestStacksLetCloudFrontReadServedBucketsForTheirOwnDistributionOnly(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, cfg *config.Config) {
		distArn, _ := r.Outputs["cdnDistributionArn"].(string)
		distID, _ := r.Outputs["cdnDistributionId"].(string)
		require.NotEmpty(t, distID)
		require.Equal(t, "arn:aws:cloudfront::123456789012:distribution/"+distID, distArn)
		for _, p := range []string{"static", "videos"} {
			name := cfg.Name() + "-" + p
			statements := stStatements(t, stPolicyOf(t, r, name))
			assert.Len(t, statements, 2, name)
			read := statements["AllowCloudFrontReadsForThisDistribution"]
			require.NotNil(t, read, name)
			assert.Equal(t, map[string]any{"Service": "cloudfront.amazonaws.com"},
				read["Principal"])
			assert.Equal(t, "s3:GetObject", read["Action"])
			assert.Equal(t, "arn:aws:s3:::"+name+"/*", read["Resource"])
			assert.Equal(t, map[string]any{"StringEquals": map[string]any{
				"AWS:SourceArn": distArn,
			}}, read["Condition"])
		}
		uploads := stStatements(t, stPolicyOf(t, r, cfg.Name()+"-uploads"))
		assert.Len(t, uploads, 1, "nothing but IAM principals reach uploads")
	})
}

func TestStacksLogBucketTakesLoadBalancerAndCloudFrontLogs(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, cfg *config.Config) {
		require.Equal(t, "us-east-1", cfg.Region)
		arn := "arn:aws:s3:::" + cfg.Name() + "-logs"
		statements := stStatements(t, stPolicyOf(t, r, cfg.Name()+"-logs"))
		require.Len(t, statements, 3)

		// us-east-1 opened before August 2022: its ELB account writes.
		alb := statements["AllowLoadBalancerAccessLogs"]
		assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::127311923021:root"},
			alb["Principal"])
		assert.Equal(t, "s3:PutObject", alb["Action"])
		assert.Equal(t, arn+"/alb/AWSLogs/123456789012/*", alb["Resource"])

		cf := statements["AllowCloudFrontAccessLogDelivery"]
		assert.Equal(t, map[string]any{"Service": "delivery.logs.amazonaws.com"},
			cf["Principal"])
		assert.Equal(t, arn+"/AWSLogs/123456789012/*", cf["Resource"])
		assert.Equal(t, map[string]any{
			"StringEquals": map[string]any{
				"s3:x-amz-acl":      "bucket-owner-full-control",
				"aws:SourceAccount": "123456789012",
			},
			"ArnLike": map[string]any{
				"aws:SourceArn": "arn:aws:logs:us-east-1:123456789012:delivery-source:*",
			},
		}, cf["Condition"])

		source := r.OfType("aws:cloudwatch/logDeliverySource:LogDeliverySource")
		require.Len(t, source, 1)
		assert.Equal(t, "ACCESS_LOGS", source[0].Inputs["logType"])
		assert.Equal(t, r.Outputs["cdnDistributionArn"], source[0].Inputs["resourceArn"])
		dest := r.OfType("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
		require.Len(t, dest, 1)
		assert.Equal(t, map[string]any{"destinationResourceArn": arn},
			dest[0].Inputs["deliveryDestinationConfiguration"])
		require.Len(t, r.OfType("aws:cloudwatch/logDelivery:LogDelivery"), 1)
		dist := find(t, r, stDistribution, cfg.Name()+"-cdn")
		assert.NotContains(t, dist.Inputs, "loggingConfig")
	})
}

func TestStacksTierMediaNoSoonerThanStandardIAAllows(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, cfg *config.Config) {
		for _, p := range storagePurposes {
			name := cfg.Name() + "-" + p
			lc := find(t, r,
				"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
				name+"-lifecycle")
			rules := map[string]map[string]any{}
			for _, raw := range lc.Inputs["rules"].([]any) {
				rule := raw.(map[string]any)
				assert.Equal(t, "Enabled", rule["status"])
				rules[rule["id"].(string)] = rule
			}

			abort := rules["abort-incomplete-multipart-uploads"]
			require.NotNil(t, abort, name)
			days := abort["abortIncompleteMultipartUpload"].(map[string]any)
			assert.Positive(t, days["daysAfterInitiation"], name)

			noncurrent := rules["expire-noncurrent-versions"]
			if p == "logs" {
				noncurrent = rules["expire-objects-and-noncurrent-versions"]
				require.NotNil(t, noncurrent)
				assert.Equal(t, map[string]any{"days": float64(cfg.LogRetentionDays)},
					noncurrent["expiration"])
			}
			require.NotNil(t, noncurrent, name)
			assert.Equal(t, map[string]any{
				"noncurrentDays": float64(cfg.Storage.NoncurrentVersionExpirationDays),
			}, noncurrent["noncurrentVersionExpiration"], name)

			tier, tiered := rules["tier-aging-media"]
			assert.Equal(t, p == "videos" || p == "uploads", tiered, name)
			if !tiered {
				continue
			}
			transitions := tier["transitions"].([]any)
			require.Len(t, transitions, 2)
			ia := transitions[0].(map[string]any)
			archive := transitions[1].(map[string]any)
			assert.Equal(t, "STANDARD_IA", ia["storageClass"])
			assert.Equal(t, float64(cfg.Storage.InfrequentAccessAfterDays), ia["days"])
			// S3 refuses a Standard-IA transition before 30 days.
			assert.GreaterOrEqual(t, ia["days"], float64(30))
			assert.Equal(t, "GLACIER_IR", archive["storageClass"])
			assert.GreaterOrEqual(t, archive["days"].(float64), ia["days"].(float64)+30,
				"objects stay at least Standard-IA's 30 billed days")
		}
	})
}

func TestStacksLetTheirOwnWebOriginsUploadStraightToS3(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, cfg *config.Config) {
		require.NotEmpty(t, cfg.Storage.CorsOrigins, "the stack file names web origins")
		cors := r.OfType("aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2")
		require.Len(t, cors, 1)
		assert.Equal(t, cfg.Name()+"-uploads", cors[0].Inputs["bucket"])
		rule := cors[0].Inputs["corsRules"].([]any)[0].(map[string]any)
		origins := make([]string, 0, len(cfg.Storage.CorsOrigins))
		for _, o := range rule["allowedOrigins"].([]any) {
			origins = append(origins, o.(string))
			if stack != "dev" {
				assert.True(t, strings.HasPrefix(o.(string), "https://"), o)
			}
		}
		assert.Equal(t, cfg.Storage.CorsOrigins, origins)
		assert.Equal(t, []any{"PUT", "POST", "GET"}, rule["allowedMethods"])
		assert.Equal(t, []any{"ETag"}, rule["exposeHeaders"])
	})
}

func TestStacksServeTheCDNOverHTTPSAtTheMatrixPriceClass(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct{ stack, priceClass string }{
		{"dev", "PriceClass_100"},
		{"staging", "PriceClass_200"},
		{"prod", "PriceClass_All"},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			t.Parallel()

			r, cfg := stackRun(t, tc.stack)
			dist := find(t, r, stDistribution, cfg.Name()+"-cdn")
			assert.Equal(t, tc.priceClass, dist.Inputs["priceClass"])
			assert.Equal(t, "http2and3", dist.Inputs["httpVersion"])
			behaviors := []any{dist.Inputs["defaultCacheBehavior"]}
			behaviors = append(behaviors, dist.Inputs["orderedCacheBehaviors"].([]any)...)
			require.Len(t, behaviors, 2)
			for _, raw := range behaviors {
				b := raw.(map[string]any)
				assert.Equal(t, "redirect-to-https", b["viewerProtocolPolicy"])
				assert.Equal(t, true, b["compress"])
				assert.NotEmpty(t, b["responseHeadersPolicyId"])
			}

			oac := r.OfType("aws:cloudfront/originAccessControl:OriginAccessControl")
			require.Len(t, oac, 1)
			assert.Equal(t, "s3", oac[0].Inputs["originAccessControlOriginType"])
			assert.Equal(t, "always", oac[0].Inputs["signingBehavior"])
			assert.Equal(t, "sigv4", oac[0].Inputs["signingProtocol"])

			headers := r.OfType("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
			require.Len(t, headers, 1)
			security := headers[0].Inputs["securityHeadersConfig"].(map[string]any)
			for _, h := range []string{
				"strictTransportSecurity", "contentTypeOptions", "frameOptions",
				"referrerPolicy", "xssProtection",
			} {
				assert.Contains(t, security, h)
			}

			// No stack names a custom domain yet.
			require.Empty(t, cfg.CDN.Domain)
			assert.Equal(t, map[string]any{"cloudfrontDefaultCertificate": true},
				dist.Inputs["viewerCertificate"])
		})
	}
}

func TestStacksExportBucketNamesAndTheCDNEndpoint(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, cfg *config.Config) {
		for _, p := range storagePurposes {
			assert.Equal(t, cfg.Name()+"-"+p, r.Outputs[p+"Bucket"], p)
		}
		domain, _ := r.Outputs["cdnDomain"].(string)
		assert.True(t, strings.HasSuffix(domain, ".cloudfront.net"), domain)
		assert.NotEmpty(t, r.Outputs["cdnDistributionId"])
	})
}
