package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const certArn = "arn:aws:acm:us-east-1:123456789012:certificate/" +
	"11111111-2222-3333-4444-555555555555"

func lbArgs(cert string, logBucket pulumi.StringInput) *components.LoadBalancerArgs {
	return &components.LoadBalancerArgs{
		VpcID:              pulumi.String("vpc-1"),
		SubnetIDs:          pulumi.StringArray{pulumi.String("subnet-p1"), pulumi.String("subnet-p2")},
		SecurityGroupID:    pulumi.String("sg-alb"),
		CertificateArn:     cert,
		IdleTimeoutSeconds: 120,
		DeletionProtection: true,
		AccessLogBucket:    logBucket,
		AccessLogPrefix:    "alb",
		TargetPort:         8000,
		HealthCheckPath:    "/health",
	}
}

func runLoadBalancer(
	t *testing.T, args *components.LoadBalancerArgs,
) (*harness.Result, map[string]any) {
	t.Helper()

	r, err := harness.Run("socialflow", "test", nil, func(ctx *pulumi.Context) (pulumi.Map, error) {
		alb, err := components.NewLoadBalancer(ctx, "sf", args)
		if err != nil {
			return nil, err
		}

		return pulumi.Map{"url": alb.URL, "label": alb.RequestsLabel}, nil
	})
	require.NoError(t, err)

	return r, r.Outputs
}

func TestLoadBalancerIsPublicDropsInvalidHeadersAndAppliesItsSettings(t *testing.T) {
	t.Parallel()

	r, _ := runLoadBalancer(t, lbArgs(certArn, nil))
	alb := only(t, r, "aws:lb/loadBalancer:LoadBalancer")
	assert.Equal(t, map[string]any{
		"loadBalancerType":         "application",
		"internal":                 false,
		"subnets":                  []any{"subnet-p1", "subnet-p2"},
		"securityGroups":           []any{"sg-alb"},
		"dropInvalidHeaderFields":  true,
		"enableDeletionProtection": true,
		"idleTimeout":              120.0,
	}, alb.Inputs, "no access logs without a bucket")

	args := lbArgs(certArn, nil)
	args.DeletionProtection = false
	r, _ = runLoadBalancer(t, args)
	assert.Equal(t, false,
		only(t, r, "aws:lb/loadBalancer:LoadBalancer").Inputs["enableDeletionProtection"])
}

func TestLoadBalancerWritesAccessLogsWhenGivenABucket(t *testing.T) {
	t.Parallel()

	r, _ := runLoadBalancer(t, lbArgs(certArn, pulumi.String("sf-logs")))
	alb := only(t, r, "aws:lb/loadBalancer:LoadBalancer")
	assert.Equal(t, map[string]any{"bucket": "sf-logs", "prefix": "alb", "enabled": true},
		alb.Inputs["accessLogs"])
}

func TestTargetGroupChecksTheApiHealthOnItsTaskIPs(t *testing.T) {
	t.Parallel()

	r, _ := runLoadBalancer(t, lbArgs(certArn, nil))
	tg := only(t, r, "aws:lb/targetGroup:TargetGroup")
	assert.Equal(t, "sf-api", tg.Name)
	assert.Equal(t, "ip", tg.Inputs["targetType"], "Fargate tasks register by IP")
	assert.Equal(t, 8000.0, tg.Inputs["port"])
	assert.Equal(t, "HTTP", tg.Inputs["protocol"])
	assert.Equal(t, "vpc-1", tg.Inputs["vpcId"])
	assert.Equal(t, 30.0, tg.Inputs["deregistrationDelay"])
	assert.Equal(t, map[string]any{
		"enabled": true, "path": "/health", "protocol": "HTTP", "port": "traffic-port",
		"matcher": "200", "interval": 15.0, "timeout": 5.0,
		"healthyThreshold": 2.0, "unhealthyThreshold": 3.0,
	}, tg.Inputs["healthCheck"])
}

// listeners returns the listeners by port.
func listeners(t *testing.T, r *harness.Result) map[float64]*harness.Resource {
	t.Helper()

	out := map[float64]*harness.Resource{}
	for _, l := range r.OfType("aws:lb/listener:Listener") {
		out[l.Inputs["port"].(float64)] = l
	}

	return out
}

func TestWithACertificateHttpsForwardsWithTheTlsPolicyAndHttpRedirects(t *testing.T) {
	t.Parallel()

	r, out := runLoadBalancer(t, lbArgs(certArn, nil))
	tg := only(t, r, "aws:lb/targetGroup:TargetGroup")
	tgArn := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/sf-api/" +
		harness.FakeID("", tg.Type, tg.Name)[:16]
	byPort := listeners(t, r)
	require.Len(t, byPort, 2)

	https := byPort[443]
	assert.Equal(t, "HTTPS", https.Inputs["protocol"])
	assert.Equal(t, "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", https.Inputs["sslPolicy"])
	assert.Equal(t, certArn, https.Inputs["certificateArn"])
	assert.Equal(t, []any{map[string]any{"type": "forward", "targetGroupArn": tgArn}},
		https.Inputs["defaultActions"])

	http := byPort[80]
	assert.Equal(t, "HTTP", http.Inputs["protocol"])
	assert.Equal(t, []any{map[string]any{"type": "redirect", "redirect": map[string]any{
		"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301",
	}}}, http.Inputs["defaultActions"])

	assert.Regexp(t, `^https://sf-[0-9a-f]{10}\.us-east-1\.elb\.amazonaws\.com$`, out["url"])
}

func TestWithoutACertificatePlainHttpForwards(t *testing.T) {
	t.Parallel()

	r, out := runLoadBalancer(t, lbArgs("", nil))
	byPort := listeners(t, r)
	require.Len(t, byPort, 1)
	http := byPort[80]
	assert.Equal(t, "HTTP", http.Inputs["protocol"])
	assert.Nil(t, http.Inputs["sslPolicy"])
	actions := http.Inputs["defaultActions"].([]any)
	require.Len(t, actions, 1)
	assert.Equal(t, "forward", actions[0].(map[string]any)["type"])
	assert.Regexp(t, `^http://`, out["url"])
}

func TestRequestsLabelJoinsTheLoadBalancerAndTargetGroupSuffixes(t *testing.T) {
	t.Parallel()

	r, out := runLoadBalancer(t, lbArgs(certArn, nil))
	alb := only(t, r, "aws:lb/loadBalancer:LoadBalancer")
	tg := only(t, r, "aws:lb/targetGroup:TargetGroup")
	assert.Equal(t, "app/sf/"+harness.FakeID("", alb.Type, alb.Name)[:16]+
		"/targetgroup/sf-api/"+harness.FakeID("", tg.Type, tg.Name)[:16], out["label"])
}

func TestLoadBalancerNamesLeaveRoomForTheAutonameSuffix(t *testing.T) {
	t.Parallel()

	// 24 characters plus Pulumi's 8 fill the 32 AWS allows.
	_, err := runComponentE(func(ctx *pulumi.Context) error {
		_, err := components.NewLoadBalancer(ctx, "socialflow-staging-x", lbArgs(certArn, nil))

		return err
	})
	assert.NoError(t, err, `"socialflow-staging-x-api" is 24 characters`)

	_, err = runComponentE(func(ctx *pulumi.Context) error {
		_, err := components.NewLoadBalancer(ctx, "socialflow-staging-xy", lbArgs(certArn, nil))

		return err
	})
	assert.ErrorContains(t, err, `"socialflow-staging-xy-api" leaves no room`)
}
