package stack

import (
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/config"
)

// Autoscaling targets sit below the default alarm thresholds (CPU 75 %,
// memory 80 %), so the services grow before anyone is paged.
const (
	apiCPUTarget         = 60
	apiMemoryTarget      = 70
	workerCPUTarget      = 60
	apiRequestsPerTarget = 1000 // per task and minute: 4 uvicorn workers at ~4 req/s each
)

// Stop timeouts: the API drains with its target group; a Celery worker gets
// Fargate's maximum to finish the tasks it holds.
const (
	apiStopTimeout    = 30
	workerStopTimeout = 120
	beatStopTimeout   = 30
	apiStartupGrace   = 60
)

// workerHealthCheck asks the task's own Celery worker to answer a ping, as
// the image's HEALTHCHECK does: ECS replaces a worker that stops answering.
var workerHealthCheck = &components.ContainerHealthCheck{
	Command: []string{"CMD-SHELL",
		`celery --app app.celery_app inspect ping --destination "celery@${HOSTNAME}" --timeout 10`},
	Interval:    30,
	Timeout:     15,
	Retries:     3,
	StartPeriod: 60,
}

// migrationCommand is what the one-off migration task runs.
var migrationCommand = []string{"alembic", "upgrade", "head"}

// computeInputs is what the compute tier takes from the rest of the stack.
type computeInputs struct {
	accountID string
	keyArn    pulumi.StringOutput
	network   *components.Network
	groups    *components.SecurityGroups
	secrets   *components.Secrets
	// storage holds the media buckets, their access policy and the log
	// bucket; cdnDomain serves the media.
	storage   *components.Storage
	cdnDomain pulumi.StringOutput
	// postgres and redis are the data tier: the containers get their
	// addresses as plain settings and their credentials as secrets.
	postgres *components.Postgres
	redis    *components.Redis
}

// computeTier is what the compute tier built: its stack outputs, and what
// the alarms watch.
type computeTier struct {
	outputs  pulumi.Map
	cluster  *components.Cluster
	alb      *components.LoadBalancer
	services map[string]*components.Service
}

// newCompute registers the images, the cluster, the load balancer and the
// API, worker and beat services.
func newCompute(ctx *pulumi.Context, cfg *config.Config, in computeInputs) (*computeTier, error) {
	name := cfg.Name()

	images, err := components.NewImages(ctx, name, &components.ImagesArgs{
		KeyArn:         in.keyArn,
		Protect:        cfg.Protect,
		Context:        cfg.Image.Context,
		Dockerfile:     cfg.Image.Dockerfile,
		ContextDir:     filepath.Join(cfg.ProjectDir, cfg.Image.Context),
		DockerfilePath: filepath.Join(cfg.ProjectDir, cfg.Image.Dockerfile),
		Architecture:   cfg.Image.Architecture,
		Prebuilt:       cfg.Image.Prebuilt,
	})
	if err != nil {
		return nil, err
	}

	cluster, err := components.NewCluster(ctx, name, &components.ClusterArgs{
		ContainerInsights: cfg.DetailedMonitoring,
		LogRetentionDays:  cfg.LogRetentionDays,
		KeyArn:            in.keyArn,
	})
	if err != nil {
		return nil, err
	}

	alb, err := components.NewLoadBalancer(ctx, name, &components.LoadBalancerArgs{
		VpcID:              in.network.VpcID,
		SubnetIDs:          in.network.PublicSubnetIDs,
		SecurityGroupID:    in.groups.AlbID,
		CertificateArn:     cfg.LoadBalancer.CertificateArn,
		IdleTimeoutSeconds: cfg.LoadBalancer.IdleTimeoutSeconds,
		DeletionProtection: cfg.IsProd(),
		AccessLogBucket:    in.storage.Logs.Name,
		AccessLogPrefix:    components.AlbLogPrefix,
		AccessLogPolicy:    in.storage.LogsPolicy,
		TargetPort:         components.AppPort,
		HealthCheckPath:    cfg.API.HealthCheckPath,
	})
	if err != nil {
		return nil, err
	}

	secretRefs := map[string]pulumi.StringInput{}
	for _, spec := range components.AppSecrets {
		secretRefs[spec.Env] = in.secrets.Arns[spec.Key]
	}
	dataSecrets := []map[string]pulumi.StringInput{
		components.DatabaseSecrets(in.postgres.MasterSecretArn),
		components.RedisSecrets(in.redis.URLSecretArn),
	}
	for _, refs := range dataSecrets {
		for env, ref := range refs {
			secretRefs[env] = ref
		}
	}
	cdnDomain := pulumi.StringInput(in.cdnDomain)
	if cfg.CDN.Domain != "" {
		cdnDomain = pulumi.String(cfg.CDN.Domain)
	}
	env := map[string]pulumi.StringInput{
		"ENVIRONMENT":    pulumi.String(cfg.Environment),
		"AWS_REGION":     pulumi.String(cfg.Region),
		"VIDEOS_BUCKET":  in.storage.Videos.Name,
		"UPLOADS_BUCKET": in.storage.Uploads.Name,
		"CDN_DOMAIN":     cdnDomain,
		"DATABASE_HOST":  in.postgres.Address,
		"DATABASE_PORT":  pulumi.Sprintf("%d", in.postgres.Port),
		"DATABASE_NAME":  in.postgres.DatabaseName,
	}

	service := func(role string, task config.Task, extra components.ServiceArgs) (
		*components.Service, error,
	) {
		args := extra
		args.AccountID = in.accountID
		args.Region = cfg.Region
		args.ClusterArn = cluster.Arn
		args.ClusterName = cluster.Name
		args.ContainerName = role
		args.Architecture = cfg.Image.Architecture
		args.CPU = task.CPU
		args.Memory = task.Memory
		args.SubnetIDs = in.network.PrivateSubnetIDs
		args.SecurityGroupIDs = pulumi.StringArray{in.groups.AppID}
		args.Environment = env
		args.Secrets = secretRefs
		args.KeyArn = in.keyArn
		args.PullRepositoryArns = images.PullRepositoryArns
		args.LogRetentionDays = cfg.LogRetentionDays
		args.Scaling.MinCount = task.MinCount
		args.Scaling.MaxCount = task.MaxCount

		return components.NewService(ctx, name+"-"+role, &args)
	}

	api, err := service("api", cfg.API, components.ServiceArgs{
		Image:                         images.Refs[components.TargetAPI],
		StopTimeoutSeconds:            apiStopTimeout,
		Port:                          components.AppPort,
		TargetGroupArn:                alb.TargetGroupArn,
		HealthCheckGracePeriodSeconds: apiStartupGrace,
		DependsOn:                     alb.Listeners,
		TaskPolicy:                    in.storage.MediaAccessPolicy,
		Scaling: components.Scaling{
			CPUPercent:        apiCPUTarget,
			MemoryPercent:     apiMemoryTarget,
			RequestsPerTarget: apiRequestsPerTarget,
			RequestsLabel:     alb.RequestsLabel,
		},
		MigrationCommand: migrationCommand,
	})
	if err != nil {
		return nil, err
	}

	worker, err := service("worker", cfg.Worker, components.ServiceArgs{
		Image:              images.Refs[components.TargetWorker],
		StopTimeoutSeconds: workerStopTimeout,
		HealthCheck:        workerHealthCheck,
		TaskPolicy:         in.storage.MediaAccessPolicy,
		Scaling:            components.Scaling{CPUPercent: workerCPUTarget},
	})
	if err != nil {
		return nil, err
	}

	// Beat only enqueues tasks: it needs no bucket access.
	beat, err := service("beat", cfg.Beat, components.ServiceArgs{
		Image:              images.Refs[components.TargetBeat],
		StopTimeoutSeconds: beatStopTimeout,
		Singleton:          true,
	})
	if err != nil {
		return nil, err
	}

	outputs := pulumi.Map{
		"ecrRepositoryUrl":           images.RepositoryURL,
		"clusterName":                cluster.Name,
		"albDnsName":                 alb.DNSName,
		"apiUrl":                     alb.URL,
		"apiServiceName":             api.ServiceName,
		"workerServiceName":          worker.ServiceName,
		"beatServiceName":            beat.ServiceName,
		"migrationTaskDefinitionArn": api.MigrationTaskDefinitionArn,
	}

	return &computeTier{
		outputs:  outputs,
		cluster:  cluster,
		alb:      alb,
		services: map[string]*components.Service{"api": api, "worker": worker, "beat": beat},
	}, nil
}
