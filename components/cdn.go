package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CachingOptimizedPolicyID is the AWS managed cache policy
// "CachingOptimized": long TTLs, no cookies, headers or query strings in
// the cache key, compressed objects cached separately.
const CachingOptimizedPolicyID = "658327ea-f89d-4fab-a63d-7e88639e58f6"

// VideosPathPattern sends requests to the videos bucket. CloudFront passes
// the whole path on, so video objects are keyed under "videos/".
const VideosPathPattern = "/videos/*"

// MinimumViewerTLS is the oldest TLS a viewer may use on the custom
// domain. The default *.cloudfront.net certificate takes no minimum:
// CloudFront decides it.
const MinimumViewerTLS = "TLSv1.2_2021"

// HstsMaxAgeSeconds is the Strict-Transport-Security max-age (one year).
const HstsMaxAgeSeconds = 31536000

// Origin IDs inside the distribution.
const (
	staticOriginID = "static-assets"
	videosOriginID = "videos"
)

// CDNArgs configures [NewCDN].
type CDNArgs struct {
	// AccountID scopes the log delivery.
	AccountID string
	// Region is the stack's region. CloudFront's log delivery lives in
	// [CloudFrontLogRegion]; elsewhere the component adds a provider there.
	Region string
	// Static is the default origin, Videos serves [VideosPathPattern].
	Static BucketRef
	Videos BucketRef
	// LogsBucketArn receives the access logs; LogsPolicy is its policy,
	// which must grant log delivery before the first delivery exists.
	LogsBucketArn pulumi.StringInput
	LogsPolicy    pulumi.Resource
	// PriceClass limits the edge locations (PriceClass_100, _200, _All).
	PriceClass string
	// Domain is an optional custom domain; CertificateArn is its ACM
	// certificate in us-east-1. Both empty serve *.cloudfront.net only.
	Domain         string
	CertificateArn string
}

// CDN is the CloudFront distribution in front of the static assets and
// videos buckets. Both origins are read through one Origin Access Control
// that signs every request with SigV4, and each bucket's policy lets only
// this distribution read objects, so the buckets stay private. Viewers are
// redirected to HTTPS, served over HTTP/2 and HTTP/3 with compression and
// security headers (HSTS, nosniff, frame denial, referrer policy, XSS
// protection). Access logs go to the log bucket through standard logging
// v2, which needs no ACLs.
type CDN struct {
	pulumi.ResourceState

	// DistributionID is the distribution's ID (for invalidations).
	DistributionID pulumi.StringOutput `pulumi:"distributionId"`
	// DistributionArn is the ARN the bucket policies are scoped to.
	DistributionArn pulumi.StringOutput `pulumi:"distributionArn"`
	// DomainName is the distribution's *.cloudfront.net name.
	DomainName pulumi.StringOutput `pulumi:"domainName"`
	// HostedZoneID is CloudFront's zone, for Route 53 alias records.
	HostedZoneID pulumi.StringOutput `pulumi:"hostedZoneId"`
}

// NewCDN creates the distribution, its access to the buckets and its
// access logs.
func NewCDN(
	ctx *pulumi.Context, name string, args *CDNArgs, opts ...pulumi.ResourceOption,
) (*CDN, error) {
	c := &CDN{}
	if err := ctx.RegisterComponentResource("socialflow:index:CDN", name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering cdn component: %w", err)
	}
	parent := pulumi.Parent(c)

	oac, err := cloudfront.NewOriginAccessControl(ctx, name+"-oac",
		&cloudfront.OriginAccessControlArgs{
			Name:                          pulumi.String(name + "-s3"),
			Description:                   pulumi.Sprintf("Signed reads of %s buckets.", name),
			OriginAccessControlOriginType: pulumi.String("s3"),
			SigningBehavior:               pulumi.String("always"),
			SigningProtocol:               pulumi.String("sigv4"),
		}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating origin access control: %w", err)
	}

	headers, err := securityHeaders(ctx, name, parent)
	if err != nil {
		return nil, err
	}

	dist, err := distribution(ctx, name, args, oac.ID().ToStringOutput(),
		headers.ID().ToStringOutput(), parent)
	if err != nil {
		return nil, err
	}

	for _, b := range []struct {
		purpose string
		ref     BucketRef
	}{{StaticBucket, args.Static}, {VideosBucket, args.Videos}} {
		if err := originBucketPolicy(ctx, name, b.purpose, b.ref, dist.Arn, parent); err != nil {
			return nil, err
		}
	}

	if err := accessLogs(ctx, name, args, dist.Arn, parent); err != nil {
		return nil, err
	}

	c.DistributionID = dist.ID().ToStringOutput()
	c.DistributionArn = dist.Arn
	c.DomainName = dist.DomainName
	c.HostedZoneID = dist.HostedZoneId
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"distributionId":  c.DistributionID,
		"distributionArn": c.DistributionArn,
		"domainName":      c.DomainName,
		"hostedZoneId":    c.HostedZoneID,
	}); err != nil {
		return nil, fmt.Errorf("registering cdn outputs: %w", err)
	}

	return c, nil
}

// securityHeaders adds the browser security headers to every response,
// overriding whatever an object's metadata says.
func securityHeaders(
	ctx *pulumi.Context, name string, parent pulumi.ResourceOption,
) (*cloudfront.ResponseHeadersPolicy, error) {
	policy, err := cloudfront.NewResponseHeadersPolicy(ctx, name+"-security-headers",
		&cloudfront.ResponseHeadersPolicyArgs{
			Name:    pulumi.String(name + "-security-headers"),
			Comment: pulumi.Sprintf("Security headers of %s.", name),
			SecurityHeadersConfig: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs{
				StrictTransportSecurity: &hstsArgs{
					AccessControlMaxAgeSec: pulumi.Int(HstsMaxAgeSeconds),
					IncludeSubdomains:      pulumi.Bool(true),
					Override:               pulumi.Bool(true),
				},
				ContentTypeOptions: &contentTypeOptionsArgs{
					Override: pulumi.Bool(true),
				},
				FrameOptions: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs{
					FrameOption: pulumi.String("DENY"),
					Override:    pulumi.Bool(true),
				},
				ReferrerPolicy: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs{
					ReferrerPolicy: pulumi.String("strict-origin-when-cross-origin"),
					Override:       pulumi.Bool(true),
				},
				XssProtection: &cloudfront.ResponseHeadersPolicySecurityHeadersConfigXssProtectionArgs{
					Protection: pulumi.Bool(true),
					ModeBlock:  pulumi.Bool(true),
					Override:   pulumi.Bool(true),
				},
			},
		}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating security headers policy: %w", err)
	}

	return policy, nil
}

// Shorter names for the SDK's longest argument types.
type hstsArgs = cloudfront.
	ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs

type contentTypeOptionsArgs = cloudfront.
	ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs

type deliveryDestinationArgs = cloudwatch.
	LogDeliveryDestinationDeliveryDestinationConfigurationArgs

// distribution creates the distribution itself.
func distribution(
	ctx *pulumi.Context, name string, args *CDNArgs, oacID, headersID pulumi.StringOutput,
	parent pulumi.ResourceOption,
) (*cloudfront.Distribution, error) {
	getHead := pulumi.ToStringArray([]string{"GET", "HEAD"})
	dist, err := cloudfront.NewDistribution(ctx, name+"-cdn", &cloudfront.DistributionArgs{
		Enabled:       pulumi.Bool(true),
		Comment:       pulumi.Sprintf("Static assets and videos of %s.", name),
		HttpVersion:   pulumi.String("http2and3"),
		IsIpv6Enabled: pulumi.Bool(true),
		PriceClass:    pulumi.String(args.PriceClass),
		Aliases:       aliases(args.Domain),
		Origins: cloudfront.DistributionOriginArray{
			&cloudfront.DistributionOriginArgs{
				OriginId:              pulumi.String(staticOriginID),
				DomainName:            args.Static.RegionalDomainName,
				OriginAccessControlId: oacID,
			},
			&cloudfront.DistributionOriginArgs{
				OriginId:              pulumi.String(videosOriginID),
				DomainName:            args.Videos.RegionalDomainName,
				OriginAccessControlId: oacID,
			},
		},
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId:          pulumi.String(staticOriginID),
			ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
			AllowedMethods:          getHead,
			CachedMethods:           getHead,
			Compress:                pulumi.Bool(true),
			CachePolicyId:           pulumi.String(CachingOptimizedPolicyID),
			ResponseHeadersPolicyId: headersID,
		},
		OrderedCacheBehaviors: cloudfront.DistributionOrderedCacheBehaviorArray{
			&cloudfront.DistributionOrderedCacheBehaviorArgs{
				PathPattern:             pulumi.String(VideosPathPattern),
				TargetOriginId:          pulumi.String(videosOriginID),
				ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
				AllowedMethods:          getHead,
				CachedMethods:           getHead,
				Compress:                pulumi.Bool(true),
				CachePolicyId:           pulumi.String(CachingOptimizedPolicyID),
				ResponseHeadersPolicyId: headersID,
			},
		},
		Restrictions: &cloudfront.DistributionRestrictionsArgs{
			GeoRestriction: &cloudfront.DistributionRestrictionsGeoRestrictionArgs{
				RestrictionType: pulumi.String("none"),
			},
		},
		ViewerCertificate: viewerCertificate(args.Domain, args.CertificateArn),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating distribution: %w", err)
	}

	return dist, nil
}

func aliases(domain string) pulumi.StringArrayInput {
	if domain == "" {
		return nil
	}

	return pulumi.StringArray{pulumi.String(domain)}
}

// viewerCertificate serves the custom domain with its ACM certificate to
// SNI clients only (dedicated IPs cost extra), or the default certificate,
// which takes no other setting.
func viewerCertificate(
	domain, certificateArn string,
) *cloudfront.DistributionViewerCertificateArgs {
	if domain == "" {
		return &cloudfront.DistributionViewerCertificateArgs{
			CloudfrontDefaultCertificate: pulumi.Bool(true),
		}
	}

	return &cloudfront.DistributionViewerCertificateArgs{
		AcmCertificateArn:      pulumi.String(certificateArn),
		SslSupportMethod:       pulumi.String("sni-only"),
		MinimumProtocolVersion: pulumi.String(MinimumViewerTLS),
	}
}

// originBucketPolicy is the one policy of a bucket the distribution
// reads: TLS only, and reads by CloudFront on behalf of this distribution
// alone.
func originBucketPolicy(
	ctx *pulumi.Context, name, purpose string, bucket BucketRef,
	distributionArn pulumi.StringOutput, parent pulumi.ResourceOption,
) error {
	doc := pulumi.All(bucket.Arn, distributionArn).ApplyT(func(v []any) (string, error) {
		bucketArn, _ := v[0].(string)
		distArn, _ := v[1].(string)

		return policyDocument(denyInsecureTransport(bucketArn), map[string]any{
			"Sid":       "AllowCloudFrontReadsForThisDistribution",
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": "cloudfront.amazonaws.com"},
			"Action":    "s3:GetObject",
			"Resource":  bucketArn + "/*",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"AWS:SourceArn": distArn},
			},
		})
	}).(pulumi.StringOutput)
	if _, err := s3.NewBucketPolicy(ctx, name+"-"+purpose+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.Name,
		Policy: doc,
	}, parent); err != nil {
		return fmt.Errorf("creating %s bucket policy: %w", purpose, err)
	}

	return nil
}

// accessLogs delivers the distribution's access logs to the log bucket
// with standard logging v2. Its three resources live in
// [CloudFrontLogRegion] whatever the stack's region.
func accessLogs(
	ctx *pulumi.Context, name string, args *CDNArgs, distributionArn pulumi.StringOutput,
	parent pulumi.ResourceOption,
) error {
	opts := []pulumi.ResourceOption{parent}
	if args.Region != CloudFrontLogRegion {
		provider, err := aws.NewProvider(ctx, name+"-"+CloudFrontLogRegion, &aws.ProviderArgs{
			Region: pulumi.String(CloudFrontLogRegion),
		}, parent)
		if err != nil {
			return fmt.Errorf("creating %s provider for cdn logs: %w", CloudFrontLogRegion, err)
		}
		opts = append(opts, pulumi.Provider(provider))
	}

	source, err := cloudwatch.NewLogDeliverySource(ctx, name+"-cdn-access-logs",
		&cloudwatch.LogDeliverySourceArgs{
			Name:        pulumi.String(name + "-cdn-access-logs"),
			LogType:     pulumi.String("ACCESS_LOGS"),
			ResourceArn: distributionArn,
		}, opts...)
	if err != nil {
		return fmt.Errorf("creating cdn log delivery source: %w", err)
	}

	destination, err := cloudwatch.NewLogDeliveryDestination(ctx, name+"-cdn-log-bucket",
		&cloudwatch.LogDeliveryDestinationArgs{
			Name:         pulumi.String(name + "-cdn-log-bucket"),
			OutputFormat: pulumi.String("json"),
			DeliveryDestinationConfiguration: &deliveryDestinationArgs{
				DestinationResourceArn: args.LogsBucketArn,
			},
		}, opts...)
	if err != nil {
		return fmt.Errorf("creating cdn log delivery destination: %w", err)
	}

	deliveryOpts := opts
	if args.LogsPolicy != nil {
		deliveryOpts = append(deliveryOpts, pulumi.DependsOn([]pulumi.Resource{args.LogsPolicy}))
	}
	if _, err := cloudwatch.NewLogDelivery(ctx, name+"-cdn-log-delivery", &cloudwatch.LogDeliveryArgs{
		DeliverySourceName:     source.Name,
		DeliveryDestinationArn: destination.Arn,
	}, deliveryOpts...); err != nil {
		return fmt.Errorf("creating cdn log delivery: %w", err)
	}

	return nil
}
