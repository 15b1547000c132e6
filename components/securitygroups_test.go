package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
)

func TestSecurityGroupsAreChainedWithLeastPrivilege(t *testing.T) {
	t.Parallel()

	r := runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewSecurityGroups(ctx, "sf", &components.SecurityGroupsArgs{
			VpcID: pulumi.String("vpc-1"),
		})

		return err
	})

	rules, err := r.SecurityGroupRules()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"sf-alb in tcp/80 0.0.0.0/0",
		"sf-alb in tcp/443 0.0.0.0/0",
		"sf-alb out tcp/8000 sf-app",
		"sf-app in tcp/8000 sf-alb",
		"sf-app out tcp/443 0.0.0.0/0",
		"sf-app out tcp/5432 sf-postgres",
		"sf-app out tcp/6379 sf-redis",
		"sf-postgres in tcp/5432 sf-app",
		"sf-redis in tcp/6379 sf-app",
	}, rules)
}

func TestSecurityGroupsHaveNoInlineRules(t *testing.T) {
	t.Parallel()

	r := runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewSecurityGroups(ctx, "sf", &components.SecurityGroupsArgs{
			VpcID: pulumi.String("vpc-1"),
		})

		return err
	})

	groups := r.OfType("aws:ec2/securityGroup:SecurityGroup")
	require.Len(t, groups, 4)
	for _, sg := range groups {
		assert.NotContains(t, sg.Inputs, "ingress", sg.Name)
		assert.NotContains(t, sg.Inputs, "egress", sg.Name)
		assert.Equal(t, "vpc-1", sg.Inputs["vpcId"])
		assert.Equal(t, true, sg.Inputs["revokeRulesOnDelete"], sg.Name)
	}
}
