package components

import (
	"fmt"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PostgresMaxConnections is max_connections, for alarms on connection
// counts.
const PostgresMaxConnections = 200

// PostgresUsername is the master user RDS creates; its password lives only
// in the Secrets Manager secret RDS manages.
const PostgresUsername = "socialflow_admin"

// PostgresLogExports are the PostgreSQL logs RDS exports to CloudWatch.
var PostgresLogExports = []string{"postgresql", "upgrade"}

// EnhancedMonitoringPolicyArn is the AWS managed policy that lets RDS
// publish Enhanced Monitoring metrics.
const EnhancedMonitoringPolicyArn = "arn:aws:iam::aws:policy/service-role/" +
	"AmazonRDSEnhancedMonitoringRole"

// Apply methods of DB parameters. RDS refuses "immediate" for static
// parameters; those take effect at the next reboot.
const (
	ApplyImmediate     = "immediate"
	ApplyPendingReboot = "pending-reboot"
)

// Fixed monitoring settings: the free Performance Insights retention and a
// one-minute Enhanced Monitoring granularity.
const (
	PerformanceInsightsRetentionDays = 7
	MonitoringIntervalSeconds        = 60
)

// Backup and maintenance windows (UTC). They must not overlap, and backups
// run first so maintenance starts from a fresh snapshot.
const (
	// G101 reads the "pW" of "BackupWindow" as a password.
	PostgresBackupWindow      = "03:00-03:30" //nolint:gosec // a time range
	PostgresMaintenanceWindow = "sun:04:00-sun:04:30"
)

// maxEffectiveCacheGiB caps effective_cache_size at the production sizing;
// smaller classes get half their memory, leaving the rest to PostgreSQL's
// own buffers and connections.
const maxEffectiveCacheGiB = 3

// PostgresArgs configures [NewPostgres].
type PostgresArgs struct {
	// EngineVersion is the major version only ("15").
	EngineVersion string
	// InstanceClass is the RDS instance class and ClassMemoryGiB its memory.
	InstanceClass  string
	ClassMemoryGiB int
	// MultiAz keeps a synchronous standby in a second zone.
	MultiAz bool
	// AllocatedStorageGb is the initial gp3 size, MaxAllocatedStorageGb the
	// autoscaling ceiling.
	AllocatedStorageGb    int
	MaxAllocatedStorageGb int
	// BackupRetentionDays is the point-in-time recovery window.
	BackupRetentionDays int
	// FinalSnapshot snapshots the database when it is deleted.
	FinalSnapshot bool
	// DeletionProtection makes AWS refuse to delete the instance.
	DeletionProtection bool
	// Protect guards the instance against deletion by Pulumi, keeps
	// automated backups after deletion and defers changes to the
	// maintenance window.
	Protect bool
	// DatabaseName is the application database.
	DatabaseName string
	// SubnetIDs are the private subnets of the DB subnet group.
	SubnetIDs pulumi.StringArrayInput
	// SecurityGroupID is the Postgres security group.
	SecurityGroupID pulumi.StringInput
	// KeyArn is the customer KMS key ARN (never an alias) that encrypts
	// storage, Performance Insights, the master secret and the log groups.
	KeyArn pulumi.StringInput
	// LogRetentionDays is the retention of the exported log groups.
	LogRetentionDays int
}

// DBParameter is one entry of the Postgres parameter group: the value is an
// integer in the parameter's own unit, or a plain string.
type DBParameter struct {
	Name        string
	Value       string
	ApplyMethod string
}

// PostgresParameters returns the parameter group entries for an instance
// class with memGiB of memory. Memory values are in the units PostgreSQL
// declares for them (work_mem and maintenance_work_mem in kB,
// effective_cache_size in 8 kB pages), so RDS stores exactly what is
// written. shared_preload_libraries and max_connections are static: they
// apply at the next reboot (at creation, from the start).
func PostgresParameters(memGiB int) []DBParameter {
	return []DBParameter{
		{"shared_preload_libraries", "pg_stat_statements", ApplyPendingReboot},
		{"max_connections", strconv.Itoa(PostgresMaxConnections), ApplyPendingReboot},
		{"work_mem", strconv.Itoa(16 * 1024), ApplyImmediate},
		{"maintenance_work_mem", strconv.Itoa(512 * 1024), ApplyImmediate},
		{"effective_cache_size", strconv.Itoa(effectiveCachePages(memGiB)), ApplyImmediate},
		{"log_min_duration_statement", "1000", ApplyImmediate},
		{"rds.force_ssl", "1", ApplyImmediate},
	}
}

// effectiveCachePages is min(3 GiB, half the class memory) in 8 kB pages.
func effectiveCachePages(memGiB int) int {
	const pagesPerGiB = 1024 * 1024 / 8
	half := memGiB * pagesPerGiB / 2

	return min(half, maxEffectiveCacheGiB*pagesPerGiB)
}

// Postgres is the stack's RDS PostgreSQL instance: gp3 storage that grows
// on its own, encrypted with the customer key, reachable only from the
// private subnets over TLS, with IAM authentication, Performance Insights,
// Enhanced Monitoring and its logs in encrypted CloudWatch log groups with
// a retention. RDS keeps the master password in Secrets Manager; it is never
// in the program, its configuration or its state.
type Postgres struct {
	pulumi.ResourceState

	// Address is the instance's DNS name and Port its port.
	Address pulumi.StringOutput `pulumi:"address"`
	Port    pulumi.IntOutput    `pulumi:"port"`
	// Endpoint is "address:port".
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// MasterSecretArn is the secret RDS manages for the master user; its
	// JSON value has the keys "username" and "password".
	MasterSecretArn pulumi.StringOutput `pulumi:"masterSecretArn"`
	// InstanceIdentifier is the DBInstanceIdentifier of CloudWatch metrics.
	InstanceIdentifier pulumi.StringOutput `pulumi:"instanceIdentifier"`
	// ResourceID scopes rds-db:connect permissions for IAM authentication.
	ResourceID   pulumi.StringOutput `pulumi:"resourceId"`
	DatabaseName pulumi.StringOutput `pulumi:"databaseName"`
	Username     pulumi.StringOutput `pulumi:"username"`
}

// NewPostgres creates the instance and everything it needs. name becomes the
// instance identifier, so the log groups RDS writes to can be created, with
// a retention and encryption, before the instance.
func NewPostgres(
	ctx *pulumi.Context, name string, args *PostgresArgs, opts ...pulumi.ResourceOption,
) (*Postgres, error) {
	if len(name) > 63 || !awsIdentifier.MatchString(name) {
		return nil, fmt.Errorf("creating postgres %q: an RDS identifier is up to 63 lower-case "+
			"letters, digits and single hyphens, starting with a letter", name)
	}
	c := &Postgres{}
	err := ctx.RegisterComponentResource("socialflow:index:Postgres", name, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("registering postgres component: %w", err)
	}
	parent := pulumi.Parent(c)

	params := rds.ParameterGroupParameterArray{}
	for _, p := range PostgresParameters(args.ClassMemoryGiB) {
		params = append(params, rds.ParameterGroupParameterArgs{
			Name:        pulumi.String(p.Name),
			Value:       pulumi.String(p.Value),
			ApplyMethod: pulumi.String(p.ApplyMethod),
		})
	}
	paramGroup, err := rds.NewParameterGroup(ctx, name+"-params", &rds.ParameterGroupArgs{
		Family:      pulumi.String("postgres" + args.EngineVersion),
		Description: pulumi.String("PostgreSQL settings of " + name),
		Parameters:  params,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating postgres parameter group: %w", err)
	}

	subnets, err := rds.NewSubnetGroup(ctx, name+"-subnets", &rds.SubnetGroupArgs{
		SubnetIds:   args.SubnetIDs,
		Description: pulumi.String("Private subnets of " + name),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating postgres subnet group: %w", err)
	}

	monitoring, err := monitoringRole(ctx, name, parent)
	if err != nil {
		return nil, err
	}

	// RDS creates these groups itself, without retention or encryption,
	// unless they already exist when it first exports logs.
	var logGroups []pulumi.Resource
	for _, export := range PostgresLogExports {
		group, err := cloudwatch.NewLogGroup(ctx, name+"-"+export, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String(PostgresLogGroupName(name, export)),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
			KmsKeyId:        args.KeyArn,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating postgres %s log group: %w", export, err)
		}
		logGroups = append(logGroups, group)
	}

	instance, err := rds.NewInstance(ctx, name, postgresInstanceArgs(name, args,
		paramGroup.Name, subnets.Name, monitoring.role.Arn),
		parent,
		pulumi.Protect(args.Protect),
		// The role is useless to RDS until its policy is attached.
		pulumi.DependsOn(append(logGroups, monitoring.attachment)),
	)
	if err != nil {
		return nil, fmt.Errorf("creating postgres instance: %w", err)
	}

	c.Address = instance.Address
	c.Port = instance.Port
	c.Endpoint = instance.Endpoint
	c.MasterSecretArn = instance.MasterUserSecrets.Index(pulumi.Int(0)).SecretArn().Elem()
	c.InstanceIdentifier = instance.Identifier
	c.ResourceID = instance.ResourceId
	c.DatabaseName = instance.DbName
	c.Username = instance.Username
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"address":            c.Address,
		"port":               c.Port,
		"endpoint":           c.Endpoint,
		"masterSecretArn":    c.MasterSecretArn,
		"instanceIdentifier": c.InstanceIdentifier,
		"resourceId":         c.ResourceID,
		"databaseName":       c.DatabaseName,
		"username":           c.Username,
	}); err != nil {
		return nil, fmt.Errorf("registering postgres outputs: %w", err)
	}

	return c, nil
}

// PostgresLogGroupName is the log group RDS exports one log of an instance
// to.
func PostgresLogGroupName(identifier, export string) string {
	return "/aws/rds/instance/" + identifier + "/" + export
}

// PostgresFinalSnapshotName is the snapshot RDS takes when the instance is
// deleted. It is fixed per stack so that previews don't diff on every run.
func PostgresFinalSnapshotName(identifier string) string {
	return identifier + "-final"
}

func postgresInstanceArgs(
	name string, args *PostgresArgs, paramGroup, subnetGroup, monitoringRoleArn pulumi.StringInput,
) *rds.InstanceArgs {
	var finalSnapshot pulumi.StringPtrInput
	if args.FinalSnapshot {
		finalSnapshot = pulumi.String(PostgresFinalSnapshotName(name))
	}

	return &rds.InstanceArgs{
		Identifier:    pulumi.String(name),
		Engine:        pulumi.String("postgres"),
		EngineVersion: pulumi.String(args.EngineVersion),
		// With a major-only version RDS picks and upgrades the minor
		// version; Pulumi then never tries to move it back.
		AutoMinorVersionUpgrade: pulumi.Bool(true),
		InstanceClass:           pulumi.String(args.InstanceClass),
		MultiAz:                 pulumi.Bool(args.MultiAz),
		ParameterGroupName:      paramGroup,

		// Below 400 GB gp3 has a fixed 3000 IOPS and 125 MiB/s baseline and
		// RDS rejects iops and storageThroughput, so neither is set.
		StorageType:         pulumi.String("gp3"),
		AllocatedStorage:    pulumi.Int(args.AllocatedStorageGb),
		MaxAllocatedStorage: pulumi.Int(args.MaxAllocatedStorageGb),
		StorageEncrypted:    pulumi.Bool(true),
		KmsKeyId:            args.KeyArn,

		DbName:                           pulumi.String(args.DatabaseName),
		Port:                             pulumi.Int(PostgresPort),
		Username:                         pulumi.String(PostgresUsername),
		ManageMasterUserPassword:         pulumi.Bool(true),
		MasterUserSecretKmsKeyId:         args.KeyArn,
		IamDatabaseAuthenticationEnabled: pulumi.Bool(true),

		DbSubnetGroupName:   subnetGroup,
		VpcSecurityGroupIds: pulumi.StringArray{args.SecurityGroupID},
		PubliclyAccessible:  pulumi.Bool(false),

		PerformanceInsightsEnabled:         pulumi.Bool(true),
		PerformanceInsightsKmsKeyId:        args.KeyArn,
		PerformanceInsightsRetentionPeriod: pulumi.Int(PerformanceInsightsRetentionDays),
		MonitoringInterval:                 pulumi.Int(MonitoringIntervalSeconds),
		MonitoringRoleArn:                  monitoringRoleArn,
		EnabledCloudwatchLogsExports:       pulumi.ToStringArray(PostgresLogExports),

		BackupRetentionPeriod:   pulumi.Int(args.BackupRetentionDays),
		BackupWindow:            pulumi.String(PostgresBackupWindow),
		MaintenanceWindow:       pulumi.String(PostgresMaintenanceWindow),
		CopyTagsToSnapshot:      pulumi.Bool(true),
		DeletionProtection:      pulumi.Bool(args.DeletionProtection),
		SkipFinalSnapshot:       pulumi.Bool(!args.FinalSnapshot),
		FinalSnapshotIdentifier: finalSnapshot,
		DeleteAutomatedBackups:  pulumi.Bool(!args.Protect),
		// A class or storage change restarts or slows the database: in a
		// protected stack it waits for the maintenance window.
		ApplyImmediately: pulumi.Bool(!args.Protect),
	}
}

// enhancedMonitoring is the role RDS assumes to publish OS metrics, and the
// attachment of its managed policy.
type enhancedMonitoring struct {
	role       *iam.Role
	attachment *iam.RolePolicyAttachment
}

func monitoringRole(
	ctx *pulumi.Context, name string, parent pulumi.ResourceOption,
) (*enhancedMonitoring, error) {
	role, err := iam.NewRole(ctx, name+"-monitoring", &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy("monitoring.rds.amazonaws.com")),
		Description:      pulumi.String("Lets RDS Enhanced Monitoring publish OS metrics."),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating enhanced monitoring role: %w", err)
	}

	attachment, err := iam.NewRolePolicyAttachment(ctx, name+"-monitoring",
		&iam.RolePolicyAttachmentArgs{
			Role:      role.Name,
			PolicyArn: pulumi.String(EnhancedMonitoringPolicyArn),
		}, parent)
	if err != nil {
		return nil, fmt.Errorf("attaching enhanced monitoring policy: %w", err)
	}

	return &enhancedMonitoring{role: role, attachment: attachment}, nil
}
