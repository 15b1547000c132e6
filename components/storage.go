package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Bucket purposes; each is also the suffix of its bucket's resource names.
const (
	VideosBucket  = "videos"
	UploadsBucket = "uploads"
	StaticBucket  = "static"
	LogsBucket    = "logs"
)

// AlbLogPrefix is the key prefix the load balancer must be given for its
// access logs: the log bucket lets Elastic Load Balancing write under
// <AlbLogPrefix>/AWSLogs/<account>/ and nowhere else.
const AlbLogPrefix = "alb"

// AbortIncompleteUploadDays is how long S3 keeps the parts of a multipart
// upload nobody completed; parts are billed but invisible in listings.
const AbortIncompleteUploadDays = 7

// AbandonedBrowserUploadDays is the same limit for the uploads bucket:
// a browser that stopped uploading for two days is not coming back.
const AbandonedBrowserUploadDays = 2

// ArchiveAfterInfrequentAccessDays is how long media stays in Standard-IA
// before it moves to [ArchiveStorageClass]. Standard-IA bills at least 30
// days per object, so anything shorter would pay for storage twice.
const ArchiveAfterInfrequentAccessDays = 60

// ArchiveStorageClass is where old media ends up. Glacier Instant
// Retrieval still answers reads in milliseconds, so CloudFront keeps
// serving old videos; the flexible and deep archive classes would need a
// restore first.
const ArchiveStorageClass = "GLACIER_IR"

// SSE algorithms as S3 spells them.
const (
	sseS3Algorithm  = "AES256"
	sseKMSAlgorithm = "aws:kms"
)

// BucketRef is what other components need to know about one bucket.
type BucketRef struct {
	// Name is the bucket name (also its Pulumi ID).
	Name pulumi.StringOutput
	// Arn is the bucket ARN; objects are Arn + "/*".
	Arn pulumi.StringOutput
	// RegionalDomainName is the REST endpoint CloudFront uses as origin.
	RegionalDomainName pulumi.StringOutput
}

// StorageArgs configures [NewStorage].
type StorageArgs struct {
	// AccountID and Region scope the log delivery statements.
	AccountID string
	Region    string
	// KeyArn is the customer key that encrypts the uploads bucket.
	KeyArn pulumi.StringInput
	// CorsOrigins may PUT, POST and GET the uploads bucket from a browser;
	// empty means no CORS configuration at all.
	CorsOrigins []string
	// InfrequentAccessAfterDays moves media to Standard-IA (30 or more).
	InfrequentAccessAfterDays int
	// NoncurrentVersionExpirationDays deletes overwritten and deleted
	// object versions this long after they stopped being current.
	NoncurrentVersionExpirationDays int
	// LogExpirationDays deletes access logs this long after delivery.
	LogExpirationDays int
	// ForceDestroy lets `pulumi destroy` empty the buckets; it must stay
	// false wherever Protect is true.
	ForceDestroy bool
	// Protect guards the buckets and their versioning against deletion.
	Protect bool
}

// Storage is the stack's four S3 buckets: videos and static assets (served
// by the CDN), uploads (browser direct uploads, the app's private media)
// and logs (load balancer and CloudFront access logs).
//
// Every bucket is owner-enforced (ACLs disabled), fully blocks public
// access, is encrypted by default, versioned, refuses requests without
// TLS and aborts incomplete multipart uploads. Media tiers to Standard-IA
// and then Glacier Instant Retrieval; old versions expire. The uploads
// bucket uses the customer key (SSE-KMS): only the application reads it.
// Videos and static assets use SSE-S3 so CloudFront's Origin Access
// Control can read them without a key policy that would have to name a
// distribution created after the key. Logs use SSE-S3 because load
// balancer log delivery supports nothing else.
//
// Storage writes the bucket policies of uploads and logs. The policies of
// videos and static assets name the distribution that reads them, so
// [NewCDN] writes them, with the same TLS-only statement; S3 keeps one
// policy per bucket, and so does this program.
type Storage struct {
	pulumi.ResourceState

	// Videos holds transcoded videos, served under [VideosPathPattern].
	Videos BucketRef
	// Uploads receives browser uploads; only the application reads it.
	Uploads BucketRef
	// Static holds the web app's static assets, the CDN's default origin.
	Static BucketRef
	// Logs receives access logs: the load balancer's under [AlbLogPrefix],
	// CloudFront's under AWSLogs/.
	Logs BucketRef
	// LogsPolicy is the log bucket's policy. Whatever delivers logs there
	// depends on it, so AWS never finds the bucket without its grants (and
	// never adds statements of its own that the next update would remove).
	LogsPolicy pulumi.Resource
	// MediaBucketArns are the buckets the API and workers read and write:
	// videos and uploads.
	MediaBucketArns pulumi.StringArrayOutput `pulumi:"mediaBucketArns"`
	// MediaAccessPolicy is an IAM policy document granting exactly that,
	// plus the use of the customer key through S3, for the task roles.
	MediaAccessPolicy pulumi.StringOutput `pulumi:"mediaAccessPolicy"`
}

// bucketSpec is what sets one bucket apart from the others.
type bucketSpec struct {
	purpose string
	// kmsKeyArn selects SSE-KMS with that key; nil selects SSE-S3.
	kmsKeyArn pulumi.StringInput
	rules     s3.BucketLifecycleConfigurationV2RuleArray
	cors      []string
	// statements are the bucket's own policy statements besides the
	// TLS-only one; nil means another component writes the policy.
	statements func(bucketArn string) []map[string]any
}

// NewStorage creates the buckets.
func NewStorage(
	ctx *pulumi.Context, name string, args *StorageArgs, opts ...pulumi.ResourceOption,
) (*Storage, error) {
	if args.Protect && args.ForceDestroy {
		return nil, errors.New("creating storage: forceDestroy must be false on protected buckets")
	}
	c := &Storage{}
	if err := ctx.RegisterComponentResource("socialflow:index:Storage", name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering storage component: %w", err)
	}

	media := mediaLifecycleRules(args.InfrequentAccessAfterDays, args.NoncurrentVersionExpirationDays)
	specs := []bucketSpec{
		{purpose: VideosBucket, rules: append(abortUploadsRule(AbortIncompleteUploadDays), media...)},
		{
			purpose:    UploadsBucket,
			kmsKeyArn:  args.KeyArn,
			rules:      append(abortUploadsRule(AbandonedBrowserUploadDays), media...),
			cors:       args.CorsOrigins,
			statements: func(string) []map[string]any { return nil },
		},
		{
			purpose: StaticBucket,
			rules: append(abortUploadsRule(AbortIncompleteUploadDays),
				noncurrentVersionsRule(args.NoncurrentVersionExpirationDays, nil)),
		},
		{
			purpose: LogsBucket,
			rules: append(abortUploadsRule(AbortIncompleteUploadDays),
				noncurrentVersionsRule(args.NoncurrentVersionExpirationDays, &args.LogExpirationDays)),
			statements: func(arn string) []map[string]any {
				return logDeliveryStatements(arn, args.AccountID, args.Region)
			},
		},
	}

	refs := map[string]*BucketRef{
		VideosBucket: &c.Videos, UploadsBucket: &c.Uploads,
		StaticBucket: &c.Static, LogsBucket: &c.Logs,
	}
	for _, spec := range specs {
		ref, policy, err := newBucket(ctx, name, spec, args, pulumi.Parent(c))
		if err != nil {
			return nil, err
		}
		*refs[spec.purpose] = ref
		if spec.purpose == LogsBucket {
			c.LogsPolicy = policy
		}
	}

	c.MediaBucketArns = pulumi.StringArray{c.Videos.Arn, c.Uploads.Arn}.ToStringArrayOutput()
	c.MediaAccessPolicy = mediaAccessPolicy(c.MediaBucketArns, args.KeyArn, args.Region)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"videosBucket":      c.Videos.Name,
		"uploadsBucket":     c.Uploads.Name,
		"staticBucket":      c.Static.Name,
		"logsBucket":        c.Logs.Name,
		"videosBucketArn":   c.Videos.Arn,
		"uploadsBucketArn":  c.Uploads.Arn,
		"staticBucketArn":   c.Static.Arn,
		"logsBucketArn":     c.Logs.Arn,
		"mediaBucketArns":   c.MediaBucketArns,
		"mediaAccessPolicy": c.MediaAccessPolicy,
	}); err != nil {
		return nil, fmt.Errorf("registering storage outputs: %w", err)
	}

	return c, nil
}

// newBucket creates one bucket and the settings every bucket shares,
// returning its reference and, when it writes one, its policy.
func newBucket(
	ctx *pulumi.Context, name string, spec bucketSpec, args *StorageArgs,
	parent pulumi.ResourceOption,
) (BucketRef, pulumi.Resource, error) {
	base := name + "-" + spec.purpose
	protect := pulumi.Protect(args.Protect)

	bucket, err := s3.NewBucketV2(ctx, base, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(args.ForceDestroy),
	}, parent, protect)
	if err != nil {
		return BucketRef{}, nil, fmt.Errorf("creating %s bucket: %w", spec.purpose, err)
	}
	ref := BucketRef{
		Name:               bucket.Bucket,
		Arn:                bucket.Arn,
		RegionalDomainName: bucket.BucketRegionalDomainName,
	}

	// Ownership by the bucket owner disables ACLs: access is decided by
	// policies alone, whoever writes the object.
	if _, err := s3.NewBucketOwnershipControls(ctx, base+"-ownership",
		&s3.BucketOwnershipControlsArgs{
			Bucket: bucket.ID(),
			Rule: &s3.BucketOwnershipControlsRuleArgs{
				ObjectOwnership: pulumi.String("BucketOwnerEnforced"),
			},
		}, parent); err != nil {
		return BucketRef{}, nil, fmt.Errorf("enforcing %s bucket ownership: %w", spec.purpose, err)
	}

	block, err := s3.NewBucketPublicAccessBlock(ctx, base+"-public-access",
		&s3.BucketPublicAccessBlockArgs{
			Bucket:                bucket.ID(),
			BlockPublicAcls:       pulumi.Bool(true),
			BlockPublicPolicy:     pulumi.Bool(true),
			IgnorePublicAcls:      pulumi.Bool(true),
			RestrictPublicBuckets: pulumi.Bool(true),
		}, parent)
	if err != nil {
		return BucketRef{}, nil, fmt.Errorf("blocking public access to %s bucket: %w",
			spec.purpose, err)
	}

	if err := bucketEncryption(ctx, base, bucket, spec, parent); err != nil {
		return BucketRef{}, nil, err
	}

	versioning, err := s3.NewBucketVersioningV2(ctx, base+"-versioning", &s3.BucketVersioningV2Args{
		Bucket: bucket.ID(),
		VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{
			Status: pulumi.String("Enabled"),
		},
	}, parent, protect)
	if err != nil {
		return BucketRef{}, nil, fmt.Errorf("versioning %s bucket: %w", spec.purpose, err)
	}

	// Rules on noncurrent versions only mean something once versioning is
	// on, so the lifecycle waits for it.
	if _, err := s3.NewBucketLifecycleConfigurationV2(ctx, base+"-lifecycle",
		&s3.BucketLifecycleConfigurationV2Args{
			Bucket: bucket.ID(),
			Rules:  spec.rules,
		}, parent, pulumi.DependsOn([]pulumi.Resource{versioning})); err != nil {
		return BucketRef{}, nil, fmt.Errorf("creating %s bucket lifecycle: %w", spec.purpose, err)
	}

	if len(spec.cors) > 0 {
		if err := bucketCors(ctx, base, bucket, spec.cors, parent); err != nil {
			return BucketRef{}, nil, err
		}
	}

	if spec.statements == nil {
		return ref, nil, nil
	}
	doc := bucket.Arn.ApplyT(func(arn string) (string, error) {
		return policyDocument(append([]map[string]any{denyInsecureTransport(arn)},
			spec.statements(arn)...)...)
	}).(pulumi.StringOutput)
	policy, err := s3.NewBucketPolicy(ctx, base+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: doc,
	}, parent, pulumi.DependsOn([]pulumi.Resource{block}))
	if err != nil {
		return BucketRef{}, nil, fmt.Errorf("creating %s bucket policy: %w", spec.purpose, err)
	}

	return ref, policy, nil
}

// bucketEncryption sets the bucket's default encryption: SSE-KMS with the
// customer key (and an S3 Bucket Key, which cuts KMS requests) or SSE-S3.
func bucketEncryption(
	ctx *pulumi.Context, base string, bucket *s3.BucketV2, spec bucketSpec,
	parent pulumi.ResourceOption,
) error {
	byDefault := &sseDefaultArgs{
		SseAlgorithm: pulumi.String(sseS3Algorithm),
	}
	bucketKey := pulumi.BoolPtrInput(nil)
	if spec.kmsKeyArn != nil {
		byDefault.SseAlgorithm = pulumi.String(sseKMSAlgorithm)
		byDefault.KmsMasterKeyId = spec.kmsKeyArn
		bucketKey = pulumi.Bool(true)
	}
	if _, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, base+"-encryption",
		&s3.BucketServerSideEncryptionConfigurationV2Args{
			Bucket: bucket.ID(),
			Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
				&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
					ApplyServerSideEncryptionByDefault: byDefault,
					BucketKeyEnabled:                   bucketKey,
				},
			},
		}, parent); err != nil {
		return fmt.Errorf("encrypting %s bucket: %w", spec.purpose, err)
	}

	return nil
}

// bucketCors lets the web app upload straight from the browser with
// presigned requests. ETag is exposed because a browser completing a
// multipart upload must send every part's ETag back.
func bucketCors(
	ctx *pulumi.Context, base string, bucket *s3.BucketV2, origins []string,
	parent pulumi.ResourceOption,
) error {
	if _, err := s3.NewBucketCorsConfigurationV2(ctx, base+"-cors",
		&s3.BucketCorsConfigurationV2Args{
			Bucket: bucket.ID(),
			CorsRules: s3.BucketCorsConfigurationV2CorsRuleArray{
				&s3.BucketCorsConfigurationV2CorsRuleArgs{
					Id:             pulumi.String("browser-uploads"),
					AllowedMethods: pulumi.ToStringArray([]string{"PUT", "POST", "GET"}),
					AllowedOrigins: pulumi.ToStringArray(origins),
					AllowedHeaders: pulumi.ToStringArray([]string{"*"}),
					ExposeHeaders:  pulumi.ToStringArray([]string{"ETag"}),
					MaxAgeSeconds:  pulumi.Int(3000),
				},
			},
		}, parent); err != nil {
		return fmt.Errorf("allowing browser uploads: %w", err)
	}

	return nil
}

// Shorter names for the SDK's longest argument types.
type sseDefaultArgs = s3.
	BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs

type abortUploadArgs = s3.
	BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs

type noncurrentExpirationArgs = s3.
	BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs

// wholeBucket is a lifecycle filter matching every object.
func wholeBucket() *s3.BucketLifecycleConfigurationV2RuleFilterArgs {
	return &s3.BucketLifecycleConfigurationV2RuleFilterArgs{}
}

func abortUploadsRule(days int) s3.BucketLifecycleConfigurationV2RuleArray {
	return s3.BucketLifecycleConfigurationV2RuleArray{
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("abort-incomplete-multipart-uploads"),
			Status: pulumi.String("Enabled"),
			Filter: wholeBucket(),
			AbortIncompleteMultipartUpload: &abortUploadArgs{
				DaysAfterInitiation: pulumi.Int(days),
			},
		},
	}
}

// mediaRules tier media by age and expire old versions.
func mediaLifecycleRules(iaDays, noncurrentDays int) s3.BucketLifecycleConfigurationV2RuleArray {
	return s3.BucketLifecycleConfigurationV2RuleArray{
		&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String("tier-aging-media"),
			Status: pulumi.String("Enabled"),
			Filter: wholeBucket(),
			Transitions: s3.BucketLifecycleConfigurationV2RuleTransitionArray{
				&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{
					Days:         pulumi.Int(iaDays),
					StorageClass: pulumi.String("STANDARD_IA"),
				},
				&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{
					Days:         pulumi.Int(iaDays + ArchiveAfterInfrequentAccessDays),
					StorageClass: pulumi.String(ArchiveStorageClass),
				},
			},
		},
		noncurrentVersionsRule(noncurrentDays, nil),
	}
}

// noncurrentRule expires versions that stopped being current. With
// expireAfterDays it also expires current objects; S3 then removes the
// delete markers left behind by itself. Without it, the rule removes
// delete markers that no longer hide any version.
func noncurrentVersionsRule(
	noncurrentDays int, expireAfterDays *int,
) *s3.BucketLifecycleConfigurationV2RuleArgs {
	expiration := &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
		ExpiredObjectDeleteMarker: pulumi.Bool(true),
	}
	id := "expire-noncurrent-versions"
	if expireAfterDays != nil {
		expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{
			Days: pulumi.Int(*expireAfterDays),
		}
		id = "expire-objects-and-noncurrent-versions"
	}

	return &s3.BucketLifecycleConfigurationV2RuleArgs{
		Id:         pulumi.String(id),
		Status:     pulumi.String("Enabled"),
		Filter:     wholeBucket(),
		Expiration: expiration,
		NoncurrentVersionExpiration: &noncurrentExpirationArgs{
			NoncurrentDays: pulumi.Int(noncurrentDays),
		},
	}
}

// denyInsecureTransport refuses every request to the bucket and its
// objects that does not arrive over TLS, whoever sends it.
func denyInsecureTransport(bucketArn string) map[string]any {
	return map[string]any{
		"Sid":       "DenyInsecureTransport",
		"Effect":    "Deny",
		"Principal": "*",
		"Action":    "s3:*",
		"Resource":  []string{bucketArn, bucketArn + "/*"},
		"Condition": map[string]any{
			"Bool": map[string]any{"aws:SecureTransport": "false"},
		},
	}
}

// elbLogAccounts are the Elastic Load Balancing accounts that deliver
// access logs in the regions that opened before August 2022. Regions
// opened since grant the log delivery service principal instead.
var elbLogAccounts = map[string]string{
	"us-east-1":      "127311923021",
	"us-east-2":      "033677994240",
	"us-west-1":      "027434742980",
	"us-west-2":      "797873946194",
	"af-south-1":     "098369216593",
	"ap-east-1":      "754344448648",
	"ap-south-1":     "718504428378",
	"ap-northeast-1": "582318560864",
	"ap-northeast-2": "600734575887",
	"ap-northeast-3": "383597477331",
	"ap-southeast-1": "114774131450",
	"ap-southeast-2": "783225319266",
	"ap-southeast-3": "589379963580",
	"ca-central-1":   "985666609251",
	"eu-central-1":   "054676820928",
	"eu-west-1":      "156460612806",
	"eu-west-2":      "652711504416",
	"eu-west-3":      "009996457667",
	"eu-south-1":     "635631232127",
	"eu-north-1":     "897822967062",
	"me-south-1":     "076674570225",
	"sa-east-1":      "507241528517",
}

// AlbLogPrincipal is the principal that writes load balancer access logs
// in region: the region's Elastic Load Balancing account where there is
// one, otherwise the log delivery service principal.
func AlbLogPrincipal(region string) map[string]string {
	if account, ok := elbLogAccounts[region]; ok {
		return map[string]string{"AWS": "arn:aws:iam::" + account + ":root"}
	}

	return map[string]string{"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
}

// CloudFrontLogRegion is where CloudFront's log delivery source lives:
// CloudFront is global and registers its deliveries in us-east-1.
const CloudFrontLogRegion = "us-east-1"

// logDeliveryStatements let the load balancer and CloudFront write access
// logs. CloudFront uses standard logging v2 (CloudWatch Logs vended
// delivery): the legacy S3 logging needs ACLs on the bucket.
func logDeliveryStatements(bucketArn, accountID, region string) []map[string]any {
	return []map[string]any{
		{
			"Sid":       "AllowLoadBalancerAccessLogs",
			"Effect":    "Allow",
			"Principal": AlbLogPrincipal(region),
			"Action":    "s3:PutObject",
			"Resource":  bucketArn + "/" + AlbLogPrefix + "/AWSLogs/" + accountID + "/*",
		},
		{
			"Sid":       "AllowCloudFrontAccessLogDelivery",
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": "delivery.logs.amazonaws.com"},
			"Action":    "s3:PutObject",
			"Resource":  bucketArn + "/AWSLogs/" + accountID + "/*",
			"Condition": map[string]any{
				"StringEquals": map[string]any{
					"s3:x-amz-acl":      "bucket-owner-full-control",
					"aws:SourceAccount": accountID,
				},
				"ArnLike": map[string]any{
					"aws:SourceArn": "arn:aws:logs:" + CloudFrontLogRegion + ":" + accountID +
						":delivery-source:*",
				},
			},
		},
	}
}

// mediaAccessPolicy grants read and write on the media buckets' objects,
// listing, and the use of the customer key only through S3 in region.
func mediaAccessPolicy(
	bucketArns pulumi.StringArrayOutput, keyArn pulumi.StringInput, region string,
) pulumi.StringOutput {
	return pulumi.All(bucketArns, keyArn).ApplyT(func(v []any) (string, error) {
		buckets, _ := v[0].([]string)
		key, _ := v[1].(string)
		objects := make([]string, len(buckets))
		for i, b := range buckets {
			objects[i] = b + "/*"
		}

		return policyDocument([]map[string]any{
			{
				"Sid":      "ListMediaBuckets",
				"Effect":   "Allow",
				"Action":   []string{"s3:ListBucket", "s3:GetBucketLocation"},
				"Resource": buckets,
			},
			{
				"Sid":    "ReadWriteMedia",
				"Effect": "Allow",
				"Action": []string{
					"s3:GetObject", "s3:PutObject", "s3:DeleteObject",
					"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
				},
				"Resource": objects,
			},
			{
				"Sid":      "UseMediaKeyThroughS3",
				"Effect":   "Allow",
				"Action":   []string{"kms:Decrypt", "kms:GenerateDataKey"},
				"Resource": key,
				"Condition": map[string]any{
					"StringEquals": map[string]any{
						"kms:ViaService": "s3." + region + ".amazonaws.com",
					},
				},
			},
		}...)
	}).(pulumi.StringOutput)
}
