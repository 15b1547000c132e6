package components_test

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const (
	svcImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sf@sha256:" +
		"89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	svcRepoArn  = "arn:aws:ecr:us-east-1:123456789012:repository/sf"
	svcKeyArn   = "arn:aws:kms:us-east-1:123456789012:key/aaaabbbb-cccc-dddd-eeee-ffff00001111"
	jwtArn      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-jwt-AbCdEf"
	dbMasterArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1234-XyZ123"
	mediaPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::sf-videos/*"]}]}`
	requestLabel = "app/sf/0123456789abcdef/targetgroup/sf-api/fedcba9876543210"
	logGroupArn  = "arn:aws:logs:us-east-1:123456789012:log-group:sf-api"
)

// apiArgs are the arguments of an API-like service: behind a target group,
// scaled on CPU, memory and requests, with a migration task.
func apiArgs() *components.ServiceArgs {
	return &components.ServiceArgs{
		AccountID:          "123456789012",
		Region:             "us-east-1",
		ClusterArn:         pulumi.String("arn:aws:ecs:us-east-1:123456789012:cluster/sf"),
		ClusterName:        pulumi.String("sf"),
		ContainerName:      "api",
		Image:              components.ImageRef{Image: pulumi.String(svcImage).ToStringOutput()},
		Architecture:       "ARM64",
		CPU:                1024,
		Memory:             2048,
		StopTimeoutSeconds: 30,
		SubnetIDs:          pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b")},
		SecurityGroupIDs:   pulumi.StringArray{pulumi.String("sg-app")},
		Port:               8000,
		TargetGroupArn: pulumi.String(
			"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/sf-api/fedcba9876543210"),
		HealthCheckGracePeriodSeconds: 60,
		Environment: map[string]pulumi.StringInput{
			"ENVIRONMENT": pulumi.String("staging"),
			"AWS_REGION":  pulumi.String("us-east-1"),
		},
		Secrets: map[string]pulumi.StringInput{
			"JWT_SECRET_KEY":    pulumi.String(jwtArn),
			"DATABASE_USER":     pulumi.String(dbMasterArn + ":username::"),
			"DATABASE_PASSWORD": pulumi.String(dbMasterArn + ":password::"),
		},
		KeyArn:             pulumi.String(svcKeyArn),
		PullRepositoryArns: []pulumi.StringInput{pulumi.String(svcRepoArn)},
		TaskPolicy:         pulumi.String(mediaPolicy),
		LogRetentionDays:   30,
		Scaling: components.Scaling{
			MinCount: 2, MaxCount: 5,
			CPUPercent: 60, MemoryPercent: 70,
			RequestsPerTarget: 1000, RequestsLabel: pulumi.String(requestLabel),
		},
		MigrationCommand: []string{"alembic", "upgrade", "head"},
	}
}

// beatArgs are the arguments of a singleton without a load balancer or
// buckets.
func beatArgs() *components.ServiceArgs {
	a := apiArgs()
	a.ContainerName = "beat"
	a.Image.Command = []string{"celery", "beat"}
	a.Port = 0
	a.TargetGroupArn = nil
	a.TaskPolicy = nil
	a.Singleton = true
	a.Scaling = components.Scaling{MinCount: 1, MaxCount: 1}
	a.MigrationCommand = nil

	return a
}

func runService(t *testing.T, args *components.ServiceArgs) *harness.Result {
	t.Helper()

	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewService(ctx, "sf-"+args.ContainerName, args)

		return err
	})
}

// containers decodes a task definition's container definitions.
func containers(t *testing.T, td *harness.Resource) []components.ContainerDefinition {
	t.Helper()

	s, ok := td.Inputs["containerDefinitions"].(string)
	require.True(t, ok, "%s has container definitions", td.Name)
	var defs []components.ContainerDefinition
	require.NoError(t, json.Unmarshal([]byte(s), &defs))

	return defs
}

func TestServiceTaskDefinitionRunsTheImageByDigestOnFargate(t *testing.T) {
	t.Parallel()

	r := runService(t, apiArgs())
	td := r.Find("aws:ecs/taskDefinition:TaskDefinition", "sf-api")
	require.NotNil(t, td)

	assert.Equal(t, "sf-api", td.Inputs["family"])
	assert.Equal(t, "1024", td.Inputs["cpu"])
	assert.Equal(t, "2048", td.Inputs["memory"])
	assert.Equal(t, "awsvpc", td.Inputs["networkMode"])
	assert.Equal(t, []any{"FARGATE"}, td.Inputs["requiresCompatibilities"])
	assert.Equal(t, map[string]any{"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
		td.Inputs["runtimePlatform"])
	assert.Equal(t, "arn:aws:iam::123456789012:role/sf-api-execution", td.Inputs["executionRoleArn"])
	assert.Equal(t, "arn:aws:iam::123456789012:role/sf-api-task", td.Inputs["taskRoleArn"])
	assert.Equal(t, true, td.Inputs["skipDestroy"], "old revisions stay for rollbacks")

	defs := containers(t, td)
	require.Len(t, defs, 1)
	c := defs[0]
	assert.Equal(t, "api", c.Name)
	assert.Equal(t, svcImage, c.Image)
	assert.Nil(t, c.Command, "the API runs its image's CMD")
	assert.True(t, c.Essential)
	assert.Equal(t, "1000:1000", c.User, "never root, whatever the image says")
	assert.True(t, c.ReadonlyRootFilesystem)
	assert.Equal(t, []components.MountPoint{{SourceVolume: "scratch", ContainerPath: "/tmp"}},
		c.MountPoints)
	assert.Equal(t, []any{map[string]any{"name": "scratch"}}, td.Inputs["volumes"])
	assert.Equal(t, []components.PortMapping{{ContainerPort: 8000, Protocol: "tcp"}}, c.PortMappings)
	assert.Equal(t, 30, c.StopTimeout)
	assert.True(t, c.LinuxParameters.InitProcessEnabled)
}

func TestServiceInjectsSecretsFromSecretsManagerAndPlainSettingsAsEnvironment(t *testing.T) {
	t.Parallel()

	td := runService(t, apiArgs()).Find("aws:ecs/taskDefinition:TaskDefinition", "sf-api")
	require.NotNil(t, td)
	c := containers(t, td)[0]

	assert.Equal(t, []components.ContainerSecret{
		{Name: "DATABASE_PASSWORD", ValueFrom: dbMasterArn + ":password::"},
		{Name: "DATABASE_USER", ValueFrom: dbMasterArn + ":username::"},
		{Name: "JWT_SECRET_KEY", ValueFrom: jwtArn},
	}, c.Secrets)
	assert.Equal(t, []components.KeyValuePair{
		{Name: "AWS_REGION", Value: "us-east-1"},
		{Name: "ENVIRONMENT", Value: "staging"},
	}, c.Environment)
	assert.Equal(t, components.LogConfiguration{
		LogDriver: "awslogs",
		Options: map[string]string{
			"awslogs-group":         "sf-api",
			"awslogs-region":        "us-east-1",
			"awslogs-stream-prefix": "api",
		},
	}, c.LogConfiguration)
}

func TestServiceLogGroupKeepsLogsForTheStackRetentionUnderTheCustomerKey(t *testing.T) {
	t.Parallel()

	group := only(t, runService(t, apiArgs()), "aws:cloudwatch/logGroup:LogGroup")
	assert.Equal(t, "sf-api", group.Name)
	assert.Equal(t, 30.0, group.Inputs["retentionInDays"])
	assert.Equal(t, svcKeyArn, group.Inputs["kmsKeyId"])
}

// policyStatements returns a role policy's statements as action → resources.
func policyStatements(t *testing.T, r *harness.Result, name string) map[string][]any {
	t.Helper()

	rp := r.Find("aws:iam/rolePolicy:RolePolicy", name)
	require.NotNil(t, rp, "role policy %s", name)
	out := map[string][]any{}
	for _, s := range document(t, rp, "policy")["Statement"].([]any) {
		stmt := s.(map[string]any)
		require.Equal(t, "Allow", stmt["Effect"])
		for _, a := range stmt["Action"].([]any) {
			out[a.(string)] = stmt["Resource"].([]any)
		}
	}

	return out
}

func TestExecutionRoleMayPullLogAndReadExactlyItsSecretsAndKey(t *testing.T) {
	t.Parallel()

	r := runService(t, apiArgs())
	pull := []any{svcRepoArn}
	logs := []any{logGroupArn, logGroupArn + ":log-stream:*"}
	assert.Equal(t, map[string][]any{
		"ecr:GetAuthorizationToken":       {"*"},
		"ecr:BatchCheckLayerAvailability": pull,
		"ecr:BatchGetImage":               pull,
		"ecr:GetDownloadUrlForLayer":      pull,
		"logs:CreateLogStream":            logs,
		"logs:PutLogEvents":               logs,
		// The database's two keys read one secret, named once.
		"secretsmanager:GetSecretValue": {dbMasterArn, jwtArn},
		"kms:Decrypt":                   {svcKeyArn},
	}, policyStatements(t, r, "sf-api-execution"))

	role := r.Find("aws:iam/role:Role", "sf-api-execution")
	require.NotNil(t, role)
	trust := document(t, role, "assumeRolePolicy")["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"Service": "ecs-tasks.amazonaws.com"}, trust["Principal"])
	assert.Equal(t, map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": "123456789012"},
		"ArnLike":      map[string]any{"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"},
	}, trust["Condition"], "only this account's ECS tasks assume the role")
}

func TestExecutionRoleOfAPublicImageGetsNoEcrAccess(t *testing.T) {
	t.Parallel()

	args := beatArgs()
	args.PullRepositoryArns = nil
	args.Secrets = nil
	stmts := policyStatements(t, runService(t, args), "sf-beat-execution")
	assert.Equal(t, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, sortedActions(stmts),
		"no image repository and no secrets: logs only")
}

func sortedActions(stmts map[string][]any) []string {
	out := make([]string, 0, len(stmts))
	for a := range stmts {
		out = append(out, a)
	}
	sort.Strings(out)

	return out
}

func TestTaskRoleGetsExactlyTheGivenPolicy(t *testing.T) {
	t.Parallel()

	r := runService(t, apiArgs())
	rp := r.Find("aws:iam/rolePolicy:RolePolicy", "sf-api-task")
	require.NotNil(t, rp)
	assert.Equal(t, mediaPolicy, rp.Inputs["policy"])
	assert.Equal(t, "sf-api-task", rp.Inputs["role"])
}

func TestTaskRoleWithoutAPolicyMayDoNothing(t *testing.T) {
	t.Parallel()

	r := runService(t, beatArgs())
	assert.NotNil(t, r.Find("aws:iam/role:Role", "sf-beat-task"))
	assert.Nil(t, r.Find("aws:iam/rolePolicy:RolePolicy", "sf-beat-task"))
	assert.Len(t, r.OfType("aws:iam/rolePolicy:RolePolicy"), 1, "the execution role's only")
}

func TestSecretArnStripsTheJsonKeyOfAValueFrom(t *testing.T) {
	t.Parallel()

	cases := map[string]string{
		jwtArn:                                jwtArn,
		dbMasterArn + ":username::":           dbMasterArn,
		dbMasterArn + ":password:AWSCURRENT:": dbMasterArn,
	}
	for valueFrom, want := range cases {
		got, err := components.SecretArn(valueFrom)
		require.NoError(t, err, valueFrom)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{
		"arn:aws:ssm:us-east-1:123456789012:parameter/db-password",
		"sf-jwt",
		"arn:aws:secretsmanager:us-east-1:123456789012",
	} {
		_, err := components.SecretArn(bad)
		assert.ErrorContains(t, err, "is not a Secrets Manager secret ARN", bad)
	}
}

func TestScaledServiceStartsAtItsMinimumAndLeavesTheCountToTheAutoscaler(t *testing.T) {
	t.Parallel()

	r := runService(t, apiArgs())
	svc := only(t, r, "aws:ecs/service:Service")
	assert.Equal(t, 2.0, svc.Inputs["desiredCount"])
	assert.Equal(t, []string{"desiredCount"}, svc.IgnoreChanges)
	assert.Equal(t, 100.0, svc.Inputs["deploymentMinimumHealthyPercent"])
	assert.Equal(t, 200.0, svc.Inputs["deploymentMaximumPercent"])

	target := only(t, r, "aws:appautoscaling/target:Target")
	assert.Equal(t, map[string]any{
		"serviceNamespace":  "ecs",
		"scalableDimension": "ecs:service:DesiredCount",
		"resourceId":        "service/sf/sf-api",
		"minCapacity":       2.0,
		"maxCapacity":       5.0,
	}, target.Inputs)

	policies := map[string]map[string]any{}
	for _, p := range r.OfType("aws:appautoscaling/policy:Policy") {
		assert.Equal(t, "TargetTrackingScaling", p.Inputs["policyType"])
		assert.Equal(t, "service/sf/sf-api", p.Inputs["resourceId"])
		cfg := p.Inputs["targetTrackingScalingPolicyConfiguration"].(map[string]any)
		assert.Equal(t, 60.0, cfg["scaleOutCooldown"])
		assert.Equal(t, 300.0, cfg["scaleInCooldown"])
		metric := cfg["predefinedMetricSpecification"].(map[string]any)
		policies[metric["predefinedMetricType"].(string)] = map[string]any{
			"target": cfg["targetValue"], "label": metric["resourceLabel"],
		}
	}
	assert.Equal(t, map[string]map[string]any{
		"ECSServiceAverageCPUUtilization":    {"target": 60.0, "label": nil},
		"ECSServiceAverageMemoryUtilization": {"target": 70.0, "label": nil},
		"ALBRequestCountPerTarget":           {"target": 1000.0, "label": requestLabel},
	}, policies)
}

func TestScaledServiceLeavesOutMetricsWithoutATarget(t *testing.T) {
	t.Parallel()

	args := apiArgs()
	args.Scaling = components.Scaling{MinCount: 4, MaxCount: 8, CPUPercent: 60}
	r := runService(t, args)
	policy := only(t, r, "aws:appautoscaling/policy:Policy")
	assert.Equal(t, "sf-api-cpu", policy.Name)
}

func TestSingletonRunsExactlyOneTaskAlsoDuringDeployments(t *testing.T) {
	t.Parallel()

	r := runService(t, beatArgs())
	svc := only(t, r, "aws:ecs/service:Service")
	assert.Equal(t, 1.0, svc.Inputs["desiredCount"])
	assert.Equal(t, 100.0, svc.Inputs["deploymentMaximumPercent"], "no second task starts")
	assert.Equal(t, 0.0, svc.Inputs["deploymentMinimumHealthyPercent"],
		"the old task stops before the new one starts")
	assert.Empty(t, svc.IgnoreChanges, "every update resets the count to one")
	assert.Empty(t, r.OfType("aws:appautoscaling/target:Target"))
	assert.Empty(t, r.OfType("aws:appautoscaling/policy:Policy"))
	assert.Nil(t, svc.Inputs["loadBalancers"])

	c := containers(t, only(t, r, "aws:ecs/taskDefinition:TaskDefinition"))[0]
	assert.Equal(t, []string{"celery", "beat"}, c.Command)
	assert.Nil(t, c.PortMappings)
}

func TestServiceRunsPrivatelyAndRollsBackFailedDeployments(t *testing.T) {
	t.Parallel()

	for _, args := range []*components.ServiceArgs{apiArgs(), beatArgs()} {
		svc := only(t, runService(t, args), "aws:ecs/service:Service")
		assert.Equal(t, map[string]any{
			"subnets":        []any{"subnet-a", "subnet-b"},
			"securityGroups": []any{"sg-app"},
			"assignPublicIp": false,
		}, svc.Inputs["networkConfiguration"], svc.Name)
		assert.Equal(t, map[string]any{"enable": true, "rollback": true},
			svc.Inputs["deploymentCircuitBreaker"], svc.Name)
		assert.Equal(t, "FARGATE", svc.Inputs["launchType"])
		assert.Equal(t, "SERVICE", svc.Inputs["propagateTags"])
		assert.Equal(t, false, svc.Inputs["enableExecuteCommand"])
		assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:cluster/sf", svc.Inputs["cluster"])
	}
}

func TestLoadBalancedServiceRegistersItsContainerPortAfterItsDependencies(t *testing.T) {
	t.Parallel()

	r := runComponent(t, func(ctx *pulumi.Context) error {
		listener, err := lb.NewListener(ctx, "sf-https", &lb.ListenerArgs{
			LoadBalancerArn: pulumi.String("arn:aws:elasticloadbalancing:::loadbalancer/app/sf/1"),
			DefaultActions: lb.ListenerDefaultActionArray{&lb.ListenerDefaultActionArgs{
				Type: pulumi.String("forward"),
			}},
		})
		if err != nil {
			return err
		}
		args := apiArgs()
		args.DependsOn = []pulumi.Resource{listener}
		_, err = components.NewService(ctx, "sf-api", args)

		return err
	})
	svc := only(t, r, "aws:ecs/service:Service")
	assert.Equal(t, []any{map[string]any{
		"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:" +
			"targetgroup/sf-api/fedcba9876543210",
		"containerName": "api",
		"containerPort": 8000.0,
	}}, svc.Inputs["loadBalancers"])
	assert.Equal(t, 60.0, svc.Inputs["healthCheckGracePeriodSeconds"])

	listener := only(t, r, "aws:lb/listener:Listener")
	assert.Contains(t, svc.DependsOn, listener.URN, "targets register once traffic can reach them")
	execPolicy := r.Find("aws:iam/rolePolicy:RolePolicy", "sf-api-execution")
	require.NotNil(t, execPolicy)
	assert.Contains(t, svc.DependsOn, execPolicy.URN, "tasks start once they may pull and log")
}

func TestMigrationTaskSharesTheServiceImageSecretsRolesAndLogGroup(t *testing.T) {
	t.Parallel()

	r := runService(t, apiArgs())
	api := r.Find("aws:ecs/taskDefinition:TaskDefinition", "sf-api")
	migrate := r.Find("aws:ecs/taskDefinition:TaskDefinition", "sf-api-migrate")
	require.NotNil(t, api)
	require.NotNil(t, migrate)
	assert.Equal(t, "sf-api-migrate", migrate.Inputs["family"])
	for _, k := range []string{"executionRoleArn", "taskRoleArn", "cpu", "memory", "runtimePlatform"} {
		assert.Equal(t, api.Inputs[k], migrate.Inputs[k], k)
	}

	a, m := containers(t, api)[0], containers(t, migrate)[0]
	assert.Equal(t, []string{"alembic", "upgrade", "head"}, m.Command)
	assert.Equal(t, a.Image, m.Image)
	assert.Equal(t, a.Secrets, m.Secrets)
	assert.Equal(t, a.Environment, m.Environment)
	assert.Equal(t, a.LogConfiguration.Options["awslogs-group"],
		m.LogConfiguration.Options["awslogs-group"])
	assert.Equal(t, "migrate", m.LogConfiguration.Options["awslogs-stream-prefix"])
	assert.Nil(t, m.PortMappings, "a one-off task serves nothing")

	assert.Len(t, r.OfType("aws:ecs/service:Service"), 1, "the migration runs only when CI runs it")
	assert.Nil(t, runService(t, beatArgs()).Find("aws:ecs/taskDefinition:TaskDefinition",
		"sf-beat-migrate"))
}

func TestServiceChildrenBelongToTheComponent(t *testing.T) {
	t.Parallel()

	r := runService(t, apiArgs())
	component := only(t, r, "socialflow:index:Service")
	for _, res := range r.Resources {
		if res != component {
			assert.Equal(t, component.URN, res.Parent, res.Name)
		}
	}
}

func TestDataTierSecretsReadTheDatabaseKeysAndTheWholeRedisURL(t *testing.T) {
	t.Parallel()

	const redisURLArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-redis-url-Q1w2E3"
	args := beatArgs()
	args.Secrets = map[string]pulumi.StringInput{}
	for _, refs := range []map[string]pulumi.StringInput{
		components.DatabaseSecrets(pulumi.String(dbMasterArn)),
		components.RedisSecrets(pulumi.String(redisURLArn)),
	} {
		for env, ref := range refs {
			args.Secrets[env] = ref
		}
	}
	r := runService(t, args)

	c := containers(t, only(t, r, "aws:ecs/taskDefinition:TaskDefinition"))[0]
	assert.Equal(t, []components.ContainerSecret{
		{Name: "CELERY_BROKER_URL", ValueFrom: redisURLArn},
		{Name: "DATABASE_PASSWORD", ValueFrom: dbMasterArn + ":password::"},
		{Name: "DATABASE_USER", ValueFrom: dbMasterArn + ":username::"},
		{Name: "REDIS_URL", ValueFrom: redisURLArn},
	}, c.Secrets)
	assert.Equal(t, []any{dbMasterArn, redisURLArn},
		policyStatements(t, r, "sf-beat-execution")["secretsmanager:GetSecretValue"],
		"the role names each secret once, by its ARN")
}
