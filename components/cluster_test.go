package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
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
