// Package components holds the socialflow ComponentResources. Each takes a
// typed Args struct, parents every child to itself, derives child names from
// its own name and registers its outputs.
package components

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	awsec2 "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkArgs configures [NewNetwork].
type NetworkArgs struct {
	// Region is the stack's AWS region.
	Region string
	// VpcCidr is the VPC's IPv4 range.
	VpcCidr string
	// AvailabilityZones are the zones, one public and one private subnet each.
	AvailabilityZones []string
	// PublicSubnetCidrs and PrivateSubnetCidrs are indexed like the zones.
	PublicSubnetCidrs  []string
	PrivateSubnetCidrs []string
	// SingleNat shares one NAT gateway between all zones; otherwise each zone
	// gets its own.
	SingleNat bool
	// LogRetentionDays is the flow log group's retention.
	LogRetentionDays int
	// KeyArn encrypts the flow log group.
	KeyArn pulumi.StringInput
}

// Network is the stack's VPC: public and private subnets at exactly the
// configured CIDR blocks, NAT for the private subnets, DNS hostnames, flow
// logs of all traffic to an encrypted log group, a default security group
// that allows nothing and an S3 gateway endpoint on every private route
// table, so media traffic does not pay for NAT.
type Network struct {
	pulumi.ResourceState

	VpcID            pulumi.StringOutput      `pulumi:"vpcId"`
	PublicSubnetIDs  pulumi.StringArrayOutput `pulumi:"publicSubnetIds"`
	PrivateSubnetIDs pulumi.StringArrayOutput `pulumi:"privateSubnetIds"`
	// PrivateRouteTableIDs are the route tables of the private subnets.
	PrivateRouteTableIDs pulumi.StringArrayOutput `pulumi:"privateRouteTableIds"`
	// S3PrefixListID is the S3 gateway endpoint's prefix list, for egress
	// rules to S3.
	S3PrefixListID pulumi.StringOutput `pulumi:"s3PrefixListId"`
	// FlowLogGroup is the name of the flow log group.
	FlowLogGroup pulumi.StringOutput `pulumi:"flowLogGroup"`
}

// NewNetwork creates the VPC and everything around it.
func NewNetwork(
	ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption,
) (*Network, error) {
	c := &Network{}
	err := ctx.RegisterComponentResource("socialflow:index:Network", name, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("registering network component: %w", err)
	}
	parent := pulumi.Parent(c)

	// "Auto" with CIDR blocks on every spec selects the explicit layout;
	// "Legacy", the default, would ignore them.
	layout := ec2.SubnetAllocationStrategyAuto
	strategy := ec2.NatGatewayStrategyOnePerAz
	if args.SingleNat {
		strategy = ec2.NatGatewayStrategySingle
	}
	// Explicit CIDR blocks pin every subnet: an awsx upgrade that changes its
	// allocation defaults can't move (and so replace) a subnet.
	vpc, err := ec2.NewVpc(ctx, name+"-vpc", &ec2.VpcArgs{
		CidrBlock:             pulumi.StringRef(args.VpcCidr),
		AvailabilityZoneNames: args.AvailabilityZones,
		EnableDnsHostnames:    pulumi.Bool(true),
		EnableDnsSupport:      pulumi.Bool(true),
		SubnetStrategy:        &layout,
		SubnetSpecs: []ec2.SubnetSpecArgs{
			{
				Type:       ec2.SubnetTypePublic,
				Name:       pulumi.StringRef("public"),
				CidrBlocks: args.PublicSubnetCidrs,
			},
			{
				Type:       ec2.SubnetTypePrivate,
				Name:       pulumi.StringRef("private"),
				CidrBlocks: args.PrivateSubnetCidrs,
			},
		},
		NatGateways: &ec2.NatGatewayConfigurationArgs{Strategy: strategy},
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating vpc: %w", err)
	}

	// AWS creates a default security group that lets members talk to each
	// other and reach anywhere; adopting it with no rules removes them.
	_, err = awsec2.NewDefaultSecurityGroup(ctx, name+"-default-sg",
		&awsec2.DefaultSecurityGroupArgs{
			VpcId:   vpc.VpcId,
			Ingress: awsec2.DefaultSecurityGroupIngressArray{},
			Egress:  awsec2.DefaultSecurityGroupEgressArray{},
		}, parent)
	if err != nil {
		return nil, fmt.Errorf("emptying default security group: %w", err)
	}

	// The private route tables are children of the awsx component, which a
	// program can't address directly; depending on the component makes the
	// lookup wait until they all exist.
	privateTables := awsec2.GetRouteTablesOutput(ctx, awsec2.GetRouteTablesOutputArgs{
		VpcId: vpc.VpcId,
		Filters: awsec2.GetRouteTablesFilterArray{
			awsec2.GetRouteTablesFilterArgs{
				Name:   pulumi.String("tag:SubnetType"),
				Values: pulumi.StringArray{pulumi.String("Private")},
			},
		},
	}, pulumi.DependsOn([]pulumi.Resource{vpc}), parent).Ids()

	endpoint, err := awsec2.NewVpcEndpoint(ctx, name+"-s3", &awsec2.VpcEndpointArgs{
		VpcId:           vpc.VpcId,
		ServiceName:     pulumi.String("com.amazonaws." + args.Region + ".s3"),
		VpcEndpointType: pulumi.String("Gateway"),
		RouteTableIds:   privateTables,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating s3 gateway endpoint: %w", err)
	}

	logGroup, err := flowLogs(ctx, name, vpc.VpcId, args, parent)
	if err != nil {
		return nil, err
	}

	c.VpcID = vpc.VpcId
	c.PublicSubnetIDs = vpc.PublicSubnetIds
	c.PrivateSubnetIDs = vpc.PrivateSubnetIds
	c.PrivateRouteTableIDs = privateTables
	c.S3PrefixListID = endpoint.PrefixListId
	c.FlowLogGroup = logGroup
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"vpcId":                c.VpcID,
		"publicSubnetIds":      c.PublicSubnetIDs,
		"privateSubnetIds":     c.PrivateSubnetIDs,
		"privateRouteTableIds": c.PrivateRouteTableIDs,
		"s3PrefixListId":       c.S3PrefixListID,
		"flowLogGroup":         c.FlowLogGroup,
	}); err != nil {
		return nil, fmt.Errorf("registering network outputs: %w", err)
	}

	return c, nil
}

// flowLogs sends the VPC's flow logs to an encrypted log group through a
// role only the flow logs service can assume.
func flowLogs(
	ctx *pulumi.Context, name string, vpcID pulumi.StringInput, args *NetworkArgs,
	parent pulumi.ResourceOrInvokeOption,
) (pulumi.StringOutput, error) {
	none := pulumi.StringOutput{}
	group, err := cloudwatch.NewLogGroup(ctx, name+"-flow-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        args.KeyArn,
	}, parent)
	if err != nil {
		return none, fmt.Errorf("creating flow log group: %w", err)
	}

	role, err := iam.NewRole(ctx, name+"-flow-logs", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("vpc-flow-logs.amazonaws.com")),
		Description:      pulumi.String("Lets VPC flow logs write to their log group."),
	}, parent)
	if err != nil {
		return none, fmt.Errorf("creating flow log role: %w", err)
	}

	// The service looks its group up by name before writing; listing groups
	// can't be narrowed to one group, only to the account's log groups.
	policy := group.Arn.ApplyT(func(arn string) (string, error) {
		groups := arn[:strings.LastIndex(arn, ":log-group:")] + ":log-group:*"

		return policyDocument(
			statement("Allow",
				[]string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
				[]string{arn, arn + ":*"}),
			statement("Allow", []string{"logs:DescribeLogGroups"}, []string{groups}))
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-flow-logs", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent); err != nil {
		return none, fmt.Errorf("granting flow log role: %w", err)
	}

	if _, err := awsec2.NewFlowLog(ctx, name+"-flow-logs", &awsec2.FlowLogArgs{
		VpcId:                  vpcID,
		TrafficType:            pulumi.String("ALL"),
		LogDestinationType:     pulumi.String("cloud-watch-logs"),
		LogDestination:         group.Arn,
		IamRoleArn:             role.Arn,
		MaxAggregationInterval: pulumi.Int(600),
	}, parent); err != nil {
		return none, fmt.Errorf("creating flow log: %w", err)
	}

	return group.Name, nil
}

// assumeRolePolicy lets one AWS service assume a role.
func assumeRolePolicy(service string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": service},
			"Action":    "sts:AssumeRole",
		}},
	})

	return string(b)
}

// statement is one IAM policy statement.
func statement(effect string, actions, resources []string) map[string]any {
	return map[string]any{"Effect": effect, "Action": actions, "Resource": resources}
}

// policyDocument renders IAM policy statements as a JSON document.
func policyDocument(statements ...map[string]any) (string, error) {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		return "", fmt.Errorf("encoding policy document: %w", err)
	}

	return string(b), nil
}
