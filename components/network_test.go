package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

func networkArgs(singleNat bool) *components.NetworkArgs {
	return &components.NetworkArgs{
		Region:             "us-east-1",
		VpcCidr:            "10.1.0.0/16",
		AvailabilityZones:  []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		PublicSubnetCidrs:  []string{"10.1.101.0/24", "10.1.102.0/24", "10.1.103.0/24"},
		PrivateSubnetCidrs: []string{"10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"},
		SingleNat:          singleNat,
		LogRetentionDays:   30,
		KeyArn:             pulumi.String("arn:aws:kms:us-east-1:123456789012:key/test"),
	}
}

func runNetwork(t *testing.T, args *components.NetworkArgs) *harness.Result {
	t.Helper()

	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewNetwork(ctx, "net", args)

		return err
	})
}

func TestNetworkPinsEverySubnetToItsConfiguredBlock(t *testing.T) {
	args := networkArgs(true)
	vpc := only(t, runNetwork(t, args), "awsx:ec2:Vpc")

	assert.Equal(t, "10.1.0.0/16", vpc.Inputs["cidrBlock"])
	assert.Equal(t, true, vpc.Inputs["enableDnsHostnames"])
	assert.Equal(t, true, vpc.Inputs["enableDnsSupport"])
	assert.Equal(t, []any{"us-east-1a", "us-east-1b", "us-east-1c"},
		vpc.Inputs["availabilityZoneNames"])
	// Only the "Auto" strategy honors explicit blocks; "Legacy" ignores them.
	assert.Equal(t, "Auto", vpc.Inputs["subnetStrategy"])

	specs, ok := vpc.Inputs["subnetSpecs"].([]any)
	require.True(t, ok, "subnetSpecs is a list, got %#v", vpc.Inputs["subnetSpecs"])
	blocks := map[string]any{}
	for _, s := range specs {
		spec, ok := s.(map[string]any)
		require.True(t, ok)
		blocks[spec["type"].(string)] = spec["cidrBlocks"]
	}
	assert.Equal(t, map[string]any{
		"Public":  []any{"10.1.101.0/24", "10.1.102.0/24", "10.1.103.0/24"},
		"Private": []any{"10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"},
	}, blocks)
}

func TestNetworkNatGatewaysFollowTheStrategy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		singleNat bool
		want      string
	}{
		{"single-shared-gateway", true, "Single"},
		{"one-gateway-per-zone", false, "OnePerAz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vpc := only(t, runNetwork(t, networkArgs(tc.singleNat)), "awsx:ec2:Vpc")

			assert.Equal(t, map[string]any{"strategy": tc.want}, vpc.Inputs["natGateways"])
		})
	}
}

func TestNetworkDefaultSecurityGroupAllowsNothing(t *testing.T) {
	sg := only(t, runNetwork(t, networkArgs(true)),
		"aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")

	assert.Equal(t, []any{}, sg.Inputs["ingress"])
	assert.Equal(t, []any{}, sg.Inputs["egress"])
}

func TestNetworkFlowLogsCaptureAllTrafficIntoAnEncryptedGroup(t *testing.T) {
	r := runNetwork(t, networkArgs(true))

	group := only(t, r, "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, 30.0, group.Inputs["retentionInDays"])
	assert.Equal(t, "arn:aws:kms:us-east-1:123456789012:key/test", group.Inputs["kmsKeyId"])

	flow := only(t, r, "aws:ec2/flowLog:FlowLog")
	assert.Equal(t, "ALL", flow.Inputs["trafficType"])
	assert.Equal(t, "cloud-watch-logs", flow.Inputs["logDestinationType"])

	role := only(t, r, "aws:iam/role:Role")
	trust := document(t, role, "assumeRolePolicy")
	statements, ok := trust["Statement"].([]any)
	require.True(t, ok)
	require.Len(t, statements, 1)
	assert.Equal(t, map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
		statements[0].(map[string]any)["Principal"])
}

func TestNetworkS3TrafficUsesAGatewayEndpointOnEveryPrivateRouteTable(t *testing.T) {
	endpoint := only(t, runNetwork(t, networkArgs(false)), "aws:ec2/vpcEndpoint:VpcEndpoint")

	assert.Equal(t, "Gateway", endpoint.Inputs["vpcEndpointType"])
	assert.Equal(t, "com.amazonaws.us-east-1.s3", endpoint.Inputs["serviceName"])
	tables, ok := endpoint.Inputs["routeTableIds"].([]any)
	require.True(t, ok, "routeTableIds is a list, got %#v", endpoint.Inputs["routeTableIds"])
	assert.Len(t, tables, 3, "one private route table per zone")
}

func TestNetworkParentsEveryChildAndNamesItAfterTheComponent(t *testing.T) {
	r := runNetwork(t, networkArgs(true))

	root := only(t, r, "socialflow:index:Network")
	for _, res := range r.Resources {
		if res == root {
			continue
		}
		assert.Equal(t, root.URN, res.Parent, "%s %s", res.Type, res.Name)
		assert.Regexp(t, `^net-`, res.Name)
	}
}
