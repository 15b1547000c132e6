package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TLSPolicy is the HTTPS listener's security policy: TLS 1.3 and 1.2 with
// only forward-secret AEAD ciphers, plus hybrid post-quantum key exchange;
// AWS's recommended policy for new listeners.
const TLSPolicy = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"

// MaxLoadBalancerName is the longest load balancer or target group name
// AWS accepts, Pulumi's suffix included.
const MaxLoadBalancerName = 32

// Target group health check and draining. Thirty seconds of draining
// covers the API's requests, which the idle timeout already bounds.
const (
	DeregistrationDelaySeconds = 30
	healthCheckIntervalSeconds = 15
	healthCheckTimeoutSeconds  = 5
	healthyThreshold           = 2
	unhealthyThreshold         = 3
)

// LoadBalancerArgs configures [NewLoadBalancer].
type LoadBalancerArgs struct {
	// VpcID, SubnetIDs (public) and SecurityGroupID place the load balancer.
	VpcID           pulumi.StringInput
	SubnetIDs       pulumi.StringArrayInput
	SecurityGroupID pulumi.StringInput
	// CertificateArn turns on HTTPS; empty serves plain HTTP (dev only).
	CertificateArn string
	// IdleTimeoutSeconds closes idle connections.
	IdleTimeoutSeconds int
	// DeletionProtection makes AWS refuse to delete the load balancer.
	DeletionProtection bool
	// AccessLogBucket, when set, receives the access logs under
	// AccessLogPrefix. The bucket must be in the stack's region, let
	// Elastic Load Balancing write to it, and use SSE-S3.
	AccessLogBucket pulumi.StringInput
	AccessLogPrefix string
	// AccessLogPolicy is the bucket policy that lets the logs in; the load
	// balancer waits for it.
	AccessLogPolicy pulumi.Resource
	// TargetPort is the API's container port; HealthCheckPath must answer
	// 200 there.
	TargetPort      int
	HealthCheckPath string
}

// LoadBalancer is the stack's public Application Load Balancer: in the
// public subnets behind its security group, dropping invalid headers, with
// a target group of API task IPs. With a certificate it serves HTTPS with
// [TLSPolicy] and redirects HTTP to it; without one it forwards plain HTTP
// and warns the operator.
type LoadBalancer struct {
	pulumi.ResourceState

	Arn       pulumi.StringOutput `pulumi:"arn"`
	ArnSuffix pulumi.StringOutput `pulumi:"arnSuffix"`
	DNSName   pulumi.StringOutput `pulumi:"dnsName"`
	ZoneID    pulumi.StringOutput `pulumi:"zoneId"`
	// TargetGroupArn and TargetGroupArnSuffix identify the API targets.
	TargetGroupArn       pulumi.StringOutput `pulumi:"targetGroupArn"`
	TargetGroupArnSuffix pulumi.StringOutput `pulumi:"targetGroupArnSuffix"`
	// RequestsLabel is the resource label of the ALB requests-per-target
	// scaling metric.
	RequestsLabel pulumi.StringOutput `pulumi:"requestsLabel"`
	// URL is "https://<dns name>", or "http://<dns name>" without TLS.
	URL pulumi.StringOutput `pulumi:"url"`
	// Listeners must exist before a service registers targets.
	Listeners []pulumi.Resource
}

// NewLoadBalancer creates the load balancer, its target group and its
// listeners.
func NewLoadBalancer(
	ctx *pulumi.Context, name string, args *LoadBalancerArgs, opts ...pulumi.ResourceOption,
) (*LoadBalancer, error) {
	tgName := name + "-api"
	for _, n := range []string{name, tgName} {
		if len(n)+AutoNameSuffixLength > MaxLoadBalancerName {
			return nil, fmt.Errorf("naming load balancer resources: %q leaves no room for "+
				"the %d-character suffix within %d characters", n, AutoNameSuffixLength,
				MaxLoadBalancerName)
		}
	}

	c := &LoadBalancer{}
	err := ctx.RegisterComponentResource("socialflow:index:LoadBalancer", name, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("registering load balancer component: %w", err)
	}
	parent := pulumi.Parent(c)

	lbArgs := &lb.LoadBalancerArgs{
		LoadBalancerType:         pulumi.String("application"),
		Internal:                 pulumi.Bool(false),
		Subnets:                  args.SubnetIDs,
		SecurityGroups:           pulumi.StringArray{args.SecurityGroupID},
		DropInvalidHeaderFields:  pulumi.Bool(true),
		EnableDeletionProtection: pulumi.Bool(args.DeletionProtection),
		IdleTimeout:              pulumi.Int(args.IdleTimeoutSeconds),
	}
	if args.AccessLogBucket != nil {
		lbArgs.AccessLogs = &lb.LoadBalancerAccessLogsArgs{
			Bucket:  args.AccessLogBucket,
			Prefix:  pulumi.String(args.AccessLogPrefix),
			Enabled: pulumi.Bool(true),
		}
	}
	lbOpts := []pulumi.ResourceOption{parent}
	if args.AccessLogPolicy != nil {
		lbOpts = append(lbOpts, pulumi.DependsOn([]pulumi.Resource{args.AccessLogPolicy}))
	}
	alb, err := lb.NewLoadBalancer(ctx, name, lbArgs, lbOpts...)
	if err != nil {
		return nil, fmt.Errorf("creating load balancer: %w", err)
	}

	tg, err := lb.NewTargetGroup(ctx, tgName, &lb.TargetGroupArgs{
		VpcId:               args.VpcID,
		TargetType:          pulumi.String("ip"),
		Port:                pulumi.Int(args.TargetPort),
		Protocol:            pulumi.String("HTTP"),
		DeregistrationDelay: pulumi.Int(DeregistrationDelaySeconds),
		HealthCheck: &lb.TargetGroupHealthCheckArgs{
			Enabled:            pulumi.Bool(true),
			Path:               pulumi.String(args.HealthCheckPath),
			Protocol:           pulumi.String("HTTP"),
			Port:               pulumi.String("traffic-port"),
			Matcher:            pulumi.String("200"),
			Interval:           pulumi.Int(healthCheckIntervalSeconds),
			Timeout:            pulumi.Int(healthCheckTimeoutSeconds),
			HealthyThreshold:   pulumi.Int(healthyThreshold),
			UnhealthyThreshold: pulumi.Int(unhealthyThreshold),
		},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating api target group: %w", err)
	}

	forward := lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
		Type:           pulumi.String("forward"),
		TargetGroupArn: tg.Arn,
	}}
	scheme := "https"
	if args.CertificateArn != "" {
		https, err := lb.NewListener(ctx, name+"-https", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(HTTPSPort),
			Protocol:        pulumi.String("HTTPS"),
			SslPolicy:       pulumi.String(TLSPolicy),
			CertificateArn:  pulumi.String(args.CertificateArn),
			DefaultActions:  forward,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating https listener: %w", err)
		}
		http, err := lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(HTTPPort),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
				Type: pulumi.String("redirect"),
				Redirect: &lb.ListenerDefaultActionRedirectArgs{
					Protocol:   pulumi.String("HTTPS"),
					Port:       pulumi.String(fmt.Sprint(HTTPSPort)),
					StatusCode: pulumi.String("HTTP_301"),
				},
			}},
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating http redirect listener: %w", err)
		}
		c.Listeners = []pulumi.Resource{https, http}
	} else {
		scheme = "http"
		_ = ctx.Log.Warn("HTTPS is off: socialflow:loadBalancer.certificateArn is empty, so "+
			"the API is served over plain HTTP on port 80. Set an ACM certificate ARN to "+
			"serve HTTPS and redirect HTTP to it.", nil)
		http, err := lb.NewListener(ctx, name+"-http", &lb.ListenerArgs{
			LoadBalancerArn: alb.Arn,
			Port:            pulumi.Int(HTTPPort),
			Protocol:        pulumi.String("HTTP"),
			DefaultActions:  forward,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating http listener: %w", err)
		}
		c.Listeners = []pulumi.Resource{http}
	}

	c.Arn = alb.Arn
	c.ArnSuffix = alb.ArnSuffix
	c.DNSName = alb.DnsName
	c.ZoneID = alb.ZoneId
	c.TargetGroupArn = tg.Arn
	c.TargetGroupArnSuffix = tg.ArnSuffix
	c.RequestsLabel = pulumi.Sprintf("%s/%s", alb.ArnSuffix, tg.ArnSuffix)
	c.URL = pulumi.Sprintf("%s://%s", scheme, alb.DnsName)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"arn":                  c.Arn,
		"arnSuffix":            c.ArnSuffix,
		"dnsName":              c.DNSName,
		"zoneId":               c.ZoneID,
		"targetGroupArn":       c.TargetGroupArn,
		"targetGroupArnSuffix": c.TargetGroupArnSuffix,
		"requestsLabel":        c.RequestsLabel,
		"url":                  c.URL,
	}); err != nil {
		return nil, fmt.Errorf("registering load balancer outputs: %w", err)
	}

	return c, nil
}
