package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

// stackConfig loads a real stack file of the project as the CLI passes it.
func stackConfig(t *testing.T, stack string) map[string]string {
	t.Helper()

	raw, err := harness.StackConfig("..", config.Namespace, stack)
	require.NoError(t, err)

	return raw
}

func TestStackFilesLoadTheEnvironmentMatrix(t *testing.T) {
	t.Parallel()

	type matrix struct {
		cidr, nat, pgClass, redisType                        string
		pgMultiAz, redisFailover, monitoring, protect, final bool
		pgStorage, pgRetention, redisNodes, redisSnapshots   int
		apiMin, apiMax, apiCPU, apiMem                       int
		workerMin, workerMax, workerCPU, workerMem           int
		logDays, recoveryDays                                int
		priceClass                                           string
	}
	tests := map[string]matrix{
		"dev": {
			cidr: "10.0.0.0/16", nat: config.NatSingle, pgClass: "db.t3.small",
			redisType: "cache.t3.micro", pgStorage: 20, pgRetention: 3, redisNodes: 1,
			redisSnapshots: 1, apiMin: 1, apiMax: 1, apiCPU: 512, apiMem: 1024,
			workerMin: 1, workerMax: 1, workerCPU: 512, workerMem: 1024,
			logDays: 7, recoveryDays: 0, priceClass: "PriceClass_100",
		},
		"staging": {
			cidr: "10.1.0.0/16", nat: config.NatPerAz, pgClass: "db.t3.medium",
			redisType: "cache.t3.small", pgMultiAz: true, redisFailover: true, monitoring: true,
			final: true, pgStorage: 50, pgRetention: 7, redisNodes: 2, redisSnapshots: 3,
			apiMin: 2, apiMax: 5, apiCPU: 1024, apiMem: 2048,
			workerMin: 2, workerMax: 4, workerCPU: 1024, workerMem: 2048,
			logDays: 30, recoveryDays: 7, priceClass: "PriceClass_200",
		},
		"prod": {
			cidr: "10.2.0.0/16", nat: config.NatPerAz, pgClass: "db.r6g.xlarge",
			redisType: "cache.r6g.large", pgMultiAz: true, redisFailover: true, monitoring: true,
			protect: true, final: true, pgStorage: 100, pgRetention: 30, redisNodes: 3,
			redisSnapshots: 7, apiMin: 3, apiMax: 10, apiCPU: 2048, apiMem: 4096,
			workerMin: 4, workerMax: 8, workerCPU: 1024, workerMem: 2048,
			logDays: 90, recoveryDays: 30, priceClass: "PriceClass_All",
		},
	}
	for stack, want := range tests {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()

			cfg, err := config.Load(stackConfig(t, stack))
			require.NoError(t, err)

			octet := want.cidr[3:4]
			assert.Equal(t, stack, cfg.Environment)
			assert.Equal(t, want.cidr, cfg.Network.VpcCidr)
			assert.Equal(t, []string{
				"10." + octet + ".101.0/24", "10." + octet + ".102.0/24", "10." + octet + ".103.0/24",
			}, cfg.Network.PublicSubnetCidrs)
			assert.Equal(t, []string{
				"10." + octet + ".1.0/24", "10." + octet + ".2.0/24", "10." + octet + ".3.0/24",
			}, cfg.Network.PrivateSubnetCidrs)
			assert.Len(t, cfg.Network.AvailabilityZones, 3)
			assert.Equal(t, want.nat, cfg.Network.NatGateways)

			assert.Equal(t, "15", cfg.Postgres.EngineVersion)
			assert.Equal(t, want.pgClass, cfg.Postgres.InstanceClass)
			assert.Equal(t, want.pgMultiAz, cfg.Postgres.MultiAz)
			assert.Equal(t, want.pgStorage, cfg.Postgres.AllocatedStorageGb)
			assert.Equal(t, 500, cfg.Postgres.MaxAllocatedStorageGb)
			assert.Equal(t, want.pgRetention, cfg.Postgres.BackupRetentionDays)
			assert.Equal(t, want.final, cfg.Postgres.FinalSnapshot)
			assert.Equal(t, want.final, cfg.Postgres.DeletionProtection)

			assert.Equal(t, want.redisType, cfg.Redis.NodeType)
			assert.Equal(t, want.redisNodes, cfg.Redis.Nodes)
			assert.Equal(t, want.redisFailover, cfg.Redis.AutomaticFailover)
			assert.Equal(t, want.redisFailover, cfg.Redis.MultiAz)
			assert.Equal(t, want.redisSnapshots, cfg.Redis.SnapshotRetentionDays)

			assert.Equal(t, config.Task{
				CPU: want.apiCPU, Memory: want.apiMem, MinCount: want.apiMin,
				MaxCount: want.apiMax, HealthCheckPath: "/health",
			}, cfg.API)
			assert.Equal(t, config.Task{
				CPU: want.workerCPU, Memory: want.workerMem,
				MinCount: want.workerMin, MaxCount: want.workerMax,
			}, cfg.Worker)
			assert.Equal(t, 1, cfg.Beat.MinCount)
			assert.Equal(t, 1, cfg.Beat.MaxCount)

			assert.Equal(t, want.priceClass, cfg.CDN.PriceClass)
			assert.Equal(t, want.logDays, cfg.LogRetentionDays)
			assert.Equal(t, want.monitoring, cfg.DetailedMonitoring)
			assert.Equal(t, want.protect, cfg.Protect)
			assert.Equal(t, want.recoveryDays, cfg.SecretRecoveryWindowDays)
			assert.Equal(t, "us-east-1", cfg.Region)
		})
	}
}

func TestStackFilesStateEveryMatrixSizeExplicitly(t *testing.T) {
	t.Parallel()

	explicit := map[string][]string{
		"socialflow:network": {"vpcCidr", "publicSubnetCidrs", "privateSubnetCidrs", "natGateways"},
		"socialflow:postgres": {
			"instanceClass", "multiAz", "allocatedStorageGb", "maxAllocatedStorageGb",
			"backupRetentionDays", "finalSnapshot", "deletionProtection",
		},
		"socialflow:redis": {
			"nodeType", "nodes", "automaticFailover", "multiAz", "snapshotRetentionDays",
		},
		"socialflow:api":    {"cpu", "memory", "minCount", "maxCount"},
		"socialflow:worker": {"cpu", "memory", "minCount", "maxCount"},
		"socialflow:beat":   {"minCount", "maxCount"},
		"socialflow:cdn":    {"priceClass"},
	}
	scalars := []string{
		"socialflow:logRetentionDays", "socialflow:detailedMonitoring",
		"socialflow:protect", "socialflow:secretRecoveryWindowDays",
	}
	for _, stack := range config.Environments {
		raw := stackConfig(t, stack)
		for _, k := range scalars {
			assert.Contains(t, raw, k, "stack %s", stack)
		}
		for key, fields := range explicit {
			require.Contains(t, raw, key, "stack %s", stack)
			for _, f := range fields {
				assert.Contains(t, raw[key], `"`+f+`":`, "stack %s must state %s.%s", stack, key, f)
			}
		}
	}
}

func TestOmittedSettingsTakeTheDefaults(t *testing.T) {
	t.Parallel()

	raw := map[string]string{
		"aws:region":             "eu-west-1",
		"socialflow:environment": "dev",
		"socialflow:network": `{"vpcCidr":"10.0.0.0/16",` +
			`"publicSubnetCidrs":["10.0.101.0/24","10.0.102.0/24","10.0.103.0/24"],` +
			`"privateSubnetCidrs":["10.0.1.0/24","10.0.2.0/24","10.0.3.0/24"]}`,
	}
	cfg, err := config.Load(raw)
	require.NoError(t, err)

	want := config.Defaults()
	assert.Equal(t, want.Postgres, cfg.Postgres)
	assert.Equal(t, want.Redis, cfg.Redis)
	assert.Equal(t, want.API, cfg.API)
	assert.Equal(t, want.Alarms, cfg.Alarms)
	assert.Equal(t, config.NatSingle, cfg.Network.NatGateways)
	assert.Equal(t, []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, cfg.Network.AvailabilityZones)
	assert.Equal(t, "socialflow-dev", cfg.Name())
}

// badCase changes a valid stack's raw configuration and names the message
// the change must produce.
type badCase struct {
	stack  string
	set    map[string]string
	delete []string
	want   string
}

func TestBadStackConfigIsRejectedWithKeyValueAndAllowed(t *testing.T) {
	t.Parallel()

	net := func(publicCidrs, privateCidrs, extra string) string {
		return fmt.Sprintf(`{"vpcCidr":"10.0.0.0/16","publicSubnetCidrs":%s,`+
			`"privateSubnetCidrs":%s,"natGateways":"single"%s}`, publicCidrs, privateCidrs, extra)
	}
	pub := `["10.0.101.0/24","10.0.102.0/24","10.0.103.0/24"]`
	priv := `["10.0.1.0/24","10.0.2.0/24","10.0.3.0/24"]`

	tests := map[string]badCase{
		"missing-environment": {delete: []string{"socialflow:environment"},
			want: `socialflow:environment is missing: want one of "dev", "staging", "prod"`},
		"unknown-environment": {set: map[string]string{"socialflow:environment": "qa"},
			want: `socialflow:environment "qa": want one of "dev", "staging", "prod"`},
		"missing-region": {delete: []string{"aws:region"},
			want: "aws:region is missing"},
		"missing-network": {delete: []string{"socialflow:network"},
			want: "socialflow:network is missing"},
		"unknown-key": {set: map[string]string{"socialflow:netwrk": "{}"},
			want: "socialflow:netwrk is not a known key: want one of alarms, api,"},
		"unknown-nested-key": {
			set:  map[string]string{"socialflow:network": net(pub, priv, `,"vpcCIDR":"x"`)},
			want: "socialflow:network.vpcCIDR is not a known key: want one of availabilityZones,"},
		"malformed-vpc-cidr": {
			set: map[string]string{"socialflow:network": `{"vpcCidr":"10.0.0.0/33",` +
				`"publicSubnetCidrs":` + pub + `,"privateSubnetCidrs":` + priv + `}`},
			want: `socialflow:network.vpcCidr "10.0.0.0/33": want an IPv4 CIDR block`},
		"subnet-outside-vpc": {
			set: map[string]string{"socialflow:network": net(
				`["10.9.101.0/24","10.0.102.0/24","10.0.103.0/24"]`, priv, "")},
			want: `socialflow:network.publicSubnetCidrs[0] "10.9.101.0/24": ` +
				`want a block inside the VPC CIDR 10.0.0.0/16`},
		"overlapping-subnets": {
			set: map[string]string{"socialflow:network": net(
				pub, `["10.0.1.0/24","10.0.1.128/25","10.0.3.0/24"]`, "")},
			want: `socialflow:network.privateSubnetCidrs[1] "10.0.1.128/25": want a block ` +
				`that does not overlap socialflow:network.privateSubnetCidrs[0] (10.0.1.0/24)`},
		"two-subnets-for-three-zones": {
			set: map[string]string{
				"socialflow:network": net(`["10.0.101.0/24","10.0.102.0/24"]`, priv, ""),
			},
			want: `socialflow:network.publicSubnetCidrs ["10.0.101.0/24" "10.0.102.0/24"]: ` +
				`want one subnet per availability zone (3)`},
		"nat-mode": {
			set:  map[string]string{"socialflow:network": net(pub, priv, `,"natGateways":"two"`)},
			want: `socialflow:network.natGateways "two": want "single" or "perAz"`},
		"zone-of-another-region": {
			set: map[string]string{"socialflow:network": net(pub, priv,
				`,"availabilityZones":["eu-west-1a","us-east-1b","us-east-1c"]`)},
			want: `socialflow:network.availabilityZones "eu-west-1a": ` +
				`want distinct zones of region us-east-1`},
		"fargate-pair": {stack: "prod", set: map[string]string{
			"socialflow:api": `{"cpu":2048,"memory":2048,"minCount":3,"maxCount":10}`},
			want: `socialflow:api.cpu/memory "2048/2048": want a Fargate size: 256 with 512, 1024 or 2048;`},
		"min-above-max": {stack: "staging", set: map[string]string{
			"socialflow:worker": `{"cpu":1024,"memory":2048,"minCount":5,"maxCount":4}`},
			want: "socialflow:worker.maxCount 4: want at least minCount (5) and at most 100"},
		"beat-not-singleton": {set: map[string]string{
			"socialflow:beat": `{"cpu":256,"memory":512,"minCount":1,"maxCount":2}`},
			want: `socialflow:beat.minCount/maxCount "1/2": want 1/1`},
		"failover-single-node": {set: map[string]string{
			"socialflow:redis": `{"nodeType":"cache.t3.micro","nodes":1,"automaticFailover":true}`},
			want: "socialflow:redis.automaticFailover true: " +
				"want false with 1 node: failover needs a replica"},
		"multi-az-single-node": {set: map[string]string{
			"socialflow:redis": `{"nodeType":"cache.t3.micro","nodes":1,"multiAz":true}`},
			want: "socialflow:redis.multiAz true: want false with 1 node: Multi-AZ needs a replica"},
		"log-retention": {set: map[string]string{"socialflow:logRetentionDays": "10"},
			want: "socialflow:logRetentionDays 10: want a CloudWatch Logs retention: 1, 3, 5, 7, 14,"},
		"postgres-class": {set: map[string]string{
			"socialflow:postgres": `{"instanceClass":"db.t3.nano"}`},
			want: `socialflow:postgres.instanceClass "db.t3.nano": want one of db.m5.2xlarge,`},
		"postgres-minor-version": {set: map[string]string{
			"socialflow:postgres": `{"engineVersion":"15.4"}`},
			want: `socialflow:postgres.engineVersion "15.4": want a major version only`},
		"postgres-version-as-number": {set: map[string]string{
			"socialflow:postgres": `{"engineVersion":15}`},
			want: "socialflow:postgres.engineVersion 15: want a string"},
		"postgres-storage": {set: map[string]string{
			"socialflow:postgres": `{"allocatedStorageGb":10}`},
			want: "socialflow:postgres.allocatedStorageGb 10: want 20 to 65536"},
		"postgres-retention": {set: map[string]string{
			"socialflow:postgres": `{"backupRetentionDays":40}`},
			want: "socialflow:postgres.backupRetentionDays 40: want 1 to 35 days"},
		"prod-unprotected": {stack: "prod", set: map[string]string{"socialflow:protect": "false"},
			want: "socialflow:protect false: want true in prod"},
		"prod-deletable-database": {stack: "prod", set: map[string]string{
			"socialflow:postgres": `{"instanceClass":"db.r6g.xlarge",` +
				`"finalSnapshot":false,"deletionProtection":false}`},
			want: "socialflow:postgres.deletionProtection false: want true in prod"},
		"staging-without-https": {stack: "staging", set: map[string]string{
			"socialflow:loadBalancer": `{"certificateArn":""}`},
			want: `socialflow:loadBalancer.certificateArn "": ` +
				`want an ACM certificate ARN: HTTP without TLS is allowed in dev only`},
		"certificate-of-another-region": {stack: "prod", set: map[string]string{
			"socialflow:loadBalancer": `{"certificateArn":"arn:aws:acm:eu-west-1:111122223333:` +
				`certificate/11111111-2222-3333-4444-555555555555"}`},
			want: "want an ACM certificate ARN in the stack's region us-east-1"},
		"recovery-window": {stack: "staging", set: map[string]string{
			"socialflow:secretRecoveryWindowDays": "0"},
			want: "socialflow:secretRecoveryWindowDays 0: want 7 to 30 days outside dev"},
		"recovery-window-range": {set: map[string]string{
			"socialflow:secretRecoveryWindowDays": "3"},
			want: "socialflow:secretRecoveryWindowDays 3: want 0 (delete at once) or 7 to 30 days"},
		"integer-as-word": {set: map[string]string{
			"socialflow:api": `{"cpu":"big"}`},
			want: `socialflow:api.cpu "big": want a whole number`},
		"boolean-as-word": {set: map[string]string{"socialflow:protect": "yes"},
			want: `socialflow:protect "yes": want true or false`},
		"object-as-scalar": {set: map[string]string{"socialflow:redis": "large"},
			want: `socialflow:redis "large": want an object`},
		"malformed-email": {set: map[string]string{
			"socialflow:alarms": `{"emails":["ops at example.com"]}`},
			want: `socialflow:alarms.emails[0] "ops at example.com": want a bare e-mail address`},
		"alarm-threshold": {set: map[string]string{"socialflow:alarms": `{"cpuPercent":150}`},
			want: "socialflow:alarms.cpuPercent 150: want a percentage above 0 and at most 100"},
		"alarm-period": {set: map[string]string{"socialflow:alarms": `{"periodSeconds":90}`},
			want: "socialflow:alarms.periodSeconds 90: want a multiple of 60 from 60 to 86400"},
		"alarm-connections-share": {set: map[string]string{
			"socialflow:alarms": `{"dbConnectionsPercent":100}`},
			want: "socialflow:alarms.dbConnectionsPercent 100: want a percentage above 0 and below 100"},
		"alarm-latency": {set: map[string]string{"socialflow:alarms": `{"latencySeconds":0}`},
			want: "socialflow:alarms.latencySeconds 0: want above 0 and at most 60 seconds"},
		"alarm-email-with-name": {set: map[string]string{
			"socialflow:alarms": `{"emails":["Ops <ops@example.com>"]}`},
			want: `socialflow:alarms.emails[0] "Ops <ops@example.com>": want a bare e-mail address`},
		"misspelled-namespace": {set: map[string]string{"socialfow:logRetentionDays": "30"},
			want: `socialfow:logRetentionDays "30": want a key in the socialflow: namespace`},
		"namespace-case": {set: map[string]string{"Socialflow:protect": "true"},
			want: `Socialflow:protect "true": want a key in the socialflow: namespace`},
		"evaluation-periods-overflow": {set: map[string]string{
			"socialflow:alarms": `{"evaluationPeriods":9223372036854775807}`},
			want: "socialflow:alarms.evaluationPeriods 9223372036854775807: " +
				"want 1 or more, spanning at most one day"},
		"lifecycle-days-overflow": {set: map[string]string{
			"socialflow:storage": `{"infrequentAccessAfterDays":9223372036854775807}`},
			want: "socialflow:storage.infrequentAccessAfterDays 9223372036854775807: want 30 or more"},
		"duplicate-subscriber": {set: map[string]string{
			"socialflow:alarms": `{"emails":["a.b@example.com","a-b@example.com"]}`},
			want: `socialflow:alarms.emails[1] "a-b@example.com": ` +
				`want an address not already subscribed (as a.b@example.com)`},
		"zone-letter": {set: map[string]string{"socialflow:network": net(pub, priv,
			`,"availabilityZones":["us-east-1A","us-east-1b","us-east-1c"]`)},
			want: `socialflow:network.availabilityZones "us-east-1A": ` +
				`want distinct zones of region us-east-1`},
		"health-path-with-space": {set: map[string]string{
			"socialflow:api": `{"cpu":512,"memory":1024,"healthCheckPath":"/he alth"}`},
			want: `socialflow:api.healthCheckPath "/he alth": want a URL path starting with /`},
		"worker-health-path": {set: map[string]string{
			"socialflow:worker": `{"cpu":512,"memory":1024,"healthCheckPath":"/health"}`},
			want: `socialflow:worker.healthCheckPath "/health": ` +
				`want no value: only the API is behind the load balancer`},
		"cors-origin-port": {set: map[string]string{
			"socialflow:storage": `{"corsOrigins":["https://a.example.com:99999"]}`},
			want: `socialflow:storage.corsOrigins[0] "https://a.example.com:99999": want an origin`},
		"price-class": {set: map[string]string{"socialflow:cdn": `{"priceClass":"PriceClass_50"}`},
			want: `socialflow:cdn.priceClass "PriceClass_50": ` +
				`want one of "PriceClass_100", "PriceClass_200", "PriceClass_All"`},
		"cdn-certificate-region": {set: map[string]string{
			"socialflow:cdn": `{"priceClass":"PriceClass_100","domain":"cdn.example.com",` +
				`"certificateArn":"arn:aws:acm:eu-west-1:111122223333:` +
				`certificate/11111111-2222-3333-4444-555555555555"}`},
			want: "want an ACM certificate ARN in us-east-1, where CloudFront reads certificates"},
		"infrequent-access-too-soon": {set: map[string]string{
			"socialflow:storage": `{"infrequentAccessAfterDays":20}`},
			want: "socialflow:storage.infrequentAccessAfterDays 20: want 30 or more"},
		"prebuilt-image-by-tag": {set: map[string]string{
			"socialflow:image": `{"prebuilt":"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest"}`},
			want: "want an image pinned by digest"},
		"cpu-architecture": {set: map[string]string{"socialflow:image": `{"architecture":"arm"}`},
			want: `socialflow:image.architecture "arm": want "X86_64" or "ARM64"`},
		"cors-origin-with-path": {stack: "prod", set: map[string]string{
			"socialflow:storage": `{"corsOrigins":["http://socialflow.example.com/app"]}`},
			want: `socialflow:storage.corsOrigins[0] "http://socialflow.example.com/app": want an origin`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()

			stack := tc.stack
			if stack == "" {
				stack = "dev"
			}
			raw := stackConfig(t, stack)
			for k, v := range tc.set {
				raw[k] = v
			}
			for _, k := range tc.delete {
				delete(raw, k)
			}

			cfg, err := config.Load(raw)
			require.Error(t, err)
			assert.Nil(t, cfg)
			var cfgErr *config.Error
			require.True(t, errors.As(err, &cfgErr), "a *config.Error, got %T", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	t.Parallel()

	raw := stackConfig(t, "prod")
	raw["socialflow:logRetentionDays"] = "10"
	raw["socialflow:protect"] = "false"
	raw["socialflow:redis"] = `{"nodeType":"cache.t3.huge","nodes":9}`

	_, err := config.Load(raw)
	var cfgErr *config.Error
	require.ErrorAs(t, err, &cfgErr)
	assert.Len(t, cfgErr.Problems, 4, "problems: %q", cfgErr.Problems)
	assert.Contains(t, err.Error(), "(4 problems)")
}

func TestLongValuesAreShortenedInMessages(t *testing.T) {
	t.Parallel()

	raw := stackConfig(t, "dev")
	raw["socialflow:cdn"] = `{"priceClass":"` + strings.Repeat("x", 5000) + `"}`

	_, err := config.Load(raw)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "(1 problem)")
	assert.Contains(t, err.Error(), "… (5002 characters): want one of")
	assert.Less(t, len(err.Error()), 400)
}

func TestFargateSizes(t *testing.T) {
	t.Parallel()

	tests := []struct {
		cpu, memory int
		valid       bool
	}{
		{256, 512, true}, {256, 2048, true}, {256, 1536, false}, {256, 4096, false},
		{512, 1024, true}, {512, 4096, true}, {512, 512, false}, {512, 1536, false},
		{1024, 2048, true}, {1024, 8192, true}, {1024, 1024, false},
		{2048, 4096, true}, {2048, 16384, true}, {2048, 17408, false},
		{4096, 8192, true}, {4096, 30720, true}, {4096, 31744, false},
		{8192, 16384, true}, {8192, 20480, true}, {8192, 17408, false},
		{16384, 32768, true}, {16384, 122880, true}, {16384, 36864, false},
		{300, 1024, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.valid, config.ValidFargateSize(tc.cpu, tc.memory),
			"cpu %d memory %d", tc.cpu, tc.memory)
	}
}
