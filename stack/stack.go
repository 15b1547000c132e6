// Package stack composes the socialflow components into one stack. Both
// main.go and the offline preview run [New], so a preview shows exactly
// what `pulumi up` would register.
package stack

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/config"
)

// New registers every resource of the stack described by cfg and returns
// the stack outputs. cfg must come from [config.Load], which has already
// rejected invalid settings.
func New(ctx *pulumi.Context, cfg *config.Config) (pulumi.Map, error) {
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("looking up the AWS account: %w", err)
	}
	name := cfg.Name()

	keyDeletionWindow := 7
	if cfg.Protect {
		keyDeletionWindow = 30
	}
	secrets, err := components.NewSecrets(ctx, name, &components.SecretsArgs{
		AccountID:             identity.AccountId,
		Region:                cfg.Region,
		RecoveryWindowDays:    cfg.SecretRecoveryWindowDays,
		KeyDeletionWindowDays: keyDeletionWindow,
		Protect:               cfg.Protect,
	})
	if err != nil {
		return nil, err
	}

	network, err := components.NewNetwork(ctx, name, &components.NetworkArgs{
		Region:             cfg.Region,
		VpcCidr:            cfg.Network.VpcCidr,
		AvailabilityZones:  cfg.Network.AvailabilityZones,
		PublicSubnetCidrs:  cfg.Network.PublicSubnetCidrs,
		PrivateSubnetCidrs: cfg.Network.PrivateSubnetCidrs,
		SingleNat:          cfg.Network.NatGateways == config.NatSingle,
		LogRetentionDays:   cfg.LogRetentionDays,
		KeyArn:             secrets.KeyArn,
	})
	if err != nil {
		return nil, err
	}

	groups, err := components.NewSecurityGroups(ctx, name, &components.SecurityGroupsArgs{
		VpcID: network.VpcID,
	})
	if err != nil {
		return nil, err
	}

	postgres, err := components.NewPostgres(ctx, name+"-db", &components.PostgresArgs{
		EngineVersion:         cfg.Postgres.EngineVersion,
		InstanceClass:         cfg.Postgres.InstanceClass,
		ClassMemoryGiB:        config.PostgresClassMemoryGiB[cfg.Postgres.InstanceClass],
		MultiAz:               cfg.Postgres.MultiAz,
		AllocatedStorageGb:    cfg.Postgres.AllocatedStorageGb,
		MaxAllocatedStorageGb: cfg.Postgres.MaxAllocatedStorageGb,
		BackupRetentionDays:   cfg.Postgres.BackupRetentionDays,
		FinalSnapshot:         cfg.Postgres.FinalSnapshot,
		DeletionProtection:    cfg.Postgres.DeletionProtection,
		Protect:               cfg.Protect,
		DatabaseName:          cfg.Postgres.DatabaseName,
		SubnetIDs:             network.PrivateSubnetIDs,
		SecurityGroupID:       groups.PostgresID,
		KeyArn:                secrets.KeyArn,
		LogRetentionDays:      cfg.LogRetentionDays,
	})
	if err != nil {
		return nil, err
	}

	redis, err := components.NewRedis(ctx, name+"-redis", &components.RedisArgs{
		EngineVersion:         cfg.Redis.EngineVersion,
		NodeType:              cfg.Redis.NodeType,
		Nodes:                 cfg.Redis.Nodes,
		AutomaticFailover:     cfg.Redis.AutomaticFailover,
		MultiAz:               cfg.Redis.MultiAz,
		SnapshotRetentionDays: cfg.Redis.SnapshotRetentionDays,
		Protect:               cfg.Protect,
		SubnetIDs:             network.PrivateSubnetIDs,
		SecurityGroupID:       groups.RedisID,
		KeyArn:                secrets.KeyArn,
		AuthToken:             secrets.RedisAuthToken,
		LogRetentionDays:      cfg.LogRetentionDays,
		RecoveryWindowDays:    cfg.SecretRecoveryWindowDays,
	})
	if err != nil {
		return nil, err
	}

	storage, err := components.NewStorage(ctx, name, &components.StorageArgs{
		AccountID:                       identity.AccountId,
		Region:                          cfg.Region,
		KeyArn:                          secrets.KeyArn,
		CorsOrigins:                     cfg.Storage.CorsOrigins,
		InfrequentAccessAfterDays:       cfg.Storage.InfrequentAccessAfterDays,
		NoncurrentVersionExpirationDays: cfg.Storage.NoncurrentVersionExpirationDays,
		LogExpirationDays:               cfg.LogRetentionDays,
		// Only dev is torn down with its data; elsewhere a destroy stops at
		// a non-empty bucket.
		ForceDestroy: cfg.Environment == "dev" && !cfg.Protect,
		Protect:      cfg.Protect,
	})
	if err != nil {
		return nil, err
	}

	cdn, err := components.NewCDN(ctx, name, &components.CDNArgs{
		AccountID:      identity.AccountId,
		Region:         cfg.Region,
		Static:         storage.Static,
		Videos:         storage.Videos,
		LogsBucketArn:  storage.Logs.Arn,
		LogsPolicy:     storage.LogsPolicy,
		PriceClass:     cfg.CDN.PriceClass,
		Domain:         cfg.CDN.Domain,
		CertificateArn: cfg.CDN.CertificateArn,
	})
	if err != nil {
		return nil, err
	}

	compute, err := newCompute(ctx, cfg, computeInputs{
		accountID: identity.AccountId,
		keyArn:    secrets.KeyArn,
		network:   network,
		groups:    groups,
		secrets:   secrets,
		storage:   storage,
		cdnDomain: cdn.DomainName,
		postgres:  postgres,
		redis:     redis,
	})
	if err != nil {
		return nil, err
	}

	secretArns := pulumi.StringMap{}
	for k, v := range secrets.Arns {
		secretArns[k] = v
	}

	outputs := pulumi.Map{
		"vpcId":            network.VpcID,
		"publicSubnetIds":  network.PublicSubnetIDs,
		"privateSubnetIds": network.PrivateSubnetIDs,
		"securityGroupIds": pulumi.StringMap{
			"alb":      groups.AlbID,
			"app":      groups.AppID,
			"postgres": groups.PostgresID,
			"redis":    groups.RedisID,
		},
		"kmsKeyArn":          secrets.KeyArn,
		"secretArns":         secretArns,
		"videosBucket":       storage.Videos.Name,
		"uploadsBucket":      storage.Uploads.Name,
		"staticBucket":       storage.Static.Name,
		"logsBucket":         storage.Logs.Name,
		"cdnDomain":          cdn.DomainName,
		"cdnDistributionId":  cdn.DistributionID,
		"cdnDistributionArn": cdn.DistributionArn,
		// Endpoints are host names; the ports are separate outputs.
		"postgresEndpoint":  postgres.Address,
		"postgresPort":      postgres.Port,
		"postgresSecretArn": postgres.MasterSecretArn,
		"redisEndpoint":     redis.PrimaryEndpoint,
		"redisPort":         redis.Port,
		"redisUrlSecretArn": redis.URLSecretArn,
		"redisUrl":          pulumi.ToSecret(redis.URL),
	}
	for k, v := range compute.outputs {
		outputs[k] = v
	}

	serviceNames := map[string]pulumi.StringInput{}
	for role, svc := range compute.services {
		serviceNames[role] = svc.ServiceName
	}
	// The services read the database password only when their tasks start.
	rotation := &components.PasswordRotationArgs{
		AccountID:    identity.AccountId,
		Region:       cfg.Region,
		SecretArn:    postgres.MasterSecretArn,
		ClusterName:  compute.cluster.Name,
		ServiceNames: serviceNames,
	}
	if _, err := components.NewPasswordRotation(ctx, name+"-db-password", rotation); err != nil {
		return nil, err
	}

	alarms, err := newAlarms(ctx, cfg, identity.AccountId, secrets, postgres, redis, compute)
	if err != nil {
		return nil, err
	}
	outputs["alarmTopicArn"] = alarms.TopicArn
	outputs["dashboardName"] = alarms.DashboardName

	return outputs, nil
}

// newAlarms watches what the stack built: every service, the load balancer
// and API target group, the database and each cache node.
func newAlarms(
	ctx *pulumi.Context, cfg *config.Config, accountID string, secrets *components.Secrets,
	postgres *components.Postgres, redis *components.Redis, compute *computeTier,
) (*components.Alarms, error) {
	a := cfg.Alarms
	var services []components.AlarmedService
	for _, role := range []string{"api", "worker", "beat"} {
		services = append(services, components.AlarmedService{
			Role:        role,
			ClusterName: compute.cluster.Name,
			ServiceName: compute.services[role].ServiceName,
		})
	}

	return components.NewAlarms(ctx, cfg.Name(), &components.AlarmsArgs{
		Region:    cfg.Region,
		AccountID: accountID,
		KeyArn:    secrets.KeyArn,
		Emails:    a.Emails,
		Thresholds: components.AlarmThresholds{
			CPUPercent:           a.CPUPercent,
			MemoryPercent:        a.MemoryPercent,
			HTTP5xxCount:         a.HTTP5xxCount,
			LatencySeconds:       a.LatencySeconds,
			DBFreeStoragePercent: a.DBFreeStoragePercent,
			DBFreeMemoryPercent:  a.DBFreeMemoryPercent,
			DBConnectionsPercent: a.DBConnectionsPercent,
			Evictions:            a.Evictions,
			PeriodSeconds:        a.PeriodSeconds,
			EvaluationPeriods:    a.EvaluationPeriods,
		},
		Services: services,
		LoadBalancer: &components.AlarmedLoadBalancer{
			ArnSuffix:            compute.alb.ArnSuffix,
			TargetGroupArnSuffix: compute.alb.TargetGroupArnSuffix,
		},
		Database: &components.AlarmedDatabase{
			InstanceID:         postgres.InstanceIdentifier,
			AllocatedStorageGb: cfg.Postgres.AllocatedStorageGb,
			MemoryGiB:          config.PostgresClassMemoryGiB[cfg.Postgres.InstanceClass],
			MaxConnections:     components.PostgresMaxConnections,
		},
		Cache:     &components.AlarmedCache{MemberClusterIDs: redis.MemberClusterIDs()},
		Dashboard: cfg.DetailedMonitoring,
	})
}
