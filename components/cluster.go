package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ClusterArgs configures [NewCluster].
type ClusterArgs struct {
	// ContainerInsights collects per-task CPU, memory and network metrics
	// into CloudWatch (charged per metric).
	ContainerInsights bool
}

// Cluster is the ECS cluster the services run in, on Fargate, with
// Container Insights on or off as configured.
type Cluster struct {
	pulumi.ResourceState

	Arn  pulumi.StringOutput `pulumi:"arn"`
	Name pulumi.StringOutput `pulumi:"name"`
}

// NewCluster creates the cluster.
func NewCluster(
	ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption,
) (*Cluster, error) {
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("socialflow:index:Cluster", name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering cluster component: %w", err)
	}

	insights := "disabled"
	if args.ContainerInsights {
		insights = "enabled"
	}
	cluster, err := ecs.NewCluster(ctx, name, &ecs.ClusterArgs{
		Settings: ecs.ClusterSettingArray{&ecs.ClusterSettingArgs{
			Name:  pulumi.String("containerInsights"),
			Value: pulumi.String(insights),
		}},
	}, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("creating ecs cluster: %w", err)
	}

	c.Arn = cluster.Arn
	c.Name = cluster.Name
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"arn":  c.Arn,
		"name": c.Name,
	}); err != nil {
		return nil, fmt.Errorf("registering cluster outputs: %w", err)
	}

	return c, nil
}
