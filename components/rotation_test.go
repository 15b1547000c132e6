package components_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const masterSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"

func runPasswordRotation(t *testing.T) *harness.Result {
	t.Helper()

	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewPasswordRotation(ctx, "sf-db-password",
			&components.PasswordRotationArgs{
				AccountID:   "123456789012",
				Region:      "us-east-1",
				SecretArn:   pulumi.String(masterSecret),
				ClusterName: pulumi.String("sf"),
				ServiceNames: map[string]pulumi.StringInput{
					"api": pulumi.String("sf-api"), "worker": pulumi.String("sf-worker"),
				},
			})

		return err
	})
}

func TestPasswordRotationRunsOnAFixedWeeklyScheduleWithoutALambda(t *testing.T) {
	t.Parallel()

	rot := only(t, runPasswordRotation(t), "aws:secretsmanager/secretRotation:SecretRotation")

	assert.Equal(t, masterSecret, rot.Inputs["secretId"])
	assert.NotContains(t, rot.Inputs, "rotationLambdaArn", "RDS rotates the secret it manages")
	assert.Equal(t, false, rot.Inputs["rotateImmediately"])
	assert.Equal(t, map[string]any{
		"scheduleExpression": "cron(0 4 ? * SAT *)",
		"duration":           "1h",
	}, rot.Inputs["rotationRules"])
}

func TestServicesRestartAfterTheRotationWindowToReadTheNewPassword(t *testing.T) {
	t.Parallel()

	r := runPasswordRotation(t)
	role := only(t, r, "aws:iam/role:Role")
	schedules := r.OfType("aws:scheduler/schedule:Schedule")
	require.Len(t, schedules, 2)

	restarted := map[string]bool{}
	for _, s := range schedules {
		// The rotation window opens at 04:00 for one hour; restarts follow.
		assert.Equal(t, "cron(30 5 ? * SAT *)", s.Inputs["scheduleExpression"], s.Name)
		assert.Equal(t, map[string]any{"mode": "OFF"}, s.Inputs["flexibleTimeWindow"], s.Name)
		target := s.Inputs["target"].(map[string]any)
		assert.Equal(t, "arn:aws:scheduler:::aws-sdk:ecs:updateService", target["arn"], s.Name)
		assert.Equal(t, "arn:aws:iam::123456789012:role/"+role.Name, target["roleArn"], s.Name)

		var input map[string]any
		require.NoError(t, json.Unmarshal([]byte(target["input"].(string)), &input))
		assert.Equal(t, "sf", input["cluster"])
		assert.Equal(t, true, input["forceNewDeployment"])
		restarted[input["service"].(string)] = true
	}
	assert.Equal(t, map[string]bool{"sf-api": true, "sf-worker": true}, restarted)
}

func TestRestartRoleMayOnlyUpdateTheServices(t *testing.T) {
	t.Parallel()

	r := runPasswordRotation(t)
	trust := document(t, only(t, r, "aws:iam/role:Role"), "assumeRolePolicy")
	stmt := trust["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"Service": "scheduler.amazonaws.com"}, stmt["Principal"])
	assert.Equal(t, map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"},
	}, stmt["Condition"])

	grants := document(t, only(t, r, "aws:iam/rolePolicy:RolePolicy"), "policy")["Statement"].([]any)
	require.Len(t, grants, 1)
	grant := grants[0].(map[string]any)
	assert.Equal(t, []any{"ecs:UpdateService"}, grant["Action"])
	assert.Equal(t, []any{
		"arn:aws:ecs:us-east-1:123456789012:service/sf/sf-api",
		"arn:aws:ecs:us-east-1:123456789012:service/sf/sf-worker",
	}, grant["Resource"])
}
