package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const testKeyArn = "arn:aws:kms:us-east-1:123456789012:key/test"

func networkArgs(singleNat bool) *components.NetworkArgs {
	return &components.NetworkArgs{
		Region:             "us-east-1",
		VpcCidr:            "10.5.0.0/16",
		AvailabilityZones:  []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		PublicSubnetCidrs:  []string{"10.5.101.0/24", "10.5.102.0/24", "10.5.103.0/24"},
		PrivateSubnetCidrs: []string{"10.5.1.0/24", "10.5.2.0/24", "10.5.3.0/24"},
		SingleNat:          singleNat,
		LogRetentionDays:   14,
		KeyArn:             pulumi.String(testKeyArn),
	}
}

func runNetwork(t *testing.T, singleNat bool) *harness.Result {
	t.Helper()

	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewNetwork(ctx, "net", networkArgs(singleNat))

		return err
	})
}

func TestNetworkPinsEverySubnetToItsCidr(t *testing.T) {
	t.Parallel()

	r := runNetwork(t, true)
	vpc := only(t, r, "awsx:ec2:Vpc")

	assert.Equal(t, "net-vpc", vpc.Name)
	assert.Equal(t, "10.5.0.0/16", vpc.Inputs["cidrBlock"])
	assert.Equal(t, true, vpc.Inputs["enableDnsHostnames"])
	assert.Equal(t, true, vpc.Inputs["enableDnsSupport"])
	assert.Equal(t, []any{"us-east-1a", "us-east-1b", "us-east-1c"},
		vpc.Inputs["availabilityZoneNames"])
	// awsx's default "Legacy" strategy ignores explicit CIDR blocks; "Auto"
	// with a block on every spec selects the explicit layout.
	assert.Equal(t, "Auto", vpc.Inputs["subnetStrategy"])
	assert.Equal(t, []any{
		map[string]any{
			"type": "Public", "name": "public",
			"cidrBlocks": []any{"10.5.101.0/24", "10.5.102.0/24", "10.5.103.0/24"},
		},
		map[string]any{
			"type": "Private", "name": "private",
			"cidrBlocks": []any{"10.5.1.0/24", "10.5.2.0/24", "10.5.3.0/24"},
		},
	}, vpc.Inputs["subnetSpecs"])
}

func TestNetworkNatGatewayStrategy(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		single bool
		want   string
	}{{true, "Single"}, {false, "OnePerAz"}} {
		vpc := only(t, runNetwork(t, tc.single), "awsx:ec2:Vpc")
		assert.Equal(t, map[string]any{"strategy": tc.want}, vpc.Inputs["natGateways"])
	}
}

func TestNetworkDefaultSecurityGroupAllowsNothing(t *testing.T) {
	t.Parallel()

	sg := only(t, runNetwork(t, true), "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")

	assert.Equal(t, []any{}, sg.Inputs["ingress"])
	assert.Equal(t, []any{}, sg.Inputs["egress"])
	assert.NotEmpty(t, sg.Inputs["vpcId"])
}

func TestNetworkS3GatewayEndpointOnEveryPrivateRouteTable(t *testing.T) {
	t.Parallel()

	r := runNetwork(t, false)
	ep := only(t, r, "aws:ec2/vpcEndpoint:VpcEndpoint")

	assert.Equal(t, "com.amazonaws.us-east-1.s3", ep.Inputs["serviceName"])
	assert.Equal(t, "Gateway", ep.Inputs["vpcEndpointType"])
	tables, ok := ep.Inputs["routeTableIds"].([]any)
	require.True(t, ok, "routeTableIds: %#v", ep.Inputs["routeTableIds"])
	assert.Len(t, tables, 3, "one private route table per zone")
}

func TestNetworkFlowLogsGoToAnEncryptedGroupThroughAFlowLogsRole(t *testing.T) {
	t.Parallel()

	r := runNetwork(t, true)
	group := only(t, r, "aws:cloudwatch/logGroup:LogGroup")
	flow := only(t, r, "aws:ec2/flowLog:FlowLog")
	role := only(t, r, "aws:iam/role:Role")
	policy := only(t, r, "aws:iam/rolePolicy:RolePolicy")

	assert.Equal(t, 14.0, group.Inputs["retentionInDays"])
	assert.Equal(t, testKeyArn, group.Inputs["kmsKeyId"])
	assert.Equal(t, "ALL", flow.Inputs["trafficType"])
	assert.Equal(t, "cloud-watch-logs", flow.Inputs["logDestinationType"])
	assert.Contains(t, flow.Inputs["logDestination"], ":log-group:net-flow-logs")
	assert.Equal(t, "arn:aws:iam::123456789012:role/net-flow-logs", flow.Inputs["iamRoleArn"])

	trust := document(t, role, "assumeRolePolicy")
	stmt := trust["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"Service": "vpc-flow-logs.amazonaws.com"}, stmt["Principal"])
	assert.Equal(t, "sts:AssumeRole", stmt["Action"])

	perms := document(t, policy, "policy")["Statement"].([]any)
	require.Len(t, perms, 2)
	grant := perms[0].(map[string]any)
	assert.ElementsMatch(t,
		[]any{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
		grant["Action"])
	arn := "arn:aws:logs:us-east-1:123456789012:log-group:net-flow-logs"
	assert.ElementsMatch(t, []any{arn, arn + ":*"}, grant["Resource"], "only its own log group")
	lookup := perms[1].(map[string]any)
	assert.Equal(t, []any{"logs:DescribeLogGroups"}, lookup["Action"])
	assert.Equal(t, []any{"arn:aws:logs:us-east-1:123456789012:log-group:*"}, lookup["Resource"],
		"this account's log groups in this region, not *")
}

func TestNetworkChildrenAreParentedAndNamedAfterIt(t *testing.T) {
	t.Parallel()

	r := runNetwork(t, true)
	comp := only(t, r, "socialflow:index:Network")
	children := r.Children(comp.URN)

	require.Len(t, children, 7)
	for _, c := range children {
		assert.Regexp(t, `^net-`, c.Name, "%s is named after its component", c.Type)
	}
	for _, res := range r.Resources {
		if res != comp {
			assert.Equal(t, comp.URN, res.Parent, "%s %s", res.Type, res.Name)
		}
	}
}
