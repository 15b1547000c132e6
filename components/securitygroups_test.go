package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

// rule is one opened port as the tests read it back: the tier it belongs
// to, the direction, the port and the tier or CIDR on the other side.
type rule struct {
	tier, direction string
	port            float64
	other           string
}

// runSecurityGroups returns the recorded resources and the group IDs by tier.
func runSecurityGroups(t *testing.T) (*harness.Result, map[string]string) {
	t.Helper()

	r, err := harness.Run("socialflow", "test", nil,
		func(ctx *pulumi.Context) (pulumi.Map, error) {
			sg, err := components.NewSecurityGroups(ctx, "sg", &components.SecurityGroupsArgs{
				VpcID: pulumi.String("vpc-test"),
			})
			if err != nil {
				return nil, err
			}

			return pulumi.Map{
				"alb": sg.AlbID, "app": sg.AppID, "postgres": sg.PostgresID, "redis": sg.RedisID,
			}, nil
		})
	require.NoError(t, err)

	tiers := map[string]string{}
	for tier, id := range r.Outputs {
		s, ok := id.(string)
		require.True(t, ok, "%s id is %#v", tier, id)
		tiers[s] = tier
	}
	require.Len(t, tiers, 4, "four distinct groups")

	return r, tiers
}

func TestSecurityGroupsChainEachTierOnlyToItsNeighbours(t *testing.T) {
	r, tiers := runSecurityGroups(t)

	var got []rule
	for typ, direction := range map[string]string{
		"aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "in",
		"aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule":   "out",
	} {
		for _, res := range r.OfType(typ) {
			assert.Equal(t, "tcp", res.Inputs["ipProtocol"], res.Name)
			assert.Equal(t, res.Inputs["fromPort"], res.Inputs["toPort"], res.Name)
			other, _ := res.Inputs["cidrIpv4"].(string)
			if peer, ok := res.Inputs["referencedSecurityGroupId"].(string); ok {
				assert.Empty(t, other, "%s names both a CIDR and a peer group", res.Name)
				other = tiers[peer]
			}
			port, _ := res.Inputs["fromPort"].(float64)
			got = append(got, rule{
				tier:      tiers[res.Inputs["securityGroupId"].(string)],
				direction: direction,
				port:      port,
				other:     other,
			})
		}
	}

	assert.ElementsMatch(t, []rule{
		{"alb", "in", 80, "0.0.0.0/0"},
		{"alb", "in", 443, "0.0.0.0/0"},
		{"alb", "out", 8000, "app"},
		{"app", "in", 8000, "alb"},
		{"app", "out", 443, "0.0.0.0/0"},
		{"app", "out", 5432, "postgres"},
		{"app", "out", 6379, "redis"},
		{"postgres", "in", 5432, "app"},
		{"redis", "in", 6379, "app"},
	}, got)
}

func TestSecurityGroupsKeepNoInlineRules(t *testing.T) {
	r, _ := runSecurityGroups(t)

	groups := r.OfType("aws:ec2/securityGroup:SecurityGroup")
	require.Len(t, groups, 4)
	for _, g := range groups {
		assert.NotContains(t, g.Inputs, "ingress", g.Name)
		assert.NotContains(t, g.Inputs, "egress", g.Name)
		assert.Equal(t, "vpc-test", g.Inputs["vpcId"], g.Name)
		assert.Equal(t, true, g.Inputs["revokeRulesOnDelete"], g.Name)
	}
}
