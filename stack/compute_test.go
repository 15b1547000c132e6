package stack_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
	"github.com/socialflow/socialflow-infra/internal/offline"
)

func decode(t *testing.T, res *harness.Resource, key string, into any) {
	t.Helper()

	s, ok := res.Inputs[key].(string)
	require.True(t, ok, "%s.%s is a JSON string", res.Name, key)
	require.NoError(t, json.Unmarshal([]byte(s), into))
}

func container(t *testing.T, r *harness.Result, family string) components.ContainerDefinition {
	t.Helper()

	var defs []components.ContainerDefinition
	decode(t, find(t, r, taskDefType, family), "containerDefinitions", &defs)
	require.Len(t, defs, 1)

	return defs[0]
}

const (
	serviceType = "aws:ecs/service:Service"
	taskDefType = "aws:ecs/taskDefinition:TaskDefinition"
	targetType  = "aws:appautoscaling/target:Target"
	policyType  = "aws:appautoscaling/policy:Policy"
	listenType  = "aws:lb/listener:Listener"
)

// taskSize is one row of the environment matrix for one service.
type taskSize struct{ cpu, memory, min, max int }

var serviceMatrix = map[string]map[string]taskSize{
	"dev": {
		"api": {512, 1024, 1, 1}, "worker": {512, 1024, 1, 1}, "beat": {256, 512, 1, 1},
	},
	"staging": {
		"api": {1024, 2048, 2, 5}, "worker": {1024, 2048, 2, 4}, "beat": {256, 512, 1, 1},
	},
	"prod": {
		"api": {2048, 4096, 3, 10}, "worker": {1024, 2048, 4, 8}, "beat": {256, 512, 1, 1},
	},
}

func TestStacksSizeTheServicesPerTheEnvironmentMatrix(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()

			r := preview(t, stack)
			for role, want := range serviceMatrix[stack] {
				name := "socialflow-" + stack + "-" + role
				td := find(t, r, taskDefType, name)
				assert.Equal(t, map[string]any{"cpu": itoa(want.cpu), "memory": itoa(want.memory)},
					map[string]any{"cpu": td.Inputs["cpu"], "memory": td.Inputs["memory"]}, name)
				assert.Equal(t, float64(want.min), find(t, r, serviceType, name).Inputs["desiredCount"],
					"%s starts at its minimum", name)
				if role == "beat" {
					continue
				}
				target := find(t, r, targetType, name)
				assert.Equal(t, float64(want.min), target.Inputs["minCapacity"], name)
				assert.Equal(t, float64(want.max), target.Inputs["maxCapacity"], name)
			}
			assert.Len(t, r.OfType(serviceType), 3)
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)

	return string(b)
}

func TestStacksRunBeatAsASingletonAlsoDuringDeploys(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		beat := find(t, r, serviceType, "socialflow-"+stack+"-beat")
		assert.Equal(t, 1.0, beat.Inputs["desiredCount"], stack)
		assert.Equal(t, 100.0, beat.Inputs["deploymentMaximumPercent"], stack)
		assert.Equal(t, 0.0, beat.Inputs["deploymentMinimumHealthyPercent"], stack)
		assert.Empty(t, beat.IgnoreChanges, "%s: each update restores the single task", stack)
		for _, typ := range []string{targetType, policyType} {
			for _, res := range r.OfType(typ) {
				assert.NotContains(t, res.Name, "beat", "%s: beat is never scaled", stack)
			}
		}
		c := container(t, r, "socialflow-"+stack+"-beat")
		assert.Nil(t, c.PortMappings, "%s: beat serves nothing", stack)
	}
}

func TestStacksLeaveTheApiAndWorkerCountsToTheirAutoscalers(t *testing.T) {
	t.Parallel()

	label := regexp.MustCompile(`^app/socialflow-[a-z]+/[0-9a-f]{16}/` +
		`targetgroup/socialflow-[a-z]+-api/[0-9a-f]{16}$`)
	for _, stack := range stacks {
		r := preview(t, stack)
		prefix := "socialflow-" + stack + "-"
		for _, role := range []string{"api", "worker"} {
			svc := find(t, r, serviceType, prefix+role)
			assert.Equal(t, []string{"desiredCount"}, svc.IgnoreChanges, svc.Name)
			target := find(t, r, targetType, prefix+role)
			assert.Equal(t, "service/"+prefix[:len(prefix)-1]+"/"+prefix+role,
				target.Inputs["resourceId"], "%s scales its own service", svc.Name)
		}

		metrics := map[string]string{}
		for _, p := range r.OfType(policyType) {
			cfg := p.Inputs["targetTrackingScalingPolicyConfiguration"].(map[string]any)
			spec := cfg["predefinedMetricSpecification"].(map[string]any)
			metrics[p.Name] = spec["predefinedMetricType"].(string)
			if l, ok := spec["resourceLabel"]; ok {
				assert.Regexp(t, label, l, p.Name)
			}
		}
		assert.Equal(t, map[string]string{
			prefix + "api-cpu":      "ECSServiceAverageCPUUtilization",
			prefix + "api-memory":   "ECSServiceAverageMemoryUtilization",
			prefix + "api-requests": "ALBRequestCountPerTarget",
			prefix + "worker-cpu":   "ECSServiceAverageCPUUtilization",
		}, metrics, stack)
	}
}

func TestStacksRunEveryContainerByDigestFromTheStackRepository(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		repo := r.Outputs["ecrRepositoryUrl"].(string)
		digest := regexp.MustCompile("^" + regexp.QuoteMeta(repo) + "@sha256:[0-9a-f]{64}$")
		prefix := "socialflow-" + stack + "-"

		images := map[string]string{}
		for _, role := range []string{"api", "worker", "beat", "api-migrate"} {
			c := container(t, r, prefix+role)
			assert.Regexp(t, digest, c.Image, "%s runs an image pinned by digest", prefix+role)
			images[role] = c.Image
		}
		assert.Equal(t, images["api"], images["api-migrate"], "migrations run the API's image")
		assert.NotEqual(t, images["api"], images["worker"], "the worker runs its own target")
		assert.NotEqual(t, images["worker"], images["beat"], "beat runs its own target")

		builds := map[string]string{}
		for _, img := range r.OfType("docker:index/image:Image") {
			build := img.Inputs["build"].(map[string]any)
			builds[build["target"].(string)] = build["platform"].(string)
			assert.True(t, strings.HasPrefix(img.Inputs["imageName"].(string), repo+":"))
		}
		assert.Equal(t, map[string]string{
			"runtime": "linux/amd64", "worker": "linux/amd64", "beat": "linux/amd64",
		}, builds, "%s builds for the X86_64 tasks", stack)
		for _, td := range r.OfType(taskDefType) {
			assert.Equal(t, "X86_64",
				td.Inputs["runtimePlatform"].(map[string]any)["cpuArchitecture"], td.Name)
		}
	}
}

func TestStacksTurnContainerInsightsOnWithDetailedMonitoring(t *testing.T) {
	t.Parallel()

	want := map[string]string{"dev": "disabled", "staging": "enabled", "prod": "enabled"}
	for _, stack := range stacks {
		cluster := find(t, preview(t, stack), "aws:ecs/cluster:Cluster", "socialflow-"+stack)
		assert.Equal(t, []any{map[string]any{"name": "containerInsights", "value": want[stack]}},
			cluster.Inputs["settings"], stack)
	}
}

func TestStacksServeHttpsWhereACertificateIsConfigured(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		rules := map[string]string{}
		for _, l := range r.OfType(listenType) {
			action := l.Inputs["defaultActions"].([]any)[0].(map[string]any)
			rule := l.Inputs["protocol"].(string) + " " + action["type"].(string)
			if p, ok := l.Inputs["sslPolicy"]; ok {
				rule += " " + p.(string)
			}
			if redirect, ok := action["redirect"].(map[string]any); ok {
				rule += " to " + redirect["protocol"].(string) + ":" + redirect["port"].(string) +
					" " + redirect["statusCode"].(string)
			}
			rules[itoa(int(l.Inputs["port"].(float64)))] = rule
		}

		if stack == "dev" {
			assert.Equal(t, map[string]string{"80": "HTTP forward"}, rules, stack)
			assert.Regexp(t, "^http://", r.Outputs["apiUrl"])

			continue
		}
		assert.Equal(t, map[string]string{
			"443": "HTTPS forward ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
			"80":  "HTTP redirect to HTTPS:443 HTTP_301",
		}, rules, stack)
		assert.Regexp(t, "^https://", r.Outputs["apiUrl"])
	}
}

func TestStacksStartTheApiOnlyOnceItsListenersExist(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		api := find(t, r, serviceType, "socialflow-"+stack+"-api")
		ls := r.OfType(listenType)
		require.NotEmpty(t, ls)
		for _, l := range ls {
			assert.Contains(t, api.DependsOn, l.URN, "%s waits for %s", api.Name, l.Name)
		}
	}
}

func TestStacksProtectTheLoadBalancerInProdOnly(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		alb := find(t, preview(t, stack), "aws:lb/loadBalancer:LoadBalancer", "socialflow-"+stack)
		assert.Equal(t, stack == "prod", alb.Inputs["enableDeletionProtection"], stack)
		assert.Equal(t, true, alb.Inputs["dropInvalidHeaderFields"], stack)
	}
}

func TestStacksNameLoadBalancerResourcesWithinTheAwsLimit(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		for _, typ := range []string{
			"aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup",
		} {
			for _, res := range r.OfType(typ) {
				assert.LessOrEqual(t, len(res.Name)+8, 32,
					"%s plus Pulumi's suffix fits AWS's 32 characters", res.Name)
			}
		}
	}
}

// policyList is an IAM policy element: one string or a list of them.
type policyList []string

func (l *policyList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}

		return nil
	}

	return json.Unmarshal(b, (*[]string)(l))
}

// statements returns a role policy's statements as action → resources.
func statements(t *testing.T, r *harness.Result, name string) map[string][]string {
	t.Helper()

	var doc struct {
		Statement []struct {
			Effect   string
			Action   policyList
			Resource policyList
		}
	}
	decode(t, find(t, r, "aws:iam/rolePolicy:RolePolicy", name), "policy", &doc)
	out := map[string][]string{}
	for _, s := range doc.Statement {
		require.Equal(t, "Allow", s.Effect)
		for _, a := range s.Action {
			out[a] = s.Resource
		}
	}

	return out
}

func TestStacksExecutionRolesReadExactlyTheInjectedSecretsAndTheirKey(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		secretArns := []string{
			r.Outputs["postgresSecretArn"].(string), r.Outputs["redisUrlSecretArn"].(string),
		}
		for _, v := range r.Outputs["secretArns"].(map[string]string) {
			secretArns = append(secretArns, v)
		}
		sort.Strings(secretArns)
		repoArn := "arn:aws:ecr:us-east-1:123456789012:repository/socialflow-" + stack

		for _, role := range []string{"api", "worker", "beat"} {
			name := "socialflow-" + stack + "-" + role
			logs := "arn:aws:logs:us-east-1:123456789012:log-group:" + name
			assert.Equal(t, map[string][]string{
				"ecr:GetAuthorizationToken":       {"*"},
				"ecr:BatchCheckLayerAvailability": {repoArn},
				"ecr:BatchGetImage":               {repoArn},
				"ecr:GetDownloadUrlForLayer":      {repoArn},
				"logs:CreateLogStream":            {logs, logs + ":log-stream:*"},
				"logs:PutLogEvents":               {logs, logs + ":log-stream:*"},
				"secretsmanager:GetSecretValue":   secretArns,
				"kms:Decrypt":                     {r.Outputs["kmsKeyArn"].(string)},
			}, statements(t, r, name+"-execution"), name)

			var injected []string
			for _, s := range container(t, r, name).Secrets {
				arn, err := components.SecretArn(s.ValueFrom)
				require.NoError(t, err)
				injected = append(injected, arn)
			}
			slices.Sort(injected)
			assert.Equal(t, secretArns, slices.Compact(injected), "%s reads what it injects", name)
		}
	}
}

func TestStacksInjectEverySecretUnderItsVariable(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		arns := r.Outputs["secretArns"].(map[string]string)
		db := r.Outputs["postgresSecretArn"].(string)
		redisURL := r.Outputs["redisUrlSecretArn"].(string)
		want := map[string]string{
			"DATABASE_USER":     db + ":username::",
			"DATABASE_PASSWORD": db + ":password::",
			"REDIS_URL":         redisURL,
			"CELERY_BROKER_URL": redisURL,
		}
		for _, spec := range components.AppSecrets {
			want[spec.Env] = arns[spec.Key]
		}
		for _, family := range []string{"api", "worker", "beat", "api-migrate"} {
			c := container(t, r, "socialflow-"+stack+"-"+family)
			got := map[string]string{}
			for _, s := range c.Secrets {
				got[s.Name] = s.ValueFrom
			}
			assert.Equal(t, want, got, c.Name)
			env := map[string]string{}
			for _, e := range c.Environment {
				env[e.Name] = e.Value
			}
			assert.Equal(t, stack, env["ENVIRONMENT"])
			assert.Equal(t, "us-east-1", env["AWS_REGION"])
			assert.Equal(t, r.Outputs["postgresEndpoint"], env["DATABASE_HOST"])
			assert.Equal(t, "5432", env["DATABASE_PORT"])
			assert.Equal(t, "socialflow", env["DATABASE_NAME"])
		}
	}
}

func TestStacksLetTheApiAndWorkersUseExactlyTheMediaBuckets(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		prefix := "socialflow-" + stack + "-"
		videos := find(t, r, "aws:s3/bucketV2:BucketV2", prefix+"videos")
		uploads := find(t, r, "aws:s3/bucketV2:BucketV2", prefix+"uploads")
		buckets := []string{"arn:aws:s3:::" + videos.Name, "arn:aws:s3:::" + uploads.Name}
		objects := []string{buckets[0] + "/*", buckets[1] + "/*"}
		key := r.Outputs["kmsKeyArn"].(string)

		for _, role := range []string{"api", "worker"} {
			stmts := statements(t, r, prefix+role+"-task")
			for _, action := range []string{"s3:ListBucket", "s3:GetBucketLocation"} {
				assert.ElementsMatch(t, buckets, stmts[action], "%s %s", role, action)
			}
			for _, action := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} {
				assert.ElementsMatch(t, objects, stmts[action], "%s %s", role, action)
			}
			assert.Equal(t, []string{key}, stmts["kms:GenerateDataKey"],
				"%s encrypts uploads with the customer key", role)
			for action, resources := range stmts {
				assert.NotContains(t, resources, "*", "%s: %s", role, action)
			}
		}
		assert.Nil(t, r.Find("aws:iam/rolePolicy:RolePolicy", prefix+"beat-task"),
			"beat needs no AWS access")

		c := container(t, r, prefix+"worker")
		env := map[string]string{}
		for _, e := range c.Environment {
			env[e.Name] = e.Value
		}
		assert.Equal(t, r.Outputs["videosBucket"], env["VIDEOS_BUCKET"])
		assert.Equal(t, r.Outputs["uploadsBucket"], env["UPLOADS_BUCKET"])
		assert.Equal(t, r.Outputs["cdnDomain"], env["CDN_DOMAIN"])
	}
}

func TestStacksSendLoadBalancerAccessLogsToTheLogBucket(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		alb := find(t, r, "aws:lb/loadBalancer:LoadBalancer", "socialflow-"+stack)
		assert.Equal(t, map[string]any{
			"bucket": r.Outputs["logsBucket"], "prefix": "alb", "enabled": true,
		}, alb.Inputs["accessLogs"], stack)
		policy := find(t, r, "aws:s3/bucketPolicy:BucketPolicy", "socialflow-"+stack+"-logs-policy")
		assert.Contains(t, alb.DependsOn, policy.URN, "%s logs once the bucket lets them in", stack)
	}
}

func TestStacksPlaceEveryTaskInPrivateSubnetsBehindTheAppGroup(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		app := r.Outputs["securityGroupIds"].(map[string]string)["app"]
		for _, svc := range r.OfType(serviceType) {
			assert.Equal(t, map[string]any{
				"subnets":        anys(r.Outputs["privateSubnetIds"].([]string)),
				"securityGroups": []any{app},
				"assignPublicIp": false,
			}, svc.Inputs["networkConfiguration"], svc.Name)
			assert.Equal(t, map[string]any{"enable": true, "rollback": true},
				svc.Inputs["deploymentCircuitBreaker"], svc.Name)
		}
		alb := find(t, r, "aws:lb/loadBalancer:LoadBalancer", "socialflow-"+stack)
		assert.Equal(t, anys(r.Outputs["publicSubnetIds"].([]string)), alb.Inputs["subnets"])
	}
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}

	return out
}

func TestStacksExportWhatCiNeedsToDeployAndMigrate(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		prefix := "socialflow-" + stack
		out := r.Outputs
		assert.Equal(t, prefix, out["clusterName"])
		assert.Equal(t, prefix+"-api", out["apiServiceName"])
		assert.Equal(t, prefix+"-worker", out["workerServiceName"])
		assert.Equal(t, prefix+"-beat", out["beatServiceName"])
		assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/"+prefix, out["ecrRepositoryUrl"])
		dns, ok := out["albDnsName"].(string)
		require.True(t, ok)
		assert.True(t, strings.HasSuffix(out["apiUrl"].(string), "://"+dns))
		assert.Equal(t, "arn:aws:ecs:us-east-1:123456789012:task-definition/"+prefix+"-api-migrate:1",
			out["migrationTaskDefinitionArn"])

		migrate := container(t, r, prefix+"-api-migrate")
		assert.Equal(t, []string{"alembic", "upgrade", "head"}, migrate.Command)
		assert.Equal(t, prefix+"-api", migrate.LogConfiguration.Options["awslogs-group"])
		assert.Len(t, r.OfType(serviceType), 3, "the migration is no service")
	}
}

func TestPrebuiltStackBuildsNothingAndRunsThePromotedDigest(t *testing.T) {
	t.Parallel()

	const image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/socialflow-staging@sha256:" +
		"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	project, cfg, err := offline.LoadConfig("..", "prod")
	require.NoError(t, err)
	cfg.Image.Prebuilt = image
	r, err := offline.RunConfig(project, "prod", cfg)
	require.NoError(t, err)

	assert.Empty(t, r.OfType("docker:index/image:Image"))
	commands := map[string][]string{}
	for _, role := range []string{"api", "worker", "beat", "api-migrate"} {
		c := container(t, r, "socialflow-prod-"+role)
		assert.Equal(t, image, c.Image, role)
		commands[role] = c.Command
	}
	assert.Equal(t, map[string][]string{
		"api":         nil,
		"worker":      components.PrebuiltCommands["worker"],
		"beat":        components.PrebuiltCommands["beat"],
		"api-migrate": {"alembic", "upgrade", "head"},
	}, commands)

	promoted := "arn:aws:ecr:us-east-1:111122223333:repository/socialflow-staging"
	stmts := statements(t, r, "socialflow-prod-api-execution")
	assert.Equal(t, []string{promoted}, stmts["ecr:BatchGetImage"],
		"tasks pull from the repository the image was promoted from")
	assert.NotNil(t, r.Find("aws:ecr/repository:Repository", "socialflow-prod"),
		"the stack keeps its own repository for CI")
}

func TestStacksLetEcsReplaceAWorkerThatStopsAnsweringPings(t *testing.T) {
	t.Parallel()

	dockerfile, err := os.ReadFile("../docker/Dockerfile")
	require.NoError(t, err)
	for _, stack := range stacks {
		r := preview(t, stack)
		worker := container(t, r, "socialflow-"+stack+"-worker")
		require.NotNil(t, worker.HealthCheck, "%s: ECS ignores the image's HEALTHCHECK", stack)
		hc := worker.HealthCheck
		require.Len(t, hc.Command, 2)
		assert.Equal(t, "CMD-SHELL", hc.Command[0])
		assert.Contains(t, string(dockerfile), "CMD "+hc.Command[1],
			"%s: the same check as the image's worker stage", stack)
		assert.Equal(t, 30, hc.Interval, stack)
		assert.Less(t, hc.Timeout, hc.Interval, stack)
		assert.Positive(t, hc.StartPeriod, stack)

		// The load balancer checks the API; the migration task runs to its end.
		assert.Nil(t, container(t, r, "socialflow-"+stack+"-api").HealthCheck, stack)
		assert.Nil(t, container(t, r, "socialflow-"+stack+"-api-migrate").HealthCheck, stack)
	}
}

func TestStacksScratchVolumeIsDeclaredInTheImageSoTheAppUserCanWriteIt(t *testing.T) {
	t.Parallel()

	dockerfile, err := os.ReadFile("../docker/Dockerfile")
	require.NoError(t, err)
	for _, stack := range stacks {
		r := preview(t, stack)
		for _, role := range []string{"api", "worker", "beat", "api-migrate"} {
			c := container(t, r, "socialflow-"+stack+"-"+role)
			require.True(t, c.ReadonlyRootFilesystem, role)
			require.Len(t, c.MountPoints, 1, role)
			// Fargate creates the volume owned by root with mode 0755; only a
			// VOLUME at the same path copies the image's permissions into it.
			path := c.MountPoints[0].ContainerPath
			assert.Contains(t, string(dockerfile), `VOLUME ["`+path+`"]`, "%s %s", stack, role)
			assert.Contains(t, string(dockerfile), "RUN chmod 1777 "+path, "%s %s", stack, role)
		}
	}
}
