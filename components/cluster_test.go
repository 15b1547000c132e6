package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

func TestClusterTurnsContainerInsightsOnOrOff(t *testing.T) {
	t.Parallel()

	for insights, want := range map[bool]string{true: "enabled", false: "disabled"} {
		r := runComponent(t, func(ctx *pulumi.Context) error {
			_, err := components.NewCluster(ctx, "sf", &components.ClusterArgs{
				ContainerInsights: insights,
			})

			return err
		})
		cluster := only(t, r, "aws:ecs/cluster:Cluster")
		assert.Equal(t, []any{map[string]any{"name": "containerInsights", "value": want}},
			cluster.Inputs["settings"])
		assert.Equal(t, only(t, r, "socialflow:index:Cluster").URN, cluster.Parent)
	}
}

func TestContainerInsightsWritesToALogGroupWithRetentionCreatedFirst(t *testing.T) {
	t.Parallel()

	run := func(insights bool) *harness.Result {
		return runComponent(t, func(ctx *pulumi.Context) error {
			_, err := components.NewCluster(ctx, "sf-prod", &components.ClusterArgs{
				ContainerInsights: insights,
				LogRetentionDays:  90,
				KeyArn:            pulumi.String(testKeyArn),
			})

			return err
		})
	}

	r := run(true)
	cluster := only(t, r, "aws:ecs/cluster:Cluster")
	group := only(t, r, "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, "sf-prod", cluster.Inputs["name"],
		"a known name, so its log group can exist first")
	assert.Equal(t, "/aws/ecs/containerinsights/sf-prod/performance", group.Inputs["name"])
	assert.Equal(t, 90.0, group.Inputs["retentionInDays"])
	assert.Equal(t, testKeyArn, group.Inputs["kmsKeyId"])
	assert.Equal(t, []string{group.URN}, cluster.DependsOn)

	assert.Empty(t, run(false).OfType("aws:cloudwatch/logGroup:LogGroup"))
}
