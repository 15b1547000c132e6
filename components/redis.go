package components

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/elasticache"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RedisParameters are the settings of the Redis parameter group: evict the
// least recently used keys when memory is full, close idle clients after
// five minutes and probe connections every five minutes.
var RedisParameters = []struct{ Name, Value string }{
	{"maxmemory-policy", "allkeys-lru"},
	{"timeout", "300"},
	{"tcp-keepalive", "300"},
}

// RedisLogTypes are the logs the replication group delivers to CloudWatch.
var RedisLogTypes = []string{"slow-log", "engine-log"}

// Snapshot and maintenance windows (UTC); ElastiCache wants each to last at
// least an hour and the two not to overlap.
const (
	RedisSnapshotWindow    = "04:00-05:00"
	RedisMaintenanceWindow = "sun:06:00-sun:07:00"
)

// MaxReplicationGroupIDLength is the longest replication group ID
// ElastiCache accepts.
const MaxReplicationGroupIDLength = 40

// RedisArgs configures [NewRedis].
type RedisArgs struct {
	// EngineVersion is "7.0" or "7.1".
	EngineVersion string
	// NodeType is the ElastiCache node type and Nodes the primary plus
	// replicas.
	NodeType string
	Nodes    int
	// AutomaticFailover and MultiAz need at least two nodes.
	AutomaticFailover bool
	MultiAz           bool
	// SnapshotRetentionDays keeps daily snapshots; 0 turns them off.
	SnapshotRetentionDays int
	// Protect guards the group and its URL secret against deletion, takes a
	// final snapshot and defers changes to the maintenance window.
	Protect bool
	// SubnetIDs are the private subnets of the cache subnet group.
	SubnetIDs pulumi.StringArrayInput
	// SecurityGroupID is the Redis security group.
	SecurityGroupID pulumi.StringInput
	// KeyArn is the customer KMS key ARN.
	KeyArn pulumi.StringInput
	// AuthToken is the AUTH token (a secret): 16 to 128 characters, none of
	// them @, " or /.
	AuthToken pulumi.StringInput
	// LogRetentionDays is the retention of the slow and engine log groups.
	LogRetentionDays int
	// RecoveryWindowDays is the URL secret's recovery window.
	RecoveryWindowDays int
}

// Redis is the stack's ElastiCache replication group (cluster mode off):
// encrypted at rest with the customer key and in transit with TLS, behind an
// AUTH token, in the private subnets, with its slow and engine logs in
// encrypted CloudWatch log groups as JSON. The connection URL, token
// included, is kept in a Secrets Manager secret the API and Celery read
// as-is.
type Redis struct {
	pulumi.ResourceState

	// PrimaryEndpoint is the primary's DNS name and Port its port.
	PrimaryEndpoint pulumi.StringOutput `pulumi:"primaryEndpoint"`
	Port            pulumi.IntOutput    `pulumi:"port"`
	// URLSecretArn is the secret holding URL.
	URLSecretArn pulumi.StringOutput `pulumi:"urlSecretArn"`
	// URL is the rediss:// connection URL (a secret).
	URL pulumi.StringOutput `pulumi:"url"`
	// ReplicationGroupID is the group's identifier.
	ReplicationGroupID pulumi.StringOutput `pulumi:"replicationGroupId"`
	// MemberClusters are the node IDs ElastiCache reports metrics by.
	MemberClusters pulumi.StringArrayOutput `pulumi:"memberClusters"`

	nodes int
}

// MemberClusterIDs returns one input per node, for alarms that need their
// count while the program runs.
func (c *Redis) MemberClusterIDs() []pulumi.StringInput {
	ids := make([]pulumi.StringInput, c.nodes)
	for i := range ids {
		ids[i] = c.MemberClusters.Index(pulumi.Int(i))
	}

	return ids
}

// NewRedis creates the replication group, its logs and its URL secret. name
// becomes the replication group ID once Pulumi adds its suffix, so it must
// leave room for it.
func NewRedis(
	ctx *pulumi.Context, name string, args *RedisArgs, opts ...pulumi.ResourceOption,
) (*Redis, error) {
	if len(name)+AutoNameSuffixLength > MaxReplicationGroupIDLength ||
		!awsIdentifier.MatchString(name) {
		return nil, fmt.Errorf("creating redis %q: a replication group ID is up to %d "+
			"lower-case letters, digits and single hyphens including Pulumi's %d-character "+
			"suffix, starting with a letter",
			name, MaxReplicationGroupIDLength, AutoNameSuffixLength)
	}
	c := &Redis{nodes: args.Nodes}
	err := ctx.RegisterComponentResource("socialflow:index:Redis", name, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("registering redis component: %w", err)
	}
	parent := pulumi.Parent(c)

	params := elasticache.ParameterGroupParameterArray{}
	for _, p := range RedisParameters {
		params = append(params, elasticache.ParameterGroupParameterArgs{
			Name:  pulumi.String(p.Name),
			Value: pulumi.String(p.Value),
		})
	}
	major, _, _ := strings.Cut(args.EngineVersion, ".")
	paramGroup, err := elasticache.NewParameterGroup(ctx, name+"-params",
		&elasticache.ParameterGroupArgs{
			Family:      pulumi.String("redis" + major),
			Description: pulumi.String("Redis settings of " + name),
			Parameters:  params,
		}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating redis parameter group: %w", err)
	}

	subnets, err := elasticache.NewSubnetGroup(ctx, name+"-subnets", &elasticache.SubnetGroupArgs{
		SubnetIds:   args.SubnetIDs,
		Description: pulumi.String("Private subnets of " + name),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating redis subnet group: %w", err)
	}

	logs := elasticache.ReplicationGroupLogDeliveryConfigurationArray{}
	for _, logType := range RedisLogTypes {
		group, err := cloudwatch.NewLogGroup(ctx, name+"-"+logType, &cloudwatch.LogGroupArgs{
			Name:            pulumi.String("/aws/elasticache/" + name + "/" + logType),
			RetentionInDays: pulumi.Int(args.LogRetentionDays),
			KmsKeyId:        args.KeyArn,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating redis %s group: %w", logType, err)
		}
		logs = append(logs, elasticache.ReplicationGroupLogDeliveryConfigurationArgs{
			LogType:         pulumi.String(logType),
			DestinationType: pulumi.String("cloudwatch-logs"),
			Destination:     group.Name,
			LogFormat:       pulumi.String("json"),
		})
	}

	var finalSnapshot pulumi.StringPtrInput
	if args.Protect {
		finalSnapshot = pulumi.String(name + "-final")
	}
	group, err := elasticache.NewReplicationGroup(ctx, name, &elasticache.ReplicationGroupArgs{
		Description:   pulumi.String("Cache and Celery broker of " + name),
		Engine:        pulumi.String("redis"),
		EngineVersion: pulumi.String(args.EngineVersion),
		// Opts in to AWS's patch campaigns. 7.1 is the last Redis OSS 7
		// minor, so no campaign moves the group past the stated version.
		AutoMinorVersionUpgrade:  pulumi.Bool(true),
		NodeType:                 pulumi.String(args.NodeType),
		NumCacheClusters:         pulumi.Int(args.Nodes),
		AutomaticFailoverEnabled: pulumi.Bool(args.AutomaticFailover),
		MultiAzEnabled:           pulumi.Bool(args.MultiAz),
		ParameterGroupName:       paramGroup.Name,
		Port:                     pulumi.Int(RedisPort),

		SubnetGroupName:  subnets.Name,
		SecurityGroupIds: pulumi.StringArray{args.SecurityGroupID},

		AtRestEncryptionEnabled:  pulumi.Bool(true),
		KmsKeyId:                 args.KeyArn,
		TransitEncryptionEnabled: pulumi.Bool(true),
		AuthToken:                pulumi.ToSecret(args.AuthToken).(pulumi.StringOutput),

		LogDeliveryConfigurations: logs,

		SnapshotRetentionLimit:  pulumi.Int(args.SnapshotRetentionDays),
		SnapshotWindow:          pulumi.String(RedisSnapshotWindow),
		MaintenanceWindow:       pulumi.String(RedisMaintenanceWindow),
		FinalSnapshotIdentifier: finalSnapshot,
		ApplyImmediately:        pulumi.Bool(!args.Protect),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating redis replication group: %w", err)
	}

	port := group.Port.Elem()
	redisURL := pulumi.ToSecret(pulumi.All(args.AuthToken, group.PrimaryEndpointAddress, port).
		ApplyT(func(v []any) string {
			return RedisURL(v[0].(string), v[1].(string), v[2].(int))
		})).(pulumi.StringOutput)
	secretArn, err := redisURLSecret(ctx, name, redisURL, args, parent)
	if err != nil {
		return nil, err
	}

	c.PrimaryEndpoint = group.PrimaryEndpointAddress
	c.Port = port
	c.URLSecretArn = secretArn
	c.URL = redisURL
	c.ReplicationGroupID = group.ReplicationGroupId
	c.MemberClusters = group.MemberClusters
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"primaryEndpoint":    c.PrimaryEndpoint,
		"port":               c.Port,
		"urlSecretArn":       c.URLSecretArn,
		"url":                c.URL,
		"replicationGroupId": c.ReplicationGroupID,
		"memberClusters":     c.MemberClusters,
	}); err != nil {
		return nil, fmt.Errorf("registering redis outputs: %w", err)
	}

	return c, nil
}

// RedisURL is the connection URL of database 0 over TLS. redis-py and
// Celery's Redis result backend refuse a rediss:// URL without
// ssl_cert_reqs; "required" verifies the server certificate.
func RedisURL(token, host string, port int) string {
	u := url.URL{
		Scheme:   "rediss",
		User:     url.UserPassword("", token),
		Host:     net.JoinHostPort(host, strconv.Itoa(port)),
		Path:     "/0",
		RawQuery: "ssl_cert_reqs=required",
	}

	return u.String()
}

// redisURLSecret keeps the connection URL in Secrets Manager, encrypted with
// the customer key, and returns the secret's ARN.
func redisURLSecret(
	ctx *pulumi.Context, name string, value pulumi.StringOutput, args *RedisArgs,
	parent pulumi.ResourceOption,
) (pulumi.StringOutput, error) {
	secret, err := secretsmanager.NewSecret(ctx, name+"-url", &secretsmanager.SecretArgs{
		Description:          pulumi.String("rediss:// URL of " + name + ", AUTH token included."),
		KmsKeyId:             args.KeyArn,
		RecoveryWindowInDays: pulumi.Int(args.RecoveryWindowDays),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating redis url secret: %w", err)
	}

	if _, err := secretsmanager.NewSecretVersion(ctx, name+"-url",
		&secretsmanager.SecretVersionArgs{
			SecretId:     secret.ID(),
			SecretString: value,
		}, parent); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("storing redis url: %w", err)
	}

	return secret.Arn, nil
}
