package config_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const projectRoot = ".."

// stackConfig returns the raw configuration of a real stack file, as the
// Pulumi CLI would hand it to the program.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()

	raw, err := harness.StackConfig(projectRoot, config.Namespace, stack)
	require.NoError(t, err)

	return raw
}

// setMember sets one member of a JSON-encoded object setting.
func setMember(t *testing.T, raw map[string]string, key, member string, value any) {
	t.Helper()

	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw[key]), &obj), key)
	obj[member] = value
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	raw[key] = string(b)
}

func problemsOf(t *testing.T, raw map[string]string) []string {
	t.Helper()

	_, err := config.Load(raw)
	var cfgErr *config.Error
	require.True(t, errors.As(err, &cfgErr), "want a configuration error, got %v", err)

	return cfgErr.Problems
}

func TestStackFilesStateTheEnvironmentMatrix(t *testing.T) {
	for _, tc := range []struct {
		stack          string
		vpc, nat       string
		pgClass        string
		pgMultiAz      bool
		pgStorage      int
		pgBackups      int
		redisNode      string
		redisNodes     int
		apiMin, apiMax int
		workerMin      int
		workerMax      int
		logDays        int
		priceClass     string
		protect        bool
	}{
		{"dev", "10.0.0.0/16", config.NatSingle, "db.t3.small", false, 20, 3,
			"cache.t3.micro", 1, 1, 1, 1, 1, 7, "PriceClass_100", false},
		{"staging", "10.1.0.0/16", config.NatPerAz, "db.t3.medium", true, 50, 7,
			"cache.t3.small", 2, 2, 5, 2, 4, 30, "PriceClass_200", false},
		{"prod", "10.2.0.0/16", config.NatPerAz, "db.r6g.xlarge", true, 100, 30,
			"cache.r6g.large", 3, 3, 10, 4, 8, 90, "PriceClass_All", true},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			cfg, err := config.Load(stackConfig(t, tc.stack))
			require.NoError(t, err)

			assert.Equal(t, tc.stack, cfg.Environment)
			assert.Equal(t, "socialflow-"+tc.stack, cfg.Name())
			assert.Equal(t, tc.stack == "prod", cfg.IsProd())
			assert.Equal(t, tc.vpc, cfg.Network.VpcCidr)
			assert.Equal(t, tc.nat, cfg.Network.NatGateways)
			assert.Equal(t, tc.pgClass, cfg.Postgres.InstanceClass)
			assert.Equal(t, tc.pgMultiAz, cfg.Postgres.MultiAz)
			assert.Equal(t, tc.pgStorage, cfg.Postgres.AllocatedStorageGb)
			assert.Equal(t, 500, cfg.Postgres.MaxAllocatedStorageGb)
			assert.Equal(t, tc.pgBackups, cfg.Postgres.BackupRetentionDays)
			assert.Equal(t, tc.redisNode, cfg.Redis.NodeType)
			assert.Equal(t, tc.redisNodes, cfg.Redis.Nodes)
			assert.Equal(t, tc.apiMin, cfg.API.MinCount)
			assert.Equal(t, tc.apiMax, cfg.API.MaxCount)
			assert.Equal(t, tc.workerMin, cfg.Worker.MinCount)
			assert.Equal(t, tc.workerMax, cfg.Worker.MaxCount)
			assert.Equal(t, 1, cfg.Beat.MinCount)
			assert.Equal(t, 1, cfg.Beat.MaxCount)
			assert.Equal(t, tc.logDays, cfg.LogRetentionDays)
			assert.Equal(t, tc.priceClass, cfg.CDN.PriceClass)
			assert.Equal(t, tc.protect, cfg.Protect)
		})
	}
}

func TestLoadNamesTheKeyTheValueAndWhatIsAllowed(t *testing.T) {
	const (
		pg    = "socialflow:postgres"
		redis = "socialflow:redis"
		net   = "socialflow:network"
	)
	for _, tc := range []struct {
		name   string
		stack  string
		change func(t *testing.T, raw map[string]string)
		want   string
	}{
		{"prod-must-protect", "prod", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:protect"] = "false"
		}, `socialflow:protect false: want true in prod`},
		{"unknown-environment", "dev", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:environment"] = "qa"
		}, `socialflow:environment "qa": want one of "dev", "staging", "prod"`},
		{"bad-region", "dev", func(_ *testing.T, raw map[string]string) {
			raw["aws:region"] = "mars-1"
		}, `aws:region "mars-1": want an AWS region name`},
		{"log-retention-cloudwatch-refuses", "dev", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:logRetentionDays"] = "10"
		}, `socialflow:logRetentionDays 10: want a CloudWatch Logs retention`},
		{"secrets-recoverable-outside-dev", "staging", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:secretRecoveryWindowDays"] = "0"
		}, `socialflow:secretRecoveryWindowDays 0: want 7 to 30 days outside dev`},
		{"recovery-window-range", "dev", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:secretRecoveryWindowDays"] = "3"
		}, `socialflow:secretRecoveryWindowDays 3: want 0 (delete at once) or 7 to 30 days`},
		{"vpc-too-large", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "vpcCidr", "10.0.0.0/8")
		}, `socialflow:network.vpcCidr "10.0.0.0/8": want a prefix length from /16 to /24`},
		{"vpc-not-a-cidr", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "vpcCidr", "ten")
		}, `socialflow:network.vpcCidr "ten": want an IPv4 CIDR block`},
		{"nat-strategy", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "natGateways", "two")
		}, `socialflow:network.natGateways "two": want "single" or "perAz"`},
		{"three-zones", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "availabilityZones", []string{"us-east-1a", "us-east-1b"})
		}, `want three availability zones`},
		{"zone-of-another-region", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "availabilityZones",
				[]string{"us-east-1a", "us-east-1b", "eu-west-1c"})
		}, `socialflow:network.availabilityZones "eu-west-1c": want distinct zones`},
		{"subnet-outside-vpc", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "privateSubnetCidrs",
				[]string{"10.9.1.0/24", "10.0.2.0/24", "10.0.3.0/24"})
		}, `socialflow:network.privateSubnetCidrs[0] "10.9.1.0/24": want a block inside the VPC`},
		{"subnets-overlap", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "privateSubnetCidrs",
				[]string{"10.0.101.0/25", "10.0.2.0/24", "10.0.3.0/24"})
		}, `"10.0.101.0/25": want a block that does not overlap`},
		{"subnet-too-small", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "privateSubnetCidrs",
				[]string{"10.0.1.0/29", "10.0.2.0/24", "10.0.3.0/24"})
		}, `"10.0.1.0/29": want a prefix length of /28 or shorter`},
		{"subnet-per-zone", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "publicSubnetCidrs", []string{"10.0.101.0/24"})
		}, `want one subnet per availability zone (3)`},
		{"postgres-major-only", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "engineVersion", "15.4")
		}, `socialflow:postgres.engineVersion "15.4": want a major version only`},
		{"postgres-class", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "instanceClass", "db.t2.micro")
		}, `socialflow:postgres.instanceClass "db.t2.micro": want one of`},
		{"postgres-deletion-protection-in-prod", "prod", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "deletionProtection", false)
		}, `socialflow:postgres.deletionProtection false: want true in prod`},
		{"postgres-final-snapshot-in-prod", "prod", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "finalSnapshot", false)
		}, `socialflow:postgres.finalSnapshot false: want true in prod`},
		{"postgres-storage-ceiling", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "maxAllocatedStorageGb", 10)
		}, `socialflow:postgres.maxAllocatedStorageGb 10: want more than allocatedStorageGb (20)`},
		{"postgres-storage-floor", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "allocatedStorageGb", 5)
		}, `socialflow:postgres.allocatedStorageGb 5: want 20 to 65536`},
		{"postgres-backups", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "backupRetentionDays", 40)
		}, `socialflow:postgres.backupRetentionDays 40: want 1 to 35 days`},
		{"postgres-database-name", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "databaseName", "1db")
		}, `socialflow:postgres.databaseName "1db": want a letter followed by`},
		{"redis-version", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, redis, "engineVersion", "6.2")
		}, `socialflow:redis.engineVersion "6.2": want "7.0" or "7.1"`},
		{"redis-node-type", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, redis, "nodeType", "cache.t2.micro")
		}, `socialflow:redis.nodeType "cache.t2.micro": want one of`},
		{"redis-node-count", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, redis, "nodes", 7)
		}, `socialflow:redis.nodes 7: want 1 to 6`},
		{"redis-failover-needs-replica", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, redis, "automaticFailover", true)
		}, `socialflow:redis.automaticFailover true: want false with 1 node`},
		{"redis-multi-az-needs-replica", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, redis, "multiAz", true)
		}, `socialflow:redis.multiAz true: want false with 1 node`},
		{"redis-multi-az-needs-failover", "staging", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, redis, "automaticFailover", false)
		}, `socialflow:redis.multiAz true: want false unless automaticFailover is true`},
		{"redis-snapshots", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, redis, "snapshotRetentionDays", 36)
		}, `socialflow:redis.snapshotRetentionDays 36: want 0 to 35 days`},
		{"fargate-size", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:api", "memory", 512)
		}, `socialflow:api.cpu/memory "512/512": want a Fargate size: 256 with 512, 1024 or 2048`},
		{"api-serves-at-least-once", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:api", "minCount", 0)
		}, `socialflow:api.minCount 0: want at least 1`},
		{"worker-max-below-min", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:worker", "maxCount", 0)
		}, `socialflow:worker.maxCount 0: want at least minCount (1)`},
		{"beat-runs-exactly-once", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:beat", "maxCount", 2)
		}, `socialflow:beat.minCount/maxCount "1/2": want 1/1`},
		{"health-check-path", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:api", "healthCheckPath", "health")
		}, `socialflow:api.healthCheckPath "health": want a path starting with /`},
		{"image-architecture", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:image", "architecture", "amd64")
		}, `socialflow:image.architecture "amd64": want "X86_64" or "ARM64"`},
		{"prebuilt-image-by-digest", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:image", "prebuilt", "repo:latest")
		}, `socialflow:image.prebuilt "repo:latest": want an image pinned by digest`},
		{"image-source", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:image", "dockerfile", "")
		}, `want a build context and Dockerfile path, or image.prebuilt`},
		{"https-outside-dev", "staging", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:loadBalancer", "certificateArn", "")
		}, `socialflow:loadBalancer.certificateArn "": want an ACM certificate ARN: HTTP`},
		{"certificate-in-stack-region", "prod", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:loadBalancer", "certificateArn",
				"arn:aws:acm:eu-west-1:111122223333:certificate/"+
					"66666666-7777-8888-9999-000000000000")
		}, `want an ACM certificate ARN in the stack's region us-east-1`},
		{"idle-timeout", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:loadBalancer", "idleTimeoutSeconds", 5000)
		}, `socialflow:loadBalancer.idleTimeoutSeconds 5000: want 1 to 4000 seconds`},
		{"price-class", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:cdn", "priceClass", "PriceClass_300")
		}, `socialflow:cdn.priceClass "PriceClass_300": want one of`},
		{"cdn-domain-needs-certificate", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:cdn", "domain", "cdn.example.com")
		}, `socialflow:cdn.certificateArn "": want set together with cdn.domain`},
		{"cdn-domain-lower-case", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:cdn", "domain", "CDN.example.com")
		}, `socialflow:cdn.domain "CDN.example.com": want a lower-case DNS name`},
		{"cdn-certificate-in-us-east-1", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:cdn", "domain", "cdn.example.com")
			setMember(t, raw, "socialflow:cdn", "certificateArn",
				"arn:aws:acm:eu-west-1:111122223333:certificate/"+
					"66666666-7777-8888-9999-000000000000")
		}, `want an ACM certificate ARN in us-east-1`},
		{"cors-http-only-in-dev", "prod", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:storage", "corsOrigins", []string{"http://example.com"})
		}, `socialflow:storage.corsOrigins[0] "http://example.com": want an origin`},
		{"infrequent-access-after-30-days", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:storage", "infrequentAccessAfterDays", 10)
		}, `socialflow:storage.infrequentAccessAfterDays 10: want 30 or more`},
		{"noncurrent-expiration", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:storage", "noncurrentVersionExpirationDays", 0)
		}, `socialflow:storage.noncurrentVersionExpirationDays 0: want 1 or more days`},
		{"alarm-email", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:alarms", "emails", []string{"Ops <ops@example.com>"})
		}, `socialflow:alarms.emails[0] "Ops <ops@example.com>": want a bare e-mail address`},
		{"alarm-cpu", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:alarms", "cpuPercent", 0)
		}, `socialflow:alarms.cpuPercent 0: want a percentage above 0`},
		{"alarm-memory", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:alarms", "memoryPercent", 120)
		}, `socialflow:alarms.memoryPercent 120: want a percentage above 0`},
		{"alarm-period", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:alarms", "periodSeconds", 45)
		}, `socialflow:alarms.periodSeconds 45: want a multiple of 60`},
		{"alarm-evaluation", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, "socialflow:alarms", "evaluationPeriods", 0)
		}, `socialflow:alarms.evaluationPeriods 0: want 1 or more`},
		{"unknown-key", "dev", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:netwrk"] = "{}"
		}, `socialflow:netwrk is not a known key: want one of`},
		{"unknown-member", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "instanceclass", "db.t3.small")
		}, `socialflow:postgres.instanceclass is not a known key: want one of`},
		{"bool-type", "dev", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:protect"] = "yes"
		}, `socialflow:protect "yes": want true or false`},
		{"int-type", "dev", func(_ *testing.T, raw map[string]string) {
			raw["socialflow:logRetentionDays"] = "seven"
		}, `socialflow:logRetentionDays "seven": want a whole number`},
		{"member-int-type", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, pg, "allocatedStorageGb", "20")
		}, `socialflow:postgres.allocatedStorageGb "\"20\"": want a whole number`},
		{"member-list-type", "dev", func(t *testing.T, raw map[string]string) {
			setMember(t, raw, net, "availabilityZones", "us-east-1a")
		}, `socialflow:network.availabilityZones "\"us-east-1a\"": want a list of`},
		{"object-type", "dev", func(_ *testing.T, raw map[string]string) {
			raw[net] = "[1]"
		}, `socialflow:network "[1]": want an object`},
		{"environment-required", "dev", func(_ *testing.T, raw map[string]string) {
			delete(raw, "socialflow:environment")
		}, `socialflow:environment is missing: want one of "dev", "staging", "prod"`},
		{"network-required", "dev", func(_ *testing.T, raw map[string]string) {
			delete(raw, net)
		}, `socialflow:network is missing: want an object`},
		{"region-required", "dev", func(_ *testing.T, raw map[string]string) {
			delete(raw, "aws:region")
		}, `aws:region is missing: want the AWS region of the stack`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := stackConfig(t, tc.stack)
			tc.change(t, raw)

			problems := problemsOf(t, raw)

			found := false
			for _, p := range problems {
				found = found || strings.Contains(p, tc.want)
			}
			assert.True(t, found, "want a problem containing %q, got %q", tc.want, problems)
		})
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	raw := stackConfig(t, "prod")
	raw["socialflow:protect"] = "false"
	raw["socialflow:logRetentionDays"] = "10"

	_, err := config.Load(raw)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid stack configuration (2 problems):\n  - ")
	assert.Contains(t, err.Error(), "socialflow:protect false")
	assert.Contains(t, err.Error(), "socialflow:logRetentionDays 10")
}

func TestLoadFillsTheRegionsFirstThreeZonesWhenNoneAreGiven(t *testing.T) {
	raw := stackConfig(t, "dev")
	raw["aws:region"] = "eu-west-1"
	setMember(t, raw, "socialflow:network", "availabilityZones", nil)

	cfg, err := config.Load(raw)

	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"},
		cfg.Network.AvailabilityZones)
}

func TestLoadFromEnvReadsThePulumiConfigVariable(t *testing.T) {
	b, err := json.Marshal(stackConfig(t, "staging"))
	require.NoError(t, err)
	t.Setenv("PULUMI_CONFIG", string(b))

	cfg, err := config.LoadFromEnv()

	require.NoError(t, err)
	assert.Equal(t, "staging", cfg.Environment)
	assert.Equal(t, "us-east-1", cfg.Region)
}

func TestLoadFromEnvRejectsAMalformedVariable(t *testing.T) {
	t.Setenv("PULUMI_CONFIG", "{not json")

	_, err := config.LoadFromEnv()

	assert.ErrorContains(t, err, "reading PULUMI_CONFIG")
}

func TestFargateSizesDescribeEveryValidPair(t *testing.T) {
	for _, tc := range []struct {
		cpu, memory int
		valid       bool
	}{
		{256, 512, true}, {256, 2048, true}, {256, 1536, false},
		{512, 1024, true}, {512, 4096, true}, {512, 512, false},
		{1024, 2048, true}, {2048, 4096, true}, {2048, 16384, true},
		{4096, 30720, true}, {4096, 31744, false},
		{8192, 20480, true}, {8192, 18432, false},
		{16384, 122880, true}, {300, 1024, false},
	} {
		assert.Equal(t, tc.valid, config.ValidFargateSize(tc.cpu, tc.memory),
			"%d CPU with %d MiB", tc.cpu, tc.memory)
	}
	assert.Contains(t, config.FargateSizes(), "1024 with 2048-8192 in steps of 1024")
}
