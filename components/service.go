package components

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/appautoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecs"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Autoscaling reacts quickly to load and slowly to its absence, so a short
// dip does not drop tasks that the next spike needs again.
const (
	ScaleOutCooldownSeconds = 60
	ScaleInCooldownSeconds  = 300
)

// scratchPath is the one writable directory of the read-only containers.
const scratchPath = "/tmp"

// Scaling is the task count range of a service and the target tracking
// policies that move it; a zero target leaves that metric out.
type Scaling struct {
	MinCount int
	MaxCount int
	// CPUPercent and MemoryPercent are average utilization targets.
	CPUPercent    float64
	MemoryPercent float64
	// RequestsPerTarget is the target of ALB requests per task and minute;
	// RequestsLabel is "<load balancer arnSuffix>/<target group arnSuffix>".
	RequestsPerTarget float64
	RequestsLabel     pulumi.StringInput
}

// ServiceArgs configures [NewService].
type ServiceArgs struct {
	// AccountID and Region scope the roles' trust and the log driver.
	AccountID string
	Region    string
	// ClusterArn and ClusterName locate the ECS cluster.
	ClusterArn  pulumi.StringInput
	ClusterName pulumi.StringInput
	// ContainerName names the container and its log streams ("api").
	ContainerName string
	// Image is the image pinned by digest and its command override.
	Image ImageRef
	// Architecture is the Fargate CPU architecture, X86_64 or ARM64.
	Architecture string
	// CPU units and Memory MiB of one task; a valid Fargate pair.
	CPU    int
	Memory int
	// StopTimeoutSeconds is how long a stopping container may finish its
	// work after SIGTERM (at most 120 on Fargate).
	StopTimeoutSeconds int
	// SubnetIDs and SecurityGroupIDs place the tasks; they never get a
	// public address.
	SubnetIDs        pulumi.StringArrayInput
	SecurityGroupIDs pulumi.StringArrayInput
	// Port is the container port behind TargetGroupArn; both are empty for
	// a service without a load balancer.
	Port           int
	TargetGroupArn pulumi.StringInput
	// HealthCheckGracePeriodSeconds gives new tasks time to start before the
	// load balancer's health checks count.
	HealthCheckGracePeriodSeconds int
	// DependsOn holds what the service needs before it starts, such as the
	// listeners that route to its target group.
	DependsOn []pulumi.Resource
	// Environment holds the plain environment variables.
	Environment map[string]pulumi.StringInput
	// Secrets maps environment variables to the Secrets Manager reference
	// they are read from: a secret ARN, or "<arn>:<json key>::".
	Secrets map[string]pulumi.StringInput
	// KeyArn is the customer key the secrets are encrypted with.
	KeyArn pulumi.StringInput
	// PullRepositoryArns are the ECR repositories the image comes from.
	PullRepositoryArns []pulumi.StringInput
	// TaskPolicy is the IAM policy document of what the application itself
	// may do in AWS (its buckets); nil grants it nothing.
	TaskPolicy pulumi.StringInput
	// LogRetentionDays is the retention of the service's log group.
	LogRetentionDays int
	// Scaling sets the task count range and autoscaling. It is ignored for
	// a singleton.
	Scaling Scaling
	// Singleton runs exactly one task, also during deployments, with no
	// autoscaling.
	Singleton bool
	// HealthCheck, when set, lets ECS replace a container that hangs; the
	// load balancer checks a service that has one.
	HealthCheck *ContainerHealthCheck
	// MigrationCommand, when set, registers a one-off task definition that
	// runs it with the service's image, secrets, roles and log group.
	MigrationCommand []string
}

// Service is one ECS Fargate service of the application: its task
// definition, a log group encrypted with the customer key, an execution role
// that can pull the image, write its own log group and read exactly the
// injected secrets and their key, a task role with exactly the given policy,
// and the service itself in private subnets with the deployment
// circuit breaker rolling back failed deployments. A scaled service starts
// at its minimum and leaves the desired count to its autoscaling target, so
// an update never scales it back; a singleton runs exactly one task and
// stops the old task before starting the new one.
type Service struct {
	pulumi.ResourceState

	ServiceName       pulumi.StringOutput `pulumi:"serviceName"`
	TaskDefinitionArn pulumi.StringOutput `pulumi:"taskDefinitionArn"`
	LogGroupName      pulumi.StringOutput `pulumi:"logGroupName"`
	ExecutionRoleArn  pulumi.StringOutput `pulumi:"executionRoleArn"`
	TaskRoleArn       pulumi.StringOutput `pulumi:"taskRoleArn"`
	// MigrationTaskDefinitionArn is empty without a MigrationCommand.
	MigrationTaskDefinitionArn pulumi.StringOutput `pulumi:"migrationTaskDefinitionArn"`
}

// NewService creates the service and everything it runs with.
func NewService(
	ctx *pulumi.Context, name string, args *ServiceArgs, opts ...pulumi.ResourceOption,
) (*Service, error) {
	c := &Service{}
	if err := ctx.RegisterComponentResource("socialflow:index:Service", name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering service component: %w", err)
	}
	parent := pulumi.Parent(c)

	logGroup, err := cloudwatch.NewLogGroup(ctx, name, &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(args.LogRetentionDays),
		KmsKeyId:        args.KeyArn,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating %s log group: %w", name, err)
	}

	execRole, execPolicy, err := executionRole(ctx, name, logGroup.Arn, args, parent)
	if err != nil {
		return nil, err
	}
	appRole, appPolicy, err := taskRole(ctx, name, args, parent)
	if err != nil {
		return nil, err
	}

	td := taskDefinition{
		ctx: ctx, args: args, parent: parent,
		logGroup: logGroup.Name, execRole: execRole.Arn, taskRole: appRole.Arn,
	}
	taskDef, err := td.register(name, args.ContainerName, args.Image.Command, args.Port,
		args.HealthCheck)
	if err != nil {
		return nil, err
	}

	ready := append([]pulumi.Resource{execPolicy}, args.DependsOn...)
	if appPolicy != nil {
		ready = append(ready, appPolicy)
	}
	svc, err := newEcsService(ctx, name, taskDef.Arn, args, parent, pulumi.DependsOn(ready))
	if err != nil {
		return nil, err
	}

	if !args.Singleton {
		if err := autoscale(ctx, name, svc.Name, args, parent); err != nil {
			return nil, err
		}
	}

	c.MigrationTaskDefinitionArn = pulumi.String("").ToStringOutput()
	if len(args.MigrationCommand) > 0 {
		migration, err := td.register(name+"-migrate", "migrate", args.MigrationCommand, 0, nil)
		if err != nil {
			return nil, err
		}
		c.MigrationTaskDefinitionArn = migration.Arn
	}

	c.ServiceName = svc.Name
	c.TaskDefinitionArn = taskDef.Arn
	c.LogGroupName = logGroup.Name
	c.ExecutionRoleArn = execRole.Arn
	c.TaskRoleArn = appRole.Arn
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"serviceName":                c.ServiceName,
		"taskDefinitionArn":          c.TaskDefinitionArn,
		"logGroupName":               c.LogGroupName,
		"executionRoleArn":           c.ExecutionRoleArn,
		"taskRoleArn":                c.TaskRoleArn,
		"migrationTaskDefinitionArn": c.MigrationTaskDefinitionArn,
	}); err != nil {
		return nil, fmt.Errorf("registering service outputs: %w", err)
	}

	return c, nil
}

// taskAssumeRolePolicy lets ECS tasks of this account assume a role, and
// nobody else.
func taskAssumeRolePolicy(accountID, region string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "ecs-tasks.amazonaws.com"},
			"Action":    "sts:AssumeRole",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": accountID},
				"ArnLike": map[string]any{
					"aws:SourceArn": "arn:aws:ecs:" + region + ":" + accountID + ":*",
				},
			},
		}},
	})

	return string(b)
}

// executionRole is the role ECS uses to start the tasks: pull the image,
// create log streams, read the injected secrets and decrypt them.
func executionRole(
	ctx *pulumi.Context, name string, logGroupArn pulumi.StringOutput, args *ServiceArgs,
	parent pulumi.ResourceOption,
) (*iam.Role, *iam.RolePolicy, error) {
	role, err := iam.NewRole(ctx, name+"-execution", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(taskAssumeRolePolicy(args.AccountID, args.Region)),
		Description:      pulumi.String("Starts the " + args.ContainerName + " tasks."),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating %s execution role: %w", name, err)
	}

	secretRefs := pulumi.StringMap(args.Secrets).ToStringMapOutput()
	repos := pulumi.StringArray(args.PullRepositoryArns).ToStringArrayOutput()
	policy := pulumi.All(logGroupArn, secretRefs, repos, args.KeyArn).ApplyT(
		func(v []any) (string, error) {
			return ExecutionPolicy(v[0].(string), v[1].(map[string]string),
				v[2].([]string), v[3].(string))
		}).(pulumi.StringOutput)
	rp, err := iam.NewRolePolicy(ctx, name+"-execution", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: policy,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("granting %s execution role: %w", name, err)
	}

	return role, rp, nil
}

// ExecutionPolicy is the execution role's policy document: ECR pulls from
// the given repositories (GetAuthorizationToken has no resource-level
// permissions, so it alone takes "*"), log events into the service's log
// group, and GetSecretValue and Decrypt on exactly the referenced secrets
// and their key.
func ExecutionPolicy(
	logGroupArn string, secretRefs map[string]string, repoArns []string, keyArn string,
) (string, error) {
	var stmts []map[string]any
	if len(repoArns) > 0 {
		stmts = append(stmts,
			statement("Allow", []string{"ecr:GetAuthorizationToken"}, []string{"*"}),
			statement("Allow", []string{
				"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
			}, sortedUnique(repoArns)))
	}
	stmts = append(stmts, statement("Allow",
		[]string{"logs:CreateLogStream", "logs:PutLogEvents"},
		[]string{logGroupArn, logGroupArn + ":log-stream:*"}))

	if len(secretRefs) > 0 {
		arns := make([]string, 0, len(secretRefs))
		for env, ref := range secretRefs {
			arn, err := SecretArn(ref)
			if err != nil {
				return "", fmt.Errorf("secret %s: %w", env, err)
			}
			arns = append(arns, arn)
		}
		stmts = append(stmts,
			statement("Allow", []string{"secretsmanager:GetSecretValue"}, sortedUnique(arns)),
			statement("Allow", []string{"kms:Decrypt"}, []string{keyArn}))
	}

	return policyDocument(stmts...)
}

// DatabaseSecrets are the container secrets read from the RDS-managed
// master secret: the user name and password JSON keys of its current
// version, so a rotation reaches tasks when they next start.
func DatabaseSecrets(masterSecretArn pulumi.StringInput) map[string]pulumi.StringInput {
	return map[string]pulumi.StringInput{
		"DATABASE_USER":     pulumi.Sprintf("%s:username::", masterSecretArn),
		"DATABASE_PASSWORD": pulumi.Sprintf("%s:password::", masterSecretArn),
	}
}

// RedisSecrets are the container secrets read from the secret that holds
// the whole rediss:// URL: the application's cache and Celery's broker.
func RedisSecrets(urlSecretArn pulumi.StringInput) map[string]pulumi.StringInput {
	return map[string]pulumi.StringInput{
		"REDIS_URL":         urlSecretArn,
		"CELERY_BROKER_URL": urlSecretArn,
	}
}

// SecretArn is the ARN of the secret a container secret's valueFrom reads:
// the full ARN, or its first seven fields when a JSON key, version stage or
// version follows ("arn:aws:secretsmanager:r:a:secret:name-AbCdEf:key::").
func SecretArn(valueFrom string) (string, error) {
	parts := strings.Split(valueFrom, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "secretsmanager" ||
		parts[5] != "secret" {
		return "", fmt.Errorf("valueFrom %q is not a Secrets Manager secret ARN", valueFrom)
	}

	return strings.Join(parts[:7], ":"), nil
}

// taskRole is the role the application runs as, with exactly the given
// policy; without one it may do nothing in AWS.
func taskRole(
	ctx *pulumi.Context, name string, args *ServiceArgs, parent pulumi.ResourceOption,
) (*iam.Role, *iam.RolePolicy, error) {
	role, err := iam.NewRole(ctx, name+"-task", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(taskAssumeRolePolicy(args.AccountID, args.Region)),
		Description:      pulumi.String("Runs the " + args.ContainerName + " application."),
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("creating %s task role: %w", name, err)
	}
	if args.TaskPolicy == nil {
		return role, nil, nil
	}

	rp, err := iam.NewRolePolicy(ctx, name+"-task", &iam.RolePolicyArgs{
		Role:   role.ID(),
		Policy: args.TaskPolicy,
	}, parent)
	if err != nil {
		return nil, nil, fmt.Errorf("granting %s task role: %w", name, err)
	}

	return role, rp, nil
}

func sortedUnique(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)

	return slices.Compact(out)
}

// taskDefinition registers task definitions that share the service's
// image, roles, secrets, environment and log group.
type taskDefinition struct {
	ctx      *pulumi.Context
	args     *ServiceArgs
	parent   pulumi.ResourceOption
	logGroup pulumi.StringOutput
	execRole pulumi.StringOutput
	taskRole pulumi.StringOutput
}

// ContainerDefinition is the part of an ECS container definition the
// services set.
type ContainerDefinition struct {
	Name                   string                `json:"name"`
	Image                  string                `json:"image"`
	Essential              bool                  `json:"essential"`
	Command                []string              `json:"command,omitempty"`
	User                   string                `json:"user"`
	ReadonlyRootFilesystem bool                  `json:"readonlyRootFilesystem"`
	PortMappings           []PortMapping         `json:"portMappings,omitempty"`
	Environment            []KeyValuePair        `json:"environment"`
	Secrets                []ContainerSecret     `json:"secrets"`
	MountPoints            []MountPoint          `json:"mountPoints"`
	LinuxParameters        LinuxParameters       `json:"linuxParameters"`
	StopTimeout            int                   `json:"stopTimeout,omitempty"`
	HealthCheck            *ContainerHealthCheck `json:"healthCheck,omitempty"`
	LogConfiguration       LogConfiguration      `json:"logConfiguration"`
}

// ContainerHealthCheck is a command ECS runs in the container; a task whose
// container stays unhealthy is replaced. ECS ignores the image's own
// HEALTHCHECK, so a service without a load balancer needs one here.
type ContainerHealthCheck struct {
	Command     []string `json:"command"`
	Interval    int      `json:"interval"`
	Timeout     int      `json:"timeout"`
	Retries     int      `json:"retries"`
	StartPeriod int      `json:"startPeriod"`
}

// PortMapping is a container port.
type PortMapping struct {
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

// KeyValuePair is one plain environment variable.
type KeyValuePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ContainerSecret is one environment variable read from Secrets Manager.
type ContainerSecret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

// MountPoint mounts a task volume into the container.
type MountPoint struct {
	SourceVolume  string `json:"sourceVolume"`
	ContainerPath string `json:"containerPath"`
	ReadOnly      bool   `json:"readOnly"`
}

// LinuxParameters runs an init process as PID 1, which forwards signals
// to the forking servers and reaps their children.
type LinuxParameters struct {
	InitProcessEnabled bool `json:"initProcessEnabled"`
}

// LogConfiguration sends the container's output to CloudWatch Logs.
type LogConfiguration struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

// register creates a Fargate task definition of one container.
func (td *taskDefinition) register(
	family, container string, command []string, port int, health *ContainerHealthCheck,
) (*ecs.TaskDefinition, error) {
	a := td.args
	env := pulumi.StringMap(a.Environment).ToStringMapOutput()
	secrets := pulumi.StringMap(a.Secrets).ToStringMapOutput()
	defs := pulumi.All(a.Image.Image, td.logGroup, env, secrets).ApplyT(
		func(v []any) (string, error) {
			def := ContainerDefinition{
				Name:                   container,
				Image:                  v[0].(string),
				Essential:              true,
				Command:                command,
				User:                   "1000:1000",
				ReadonlyRootFilesystem: true,
				MountPoints: []MountPoint{
					{SourceVolume: "scratch", ContainerPath: scratchPath},
				},
				Environment:     []KeyValuePair{},
				Secrets:         []ContainerSecret{},
				LinuxParameters: LinuxParameters{InitProcessEnabled: true},
				StopTimeout:     a.StopTimeoutSeconds,
				HealthCheck:     health,
				LogConfiguration: LogConfiguration{
					LogDriver: "awslogs",
					Options: map[string]string{
						"awslogs-group":         v[1].(string),
						"awslogs-region":        a.Region,
						"awslogs-stream-prefix": container,
					},
				},
			}
			if port != 0 {
				def.PortMappings = []PortMapping{{ContainerPort: port, Protocol: "tcp"}}
			}
			for _, k := range sortedKeys(v[2].(map[string]string)) {
				def.Environment = append(def.Environment,
					KeyValuePair{Name: k, Value: v[2].(map[string]string)[k]})
			}
			for _, k := range sortedKeys(v[3].(map[string]string)) {
				def.Secrets = append(def.Secrets,
					ContainerSecret{Name: k, ValueFrom: v[3].(map[string]string)[k]})
			}
			b, err := json.Marshal([]ContainerDefinition{def})
			if err != nil {
				return "", fmt.Errorf("encoding %s container definition: %w", family, err)
			}

			return string(b), nil
		}).(pulumi.StringOutput)

	// Old revisions stay registered, so the circuit breaker can roll back to
	// them and the previous release's migration task stays runnable.
	taskDef, err := ecs.NewTaskDefinition(td.ctx, family, &ecs.TaskDefinitionArgs{
		Family:                  pulumi.String(family),
		Cpu:                     pulumi.String(strconv.Itoa(a.CPU)),
		Memory:                  pulumi.String(strconv.Itoa(a.Memory)),
		NetworkMode:             pulumi.String("awsvpc"),
		RequiresCompatibilities: pulumi.StringArray{pulumi.String("FARGATE")},
		RuntimePlatform: &ecs.TaskDefinitionRuntimePlatformArgs{
			OperatingSystemFamily: pulumi.String("LINUX"),
			CpuArchitecture:       pulumi.String(a.Architecture),
		},
		ExecutionRoleArn:     td.execRole,
		TaskRoleArn:          td.taskRole,
		ContainerDefinitions: defs,
		Volumes: ecs.TaskDefinitionVolumeArray{
			&ecs.TaskDefinitionVolumeArgs{Name: pulumi.String("scratch")},
		},
		SkipDestroy: pulumi.Bool(true),
	}, td.parent)
	if err != nil {
		return nil, fmt.Errorf("registering %s task definition: %w", family, err)
	}

	return taskDef, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	return keys
}

// newEcsService creates the ECS service. Beat-style singletons never run two
// tasks: a deployment stops the old task before it starts the new one, and
// every update resets the count to one. Scaled services start at their
// minimum and leave the count to the autoscaler afterwards.
func newEcsService(
	ctx *pulumi.Context, name string, taskDefArn pulumi.StringOutput, args *ServiceArgs,
	opts ...pulumi.ResourceOption,
) (*ecs.Service, error) {
	svcArgs := &ecs.ServiceArgs{
		Cluster:        args.ClusterArn,
		TaskDefinition: taskDefArn,
		LaunchType:     pulumi.String("FARGATE"),
		NetworkConfiguration: &ecs.ServiceNetworkConfigurationArgs{
			Subnets:        args.SubnetIDs,
			SecurityGroups: args.SecurityGroupIDs,
			AssignPublicIp: pulumi.Bool(false),
		},
		DeploymentCircuitBreaker: &ecs.ServiceDeploymentCircuitBreakerArgs{
			Enable:   pulumi.Bool(true),
			Rollback: pulumi.Bool(true),
		},
		DesiredCount:                    pulumi.Int(args.Scaling.MinCount),
		DeploymentMinimumHealthyPercent: pulumi.Int(100),
		DeploymentMaximumPercent:        pulumi.Int(200),
		PropagateTags:                   pulumi.String("SERVICE"),
		EnableEcsManagedTags:            pulumi.Bool(true),
		// ECS Exec would need ssmmessages:* on "*" in the task role; tasks
		// are debugged through their logs and one-off tasks instead.
		EnableExecuteCommand: pulumi.Bool(false),
		WaitForSteadyState:   pulumi.Bool(true),
	}
	if args.TargetGroupArn != nil {
		svcArgs.LoadBalancers = ecs.ServiceLoadBalancerArray{&ecs.ServiceLoadBalancerArgs{
			TargetGroupArn: args.TargetGroupArn,
			ContainerName:  pulumi.String(args.ContainerName),
			ContainerPort:  pulumi.Int(args.Port),
		}}
		svcArgs.HealthCheckGracePeriodSeconds = pulumi.Int(args.HealthCheckGracePeriodSeconds)
	}
	if args.Singleton {
		svcArgs.DesiredCount = pulumi.Int(1)
		svcArgs.DeploymentMinimumHealthyPercent = pulumi.Int(0)
		svcArgs.DeploymentMaximumPercent = pulumi.Int(100)
	} else {
		opts = append(opts, pulumi.IgnoreChanges([]string{"desiredCount"}))
	}

	svc, err := ecs.NewService(ctx, name, svcArgs, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating %s ecs service: %w", name, err)
	}

	return svc, nil
}

type (
	targetTrackingArgs   = appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs
	predefinedMetricArgs = appautoscaling.
				PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
)

// autoscale registers the service's task count range and its target
// tracking policies.
func autoscale(
	ctx *pulumi.Context, name string, serviceName pulumi.StringOutput, args *ServiceArgs,
	parent pulumi.ResourceOption,
) error {
	s := args.Scaling
	target, err := appautoscaling.NewTarget(ctx, name, &appautoscaling.TargetArgs{
		ServiceNamespace:  pulumi.String("ecs"),
		ScalableDimension: pulumi.String("ecs:service:DesiredCount"),
		ResourceId:        pulumi.Sprintf("service/%s/%s", args.ClusterName, serviceName),
		MinCapacity:       pulumi.Int(s.MinCount),
		MaxCapacity:       pulumi.Int(s.MaxCount),
	}, parent)
	if err != nil {
		return fmt.Errorf("creating %s scaling target: %w", name, err)
	}

	policies := []struct {
		suffix, metric string
		target         float64
		label          pulumi.StringInput
	}{
		{"cpu", "ECSServiceAverageCPUUtilization", s.CPUPercent, nil},
		{"memory", "ECSServiceAverageMemoryUtilization", s.MemoryPercent, nil},
		{"requests", "ALBRequestCountPerTarget", s.RequestsPerTarget, s.RequestsLabel},
	}
	for _, p := range policies {
		if p.target == 0 {
			continue
		}
		metric := &predefinedMetricArgs{PredefinedMetricType: pulumi.String(p.metric)}
		if p.label != nil {
			metric.ResourceLabel = p.label
		}
		if _, err := appautoscaling.NewPolicy(ctx, name+"-"+p.suffix, &appautoscaling.PolicyArgs{
			PolicyType:        pulumi.String("TargetTrackingScaling"),
			ServiceNamespace:  target.ServiceNamespace,
			ScalableDimension: target.ScalableDimension,
			ResourceId:        target.ResourceId,
			TargetTrackingScalingPolicyConfiguration: &targetTrackingArgs{
				PredefinedMetricSpecification: metric,
				TargetValue:                   pulumi.Float64(p.target),
				ScaleOutCooldown:              pulumi.Int(ScaleOutCooldownSeconds),
				ScaleInCooldown:               pulumi.Int(ScaleInCooldownSeconds),
			},
		}, parent); err != nil {
			return fmt.Errorf("creating %s %s scaling policy: %w", name, p.suffix, err)
		}
	}

	return nil
}
