package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ClusterArgs configures [NewCluster].
type ClusterArgs struct {
	// ContainerInsights collects per-task CPU, memory and network metrics
	// into CloudWatch (charged per metric).
	ContainerInsights bool
	// LogRetentionDays and KeyArn apply to the Container Insights log group.
	LogRetentionDays int
	KeyArn           pulumi.StringInput
}

// Cluster is the ECS cluster the services run in, on Fargate, with
// Container Insights on or off as configured. The cluster is named after the
// component, so the performance log group Container Insights writes to is
// created first, with a retention and encryption, instead of by ECS without
// either.
type Cluster struct {
	pulumi.ResourceState

	Arn  pulumi.StringOutput `pulumi:"arn"`
	Name pulumi.StringOutput `pulumi:"name"`
}

// ContainerInsightsLogGroup is the log group Container Insights writes the
// performance events of cluster to.
func ContainerInsightsLogGroup(cluster string) string {
	return "/aws/ecs/containerinsights/" + cluster + "/performance"
}

// NewCluster creates the cluster.
func NewCluster(
	ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption,
) (*Cluster, error) {
	c := &Cluster{}
	if err := ctx.RegisterComponentResource("socialflow:index:Cluster", name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering cluster component: %w", err)
	}

	parent := pulumi.Parent(c)

	insights := "disabled"
	var deps []pulumi.Resource
	if args.ContainerInsights {
		insights = "enabled"
		group, err := cloudwatch.NewLogGroup(ctx, name+"-insights", &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(ContainerInsightsLogGroup(name)),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
			KmsKeyId:        args.KeyArn,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating container insights log group: %w", err)
		}
		deps = append(deps, group)
	}
	cluster, err := ecs.NewCluster(ctx, name, &ecs.ClusterArgs{
		Name: pulumi.String(name),
		Settings: ecs.ClusterSettingArray{&ecs.ClusterSettingArgs{
			Name:  pulumi.String("containerInsights"),
			Value: pulumi.String(insights),
		}},
	}, parent, pulumi.DependsOn(deps))
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
