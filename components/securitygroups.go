package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Ports the security groups open.
const (
	HTTPPort     = 80
	HTTPSPort    = 443
	AppPort      = 8000
	PostgresPort = 5432
	RedisPort    = 6379
)

// SecurityGroupsArgs configures [NewSecurityGroups].
type SecurityGroupsArgs struct {
	// VpcID is the VPC the groups belong to.
	VpcID pulumi.StringInput
}

// SecurityGroups are the four chained groups of the stack. The ALB takes
// HTTP and HTTPS from anywhere and reaches only the app on its port; the app
// takes traffic from the ALB only and reaches HTTPS, Postgres and Redis;
// Postgres and Redis take their port from the app only and reach nothing.
// Every rule is a standalone resource; no group has inline rules.
type SecurityGroups struct {
	pulumi.ResourceState

	AlbID      pulumi.StringOutput `pulumi:"albId"`
	AppID      pulumi.StringOutput `pulumi:"appId"`
	PostgresID pulumi.StringOutput `pulumi:"postgresId"`
	RedisID    pulumi.StringOutput `pulumi:"redisId"`
}

// NewSecurityGroups creates the groups and their rules.
func NewSecurityGroups(
	ctx *pulumi.Context, name string, args *SecurityGroupsArgs, opts ...pulumi.ResourceOption,
) (*SecurityGroups, error) {
	c := &SecurityGroups{}
	err := ctx.RegisterComponentResource("socialflow:index:SecurityGroups", name, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("registering security groups component: %w", err)
	}
	parent := pulumi.Parent(c)

	group := func(role, description string) (*ec2.SecurityGroup, error) {
		sg, err := ec2.NewSecurityGroup(ctx, name+"-"+role, &ec2.SecurityGroupArgs{
			VpcId:       args.VpcID,
			Description: pulumi.String(description),
			// Chained groups reference each other; revoking first lets them
			// be deleted in any order.
			RevokeRulesOnDelete: pulumi.Bool(true),
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating %s security group: %w", role, err)
		}

		return sg, nil
	}
	alb, err := group("alb", "Public load balancer")
	if err != nil {
		return nil, err
	}
	app, err := group("app", "API and Celery tasks")
	if err != nil {
		return nil, err
	}
	db, err := group("postgres", "PostgreSQL")
	if err != nil {
		return nil, err
	}
	cache, err := group("redis", "Redis")
	if err != nil {
		return nil, err
	}

	rules := []sgRule{
		{name: "alb-in-http", group: alb.ID(), port: HTTPPort, cidr: "0.0.0.0/0",
			description: "HTTP from anywhere, redirected to HTTPS"},
		{name: "alb-in-https", group: alb.ID(), port: HTTPSPort, cidr: "0.0.0.0/0",
			description: "HTTPS from anywhere"},
		{name: "alb-out-app", group: alb.ID(), port: AppPort, egress: true, peer: app.ID(),
			description: "To the API tasks"},
		{name: "app-in-alb", group: app.ID(), port: AppPort, peer: alb.ID(),
			description: "From the load balancer"},
		{name: "app-out-https", group: app.ID(), port: HTTPSPort, egress: true, cidr: "0.0.0.0/0",
			description: "AWS APIs, S3, ECR and third-party APIs over HTTPS"},
		{name: "app-out-postgres", group: app.ID(), port: PostgresPort, egress: true, peer: db.ID(),
			description: "To PostgreSQL"},
		{name: "app-out-redis", group: app.ID(), port: RedisPort, egress: true, peer: cache.ID(),
			description: "To Redis"},
		{name: "postgres-in-app", group: db.ID(), port: PostgresPort, peer: app.ID(),
			description: "From the API and Celery tasks"},
		{name: "redis-in-app", group: cache.ID(), port: RedisPort, peer: app.ID(),
			description: "From the API and Celery tasks"},
	}
	for _, r := range rules {
		if err := r.create(ctx, name, parent); err != nil {
			return nil, err
		}
	}

	c.AlbID = alb.ID().ToStringOutput()
	c.AppID = app.ID().ToStringOutput()
	c.PostgresID = db.ID().ToStringOutput()
	c.RedisID = cache.ID().ToStringOutput()
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"albId":      c.AlbID,
		"appId":      c.AppID,
		"postgresId": c.PostgresID,
		"redisId":    c.RedisID,
	}); err != nil {
		return nil, fmt.Errorf("registering security group outputs: %w", err)
	}

	return c, nil
}

// sgRule is one TCP port opened in one direction to a CIDR or a peer group.
type sgRule struct {
	name        string
	group       pulumi.IDOutput
	port        int
	egress      bool
	cidr        string
	peer        pulumi.IDOutput
	description string
}

func (r sgRule) create(ctx *pulumi.Context, prefix string, parent pulumi.ResourceOption) error {
	var cidr, peer pulumi.StringPtrInput
	if r.cidr != "" {
		cidr = pulumi.String(r.cidr)
	} else {
		peer = r.peer.ToStringOutput().ToStringPtrOutput()
	}

	var err error
	if r.egress {
		_, err = vpc.NewSecurityGroupEgressRule(ctx, prefix+"-"+r.name,
			&vpc.SecurityGroupEgressRuleArgs{
				SecurityGroupId:           r.group,
				IpProtocol:                pulumi.String("tcp"),
				FromPort:                  pulumi.Int(r.port),
				ToPort:                    pulumi.Int(r.port),
				CidrIpv4:                  cidr,
				ReferencedSecurityGroupId: peer,
				Description:               pulumi.String(r.description),
			}, parent)
	} else {
		_, err = vpc.NewSecurityGroupIngressRule(ctx, prefix+"-"+r.name,
			&vpc.SecurityGroupIngressRuleArgs{
				SecurityGroupId:           r.group,
				IpProtocol:                pulumi.String("tcp"),
				FromPort:                  pulumi.Int(r.port),
				ToPort:                    pulumi.Int(r.port),
				CidrIpv4:                  cidr,
				ReferencedSecurityGroupId: peer,
				Description:               pulumi.String(r.description),
			}, parent)
	}
	if err != nil {
		return fmt.Errorf("creating security group rule %s: %w", r.name, err)
	}

	return nil
}
