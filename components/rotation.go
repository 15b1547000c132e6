package components

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// When the database password rotates and when the services restart to read
// it (UTC). RDS's managed rotation takes about a minute; the restarts come
// after the rotation window has closed, clear of the daily backup window and
// the Sunday maintenance window.
const (
	PasswordRotationSchedule = "cron(0 4 ? * SAT *)" //nolint:gosec // a schedule, not a password
	PasswordRotationWindow   = "1h"
	ServiceRestartSchedule   = "cron(30 5 ? * SAT *)"
)

// updateServiceTarget is EventBridge Scheduler's universal target for the
// ECS UpdateService API.
const updateServiceTarget = "arn:aws:scheduler:::aws-sdk:ecs:updateService"

// PasswordRotationArgs configures [NewPasswordRotation].
type PasswordRotationArgs struct {
	// AccountID and Region scope the scheduler's role.
	AccountID string
	Region    string
	// SecretArn is the database master secret RDS manages.
	SecretArn pulumi.StringInput
	// ClusterName and ServiceNames are the services that read the password
	// when their tasks start.
	ClusterName  pulumi.StringInput
	ServiceNames map[string]pulumi.StringInput
}

// PasswordRotation pins when RDS rotates the database master password and
// restarts the services afterwards. ECS injects secrets only when a task
// starts, so without the restart running tasks would keep the old password
// and fail to open new connections until their next deployment.
type PasswordRotation struct {
	pulumi.ResourceState

	// RoleArn is the role EventBridge Scheduler restarts the services with.
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
}

// NewPasswordRotation schedules the rotation and the restarts.
func NewPasswordRotation(
	ctx *pulumi.Context, name string, args *PasswordRotationArgs, opts ...pulumi.ResourceOption,
) (*PasswordRotation, error) {
	c := &PasswordRotation{}
	err := ctx.RegisterComponentResource("socialflow:index:PasswordRotation", name, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("registering password rotation component: %w", err)
	}
	parent := pulumi.Parent(c)

	// A secret RDS manages rotates without a Lambda function: only its
	// schedule is set here.
	if _, err := secretsmanager.NewSecretRotation(ctx, name, &secretsmanager.SecretRotationArgs{
		SecretId:          args.SecretArn,
		RotateImmediately: pulumi.Bool(false),
		RotationRules: &secretsmanager.SecretRotationRotationRulesArgs{
			ScheduleExpression: pulumi.String(PasswordRotationSchedule),
			Duration:           pulumi.String(PasswordRotationWindow),
		},
	}, parent); err != nil {
		return nil, fmt.Errorf("scheduling password rotation: %w", err)
	}

	role, err := iam.NewRole(ctx, name+"-restart", &iam.RoleArgs{
		Description: pulumi.String("Lets EventBridge Scheduler restart the services " +
			"after the database password rotates."),
		AssumeRolePolicy: pulumi.String(schedulerTrustPolicy(args.AccountID)),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating restart role: %w", err)
	}

	services := sortedKeys(args.ServiceNames)
	var arns pulumi.StringArray
	for _, svc := range services {
		arns = append(arns, pulumi.Sprintf("arn:aws:ecs:%s:%s:service/%s/%s",
			args.Region, args.AccountID, args.ClusterName, args.ServiceNames[svc]))
	}
	policy := arns.ToStringArrayOutput().ApplyT(func(resources []string) (string, error) {
		return policyDocument(statement("Allow", []string{"ecs:UpdateService"}, resources))
	}).(pulumi.StringOutput)
	if _, err := iam.NewRolePolicy(ctx, name+"-restart", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent); err != nil {
		return nil, fmt.Errorf("granting restart role: %w", err)
	}

	for _, svc := range services {
		input := pulumi.All(args.ClusterName, args.ServiceNames[svc]).ApplyT(
			func(v []any) (string, error) {
				b, err := json.Marshal(map[string]any{
					"cluster":            v[0],
					"service":            v[1],
					"forceNewDeployment": true,
				})
				if err != nil {
					return "", fmt.Errorf("encoding restart of %s: %w", svc, err)
				}

				return string(b), nil
			}).(pulumi.StringOutput)
		if _, err := scheduler.NewSchedule(ctx, name+"-restart-"+svc, &scheduler.ScheduleArgs{
			Description:        pulumi.Sprintf("Restarts %s to read the rotated database password.", svc),
			ScheduleExpression: pulumi.String(ServiceRestartSchedule),
			FlexibleTimeWindow: &scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
			Target: &scheduler.ScheduleTargetArgs{
				Arn:     pulumi.String(updateServiceTarget),
				RoleArn: role.Arn,
				Input:   input,
			},
		}, parent); err != nil {
			return nil, fmt.Errorf("scheduling restart of %s: %w", svc, err)
		}
	}

	c.RoleArn = role.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"roleArn": c.RoleArn}); err != nil {
		return nil, fmt.Errorf("registering password rotation outputs: %w", err)
	}

	return c, nil
}

// schedulerTrustPolicy lets only this account's schedules assume the role.
func schedulerTrustPolicy(accountID string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "scheduler.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": accountID},
			},
		}},
	})

	return string(b)
}
