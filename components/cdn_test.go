package components_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const (
	typDistribution   = "aws:cloudfront/distribution:Distribution"
	typOAC            = "aws:cloudfront/originAccessControl:OriginAccessControl"
	typHeadersPolicy  = "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy"
	typDeliverySource = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
	typDeliveryDest   = "aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination"
	typDelivery       = "aws:cloudwatch/logDelivery:LogDelivery"
	typAwsProvider    = "pulumi:providers:aws"

	cdnTestCert = "arn:aws:acm:us-east-1:123456789012:certificate/" +
		"12345678-90ab-cdef-1234-567890abcdef"
)

// runCDN creates a Storage and a CDN on it, both named "sf", in region,
// with cdnArgs adjusting the CDN settings, and returns what was registered
// with the distribution's ARN and ID and the bucket ARNs as outputs.
func runCDN(t *testing.T, region string, cdnArgs func(*components.CDNArgs)) *harness.Result {
	t.Helper()

	result, err := harness.Run("socialflow", "test", harness.NewMocks(region),
		func(ctx *pulumi.Context) (pulumi.Map, error) {
			storageArgs := s3TestArgs()
			storageArgs.Region = region
			s, err := components.NewStorage(ctx, "sf", storageArgs)
			if err != nil {
				return nil, err
			}
			args := &components.CDNArgs{
				AccountID:     s3TestAccount,
				Region:        region,
				Static:        s.Static,
				Videos:        s.Videos,
				LogsBucketArn: s.Logs.Arn,
				LogsPolicy:    s.LogsPolicy,
				PriceClass:    "PriceClass_200",
			}
			if cdnArgs != nil {
				cdnArgs(args)
			}
			cdn, err := components.NewCDN(ctx, "sf", args)
			if err != nil {
				return nil, err
			}

			return pulumi.Map{
				"distributionArn": cdn.DistributionArn,
				"distributionId":  cdn.DistributionID,
				"domainName":      cdn.DomainName,
				"staticArn":       s.Static.Arn,
				"videosArn":       s.Videos.Arn,
				"logsArn":         s.Logs.Arn,
			}, nil
		})
	require.NoError(t, err)

	return result
}

// cdnMap reads a nested object input.
func cdnMap(t *testing.T, v any) map[string]any {
	t.Helper()

	m, ok := v.(map[string]any)
	require.True(t, ok, "an object, got %#v", v)

	return m
}

// cdnBehaviors returns the default behavior and the ordered ones.
func cdnBehaviors(t *testing.T, dist *harness.Resource) []map[string]any {
	t.Helper()

	behaviors := []map[string]any{cdnMap(t, dist.Inputs["defaultCacheBehavior"])}
	ordered, ok := dist.Inputs["orderedCacheBehaviors"].([]any)
	require.True(t, ok)
	for _, b := range ordered {
		behaviors = append(behaviors, cdnMap(t, b))
	}

	return behaviors
}

func TestCDNReadsBothBucketsThroughOneSigV4OriginAccessControl(t *testing.T) {
	t.Parallel()

	r := runCDN(t, "us-east-1", nil)
	oac := only(t, r, typOAC)
	assert.Equal(t, "s3", oac.Inputs["originAccessControlOriginType"])
	assert.Equal(t, "always", oac.Inputs["signingBehavior"])
	assert.Equal(t, "sigv4", oac.Inputs["signingProtocol"])
	assert.Equal(t, "sf-s3", oac.Inputs["name"])

	dist := only(t, r, typDistribution)
	assert.Contains(t, dist.DependsOn, oac.URN)
	origins, ok := dist.Inputs["origins"].([]any)
	require.True(t, ok)
	require.Len(t, origins, 2)
	domains := map[string]any{}
	for _, o := range origins {
		origin := cdnMap(t, o)
		id, _ := origin["originAccessControlId"].(string)
		assert.NotEmpty(t, id, "origin %v is signed", origin["originId"])
		assert.Equal(t, cdnMap(t, origins[0])["originAccessControlId"], id, "one OAC for both")
		assert.NotContains(t, origin, "s3OriginConfig", "no legacy origin access identity")
		domains[origin["originId"].(string)] = origin["domainName"]
	}
	assert.Equal(t, map[string]any{
		"static-assets": "sf-static.s3.us-east-1.amazonaws.com",
		"videos":        "sf-videos.s3.us-east-1.amazonaws.com",
	}, domains)
}

func TestCDNServesStaticAssetsByDefaultAndVideosUnderTheirPath(t *testing.T) {
	t.Parallel()

	dist := only(t, runCDN(t, "us-east-1", nil), typDistribution)
	behaviors := cdnBehaviors(t, dist)
	require.Len(t, behaviors, 2)
	assert.Equal(t, "static-assets", behaviors[0]["targetOriginId"])
	assert.Equal(t, "videos", behaviors[1]["targetOriginId"])
	assert.Equal(t, "/videos/*", behaviors[1]["pathPattern"])
}

func TestCDNRedirectsViewersToHTTPSAndCompressesOverHTTP2And3(t *testing.T) {
	t.Parallel()

	r := runCDN(t, "us-east-1", nil)
	dist := only(t, r, typDistribution)
	headers := only(t, r, typHeadersPolicy)
	assert.Equal(t, "http2and3", dist.Inputs["httpVersion"])
	assert.Equal(t, true, dist.Inputs["enabled"])
	assert.Equal(t, "PriceClass_200", dist.Inputs["priceClass"])
	assert.Equal(t, map[string]any{"geoRestriction": map[string]any{"restrictionType": "none"}},
		dist.Inputs["restrictions"])
	assert.NotContains(t, dist.Inputs, "loggingConfig", "legacy logging needs bucket ACLs")
	assert.Contains(t, dist.DependsOn, headers.URN)
	for _, b := range cdnBehaviors(t, dist) {
		assert.Equal(t, "redirect-to-https", b["viewerProtocolPolicy"], b["targetOriginId"])
		assert.Equal(t, true, b["compress"], b["targetOriginId"])
		// The AWS managed policy "CachingOptimized".
		assert.Equal(t, "658327ea-f89d-4fab-a63d-7e88639e58f6", b["cachePolicyId"])
		assert.NotEmpty(t, b["responseHeadersPolicyId"])
		assert.Equal(t, []any{"GET", "HEAD"}, b["allowedMethods"])
	}
}

func TestCDNAddsBrowserSecurityHeadersToEveryResponse(t *testing.T) {
	t.Parallel()

	headers := only(t, runCDN(t, "us-east-1", nil), typHeadersPolicy)
	assert.Equal(t, map[string]any{
		"strictTransportSecurity": map[string]any{
			"accessControlMaxAgeSec": float64(31536000),
			"includeSubdomains":      true,
			"override":               true,
		},
		"contentTypeOptions": map[string]any{"override": true},
		"frameOptions":       map[string]any{"frameOption": "DENY", "override": true},
		"referrerPolicy": map[string]any{
			"referrerPolicy": "strict-origin-when-cross-origin", "override": true,
		},
		"xssProtection": map[string]any{"protection": true, "modeBlock": true, "override": true},
	}, headers.Inputs["securityHeadersConfig"])
}

func TestCDNBucketPoliciesLetOnlyThisDistributionReadAndRefusePlainHTTP(t *testing.T) {
	t.Parallel()

	r := runCDN(t, "us-east-1", nil)
	distArn, _ := r.Outputs["distributionArn"].(string)
	require.True(t, strings.HasPrefix(distArn, "arn:aws:cloudfront::"+s3TestAccount+
		":distribution/"), distArn)
	require.True(t, strings.HasSuffix(distArn, "/"+r.Outputs["distributionId"].(string)))

	for _, p := range []string{components.StaticBucket, components.VideosBucket} {
		policy := s3Find(t, r, typPolicy, "sf-"+p+"-policy")
		assert.Equal(t, "sf-"+p, policy.Inputs["bucket"])
		bucketArn := r.Outputs[p+"Arn"].(string)
		statements := s3Statements(t, policy, "policy")
		require.Len(t, statements, 2, p)
		assertDeniesPlainHTTP(t, statements, bucketArn)
		read := s3Statement(t, statements, "AllowCloudFrontReadsForThisDistribution")
		assert.Equal(t, "Allow", read["Effect"])
		assert.Equal(t, map[string]any{"Service": "cloudfront.amazonaws.com"}, read["Principal"])
		assert.Equal(t, "s3:GetObject", read["Action"])
		assert.Equal(t, bucketArn+"/*", read["Resource"])
		assert.Equal(t, map[string]any{"StringEquals": map[string]any{"AWS:SourceArn": distArn}},
			read["Condition"])
	}
	// S3 keeps one policy per bucket: one each for all four buckets.
	buckets := map[any]int{}
	for _, p := range r.OfType(typPolicy) {
		buckets[p.Inputs["bucket"]]++
	}
	assert.Equal(t, map[any]int{"sf-videos": 1, "sf-uploads": 1, "sf-static": 1, "sf-logs": 1},
		buckets)
}

func TestCDNWithoutCustomDomainUsesOnlyTheDefaultCertificate(t *testing.T) {
	t.Parallel()

	dist := only(t, runCDN(t, "us-east-1", nil), typDistribution)
	assert.NotContains(t, dist.Inputs, "aliases")
	// CloudFront takes no other certificate setting with its own one.
	assert.Equal(t, map[string]any{"cloudfrontDefaultCertificate": true},
		dist.Inputs["viewerCertificate"])
}

func TestCDNServesACustomDomainToSNIClientsOverTLS12OrLater(t *testing.T) {
	t.Parallel()

	dist := only(t, runCDN(t, "us-east-1", func(a *components.CDNArgs) {
		a.Domain, a.CertificateArn = "cdn.example.com", cdnTestCert
	}), typDistribution)
	assert.Equal(t, []any{"cdn.example.com"}, dist.Inputs["aliases"])
	assert.Equal(t, map[string]any{
		"acmCertificateArn":      cdnTestCert,
		"sslSupportMethod":       "sni-only",
		"minimumProtocolVersion": "TLSv1.2_2021",
	}, dist.Inputs["viewerCertificate"])
}

func TestCDNDeliversAccessLogsToTheLogBucketOnceItsPolicyExists(t *testing.T) {
	t.Parallel()

	r := runCDN(t, "us-east-1", nil)
	source := only(t, r, typDeliverySource)
	assert.Equal(t, "ACCESS_LOGS", source.Inputs["logType"])
	assert.Equal(t, r.Outputs["distributionArn"], source.Inputs["resourceArn"])

	dest := only(t, r, typDeliveryDest)
	assert.Equal(t, map[string]any{"destinationResourceArn": r.Outputs["logsArn"]},
		dest.Inputs["deliveryDestinationConfiguration"])
	assert.Equal(t, "json", dest.Inputs["outputFormat"])

	delivery := only(t, r, typDelivery)
	assert.Equal(t, source.Inputs["name"], delivery.Inputs["deliverySourceName"])
	assert.Equal(t, "arn:aws:logs:us-east-1:"+s3TestAccount+":delivery-destination:"+
		dest.Inputs["name"].(string), delivery.Inputs["deliveryDestinationArn"])
	logsPolicy := s3Find(t, r, typPolicy, "sf-logs-policy")
	assert.Contains(t, delivery.DependsOn, logsPolicy.URN)

	assert.Empty(t, r.OfType(typAwsProvider), "us-east-1 stacks need no second provider")
	for _, res := range []*harness.Resource{source, dest, delivery} {
		assert.Empty(t, res.Provider, res.Name)
	}
}

func TestCDNDeliversLogsFromUSEast1WhateverTheStackRegion(t *testing.T) {
	t.Parallel()

	r := runCDN(t, "eu-west-1", nil)
	provider := only(t, r, typAwsProvider)
	assert.Equal(t, "us-east-1", provider.Inputs["region"])
	for _, typ := range []string{typDeliverySource, typDeliveryDest, typDelivery} {
		res := only(t, r, typ)
		assert.True(t, strings.HasPrefix(res.Provider, provider.URN+"::"),
			"%s uses the us-east-1 provider, got %q", res.Name, res.Provider)
	}
	assert.Empty(t, only(t, r, typDistribution).Provider)
	assert.Empty(t, s3Find(t, r, typBucket, "sf-logs").Provider)
}
