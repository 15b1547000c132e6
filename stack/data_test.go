package stack_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const (
	rdsInstance      = "aws:rds/instance:Instance"
	rdsParamGroup    = "aws:rds/parameterGroup:ParameterGroup"
	rdsSubnetGroup   = "aws:rds/subnetGroup:SubnetGroup"
	cacheGroup       = "aws:elasticache/replicationGroup:ReplicationGroup"
	cacheParamGroup  = "aws:elasticache/parameterGroup:ParameterGroup"
	cacheSubnetGroup = "aws:elasticache/subnetGroup:SubnetGroup"
	logGroup         = "aws:cloudwatch/logGroup:LogGroup"
	iamRole          = "aws:iam/role:Role"
	iamAttachment    = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	secret           = "aws:secretsmanager/secret:Secret"
	secretVersion    = "aws:secretsmanager/secretVersion:SecretVersion"
)

// dataMatrix is the environment matrix for the data tier, as the
// specification states it.
type dataMatrix struct {
	stack string
	// Postgres
	class              string
	multiAz            bool
	storageGb          float64
	backupDays         float64
	finalSnapshot      bool
	deletionProtection bool
	// effectiveCachePages is effective_cache_size in 8 kB pages: 3 GiB in
	// prod, min(3 GiB, half the class memory) elsewhere.
	effectiveCachePages string
	// Redis
	nodeType     string
	nodes        float64
	failover     bool
	snapshotDays float64
	protect      bool
	logRetention float64
	recoveryDays float64
}

var matrix = []dataMatrix{
	{
		stack: "dev", class: "db.t3.small", multiAz: false, storageGb: 20, backupDays: 3,
		finalSnapshot: false, deletionProtection: false,
		effectiveCachePages: "131072", // 1 GiB: half of db.t3.small's 2 GiB
		nodeType:            "cache.t3.micro", nodes: 1, failover: false, snapshotDays: 1,
		protect: false, logRetention: 7, recoveryDays: 0,
	},
	{
		stack: "staging", class: "db.t3.medium", multiAz: true, storageGb: 50, backupDays: 7,
		finalSnapshot: true, deletionProtection: true,
		effectiveCachePages: "262144", // 2 GiB: half of db.t3.medium's 4 GiB
		nodeType:            "cache.t3.small", nodes: 2, failover: true, snapshotDays: 3,
		protect: false, logRetention: 30, recoveryDays: 7,
	},
	{
		stack: "prod", class: "db.r6g.xlarge", multiAz: true, storageGb: 100, backupDays: 30,
		finalSnapshot: true, deletionProtection: true,
		effectiveCachePages: "393216", // 3 GiB
		nodeType:            "cache.r6g.large", nodes: 3, failover: true, snapshotDays: 7,
		protect: true, logRetention: 90, recoveryDays: 30,
	},
}

// eachStack runs check on every stack of the matrix, each in a parallel
// subtest named after the stack.
func eachStack(t *testing.T, check func(t *testing.T, m dataMatrix, r *harness.Result)) {
	t.Helper()

	for _, m := range matrix {
		t.Run(m.stack, func(t *testing.T) {
			t.Parallel()

			check(t, m, preview(t, m.stack))
		})
	}
}

// stringList converts a recorded list input to strings.
func stringList(t *testing.T, v any) []string {
	t.Helper()

	list, ok := v.([]any)
	require.True(t, ok, "%v is a list", v)
	out := make([]string, len(list))
	for i, e := range list {
		out[i], ok = e.(string)
		require.True(t, ok, "%v is a string", e)
	}

	return out
}

// dbOf and cacheOf return the stack's database and replication group.
func dbOf(t *testing.T, r *harness.Result, stack string) *harness.Resource {
	t.Helper()

	return find(t, r, rdsInstance, "socialflow-"+stack+"-db")
}

func cacheOf(t *testing.T, r *harness.Result, stack string) *harness.Resource {
	t.Helper()

	return find(t, r, cacheGroup, "socialflow-"+stack+"-redis")
}

// keyArnPattern is a KMS key ARN; an alias ARN or name does not match.
var keyArnPattern = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]+$`)

// rdsNamePattern is what RDS accepts for instance and snapshot identifiers.
var rdsNamePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

func customerKey(t *testing.T, r *harness.Result) string {
	t.Helper()

	arn, ok := r.Outputs["kmsKeyArn"].(string)
	require.True(t, ok, "the stack exports its customer key ARN")
	require.Regexp(t, keyArnPattern, arn)

	return arn
}

func TestPostgresSizingFollowsTheEnvironmentMatrix(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)

		assert.Equal(t, "postgres", db.Inputs["engine"])
		assert.Equal(t, "15", db.Inputs["engineVersion"], "major version only")
		assert.Equal(t, true, db.Inputs["autoMinorVersionUpgrade"])
		assert.Equal(t, m.class, db.Inputs["instanceClass"])
		assert.Equal(t, m.multiAz, db.Inputs["multiAz"])
		assert.Equal(t, "gp3", db.Inputs["storageType"])
		assert.Equal(t, m.storageGb, db.Inputs["allocatedStorage"])
		assert.Equal(t, 500.0, db.Inputs["maxAllocatedStorage"])
		assert.Equal(t, m.backupDays, db.Inputs["backupRetentionPeriod"])
	})
}

func TestPostgresGp3BelowFourHundredGBSetsNoIopsOrThroughput(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)
		require.Less(t, db.Inputs["allocatedStorage"], 400.0,
			"below 400 GB gp3 takes neither setting")

		assert.NotContains(t, db.Inputs, "iops")
		assert.NotContains(t, db.Inputs, "storageThroughput")
	})
}

func TestPostgresGuardsAgainstLossWhereTheStackAsks(t *testing.T) {
	t.Parallel()

	for _, m := range matrix {
		t.Run(m.stack, func(t *testing.T) {
			t.Parallel()

			db := dbOf(t, preview(t, m.stack), m.stack)

			assert.Equal(t, m.deletionProtection, db.Inputs["deletionProtection"])
			assert.Equal(t, !m.finalSnapshot, db.Inputs["skipFinalSnapshot"])
			assert.Equal(t, m.protect, db.Protect, "pulumi protect")
			assert.Equal(t, true, db.Inputs["copyTagsToSnapshot"])
			if !m.finalSnapshot {
				assert.NotContains(t, db.Inputs, "finalSnapshotIdentifier")

				return
			}
			snap, ok := db.Inputs["finalSnapshotIdentifier"].(string)
			require.True(t, ok, "a final snapshot needs a name")
			assert.Equal(t, "socialflow-"+m.stack+"-db-final", snap, "fixed per stack")
			assert.Regexp(t, rdsNamePattern, snap)
			assert.LessOrEqual(t, len(snap), 255)
		})
	}
}

// wantParameter is one parameter the specification asks for, with the unit
// PostgreSQL reads it in.
type wantParameter struct {
	value string
	unit  string
	apply string
}

func TestPostgresParametersAreIntegersInTheirOwnUnitAndStaticOnesApplyOnReboot(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)
		group := find(t, r, rdsParamGroup, "socialflow-"+m.stack+"-db-params")
		// The harness names auto-named resources by their logical name.
		require.Equal(t, group.Name, db.Inputs["parameterGroupName"],
			"the instance uses the group")
		assert.Equal(t, "postgres15", group.Inputs["family"])

		// Static parameters (shared_preload_libraries, max_connections)
		// refuse "immediate"; the others are dynamic.
		want := map[string]wantParameter{
			"shared_preload_libraries":   {"pg_stat_statements", "", "pending-reboot"},
			"max_connections":            {"200", "connections", "pending-reboot"},
			"work_mem":                   {strconv.Itoa(16 * 1024), "kB", "immediate"},
			"maintenance_work_mem":       {strconv.Itoa(512 * 1024), "kB", "immediate"},
			"effective_cache_size":       {m.effectiveCachePages, "8kB", "immediate"},
			"log_min_duration_statement": {"1000", "ms", "immediate"},
			"rds.force_ssl":              {"1", "boolean", "immediate"},
		}
		got := map[string]wantParameter{}
		params, ok := group.Inputs["parameters"].([]any)
		require.True(t, ok, "parameters is a list")
		for _, p := range params {
			entry := p.(map[string]any)
			name := entry["name"].(string)
			got[name] = wantParameter{
				value: entry["value"].(string),
				unit:  want[name].unit,
				apply: entry["applyMethod"].(string),
			}
			if want[name].unit != "" {
				_, err := strconv.Atoi(entry["value"].(string))
				assert.NoError(t, err, "%s is a bare integer in %s", name, want[name].unit)
			}
		}
		assert.Equal(t, want, got)
	})
}

func TestPostgresEncryptsEverythingWithTheCustomerKeyArn(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)
		key := customerKey(t, r)

		assert.Equal(t, true, db.Inputs["storageEncrypted"])
		for _, k := range []string{
			"kmsKeyId", "performanceInsightsKmsKeyId", "masterUserSecretKmsKeyId",
		} {
			assert.Equal(t, key, db.Inputs[k], "%s is the key ARN, never an alias", k)
			assert.Regexp(t, keyArnPattern, db.Inputs[k])
		}
	})
}

func TestPostgresHasPerformanceInsightsAndEnhancedMonitoring(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)

		// RDS for PostgreSQL has no instance class restriction for
		// Performance Insights, db.t3.small included.
		assert.Equal(t, true, db.Inputs["performanceInsightsEnabled"])
		assert.Equal(t, 7.0, db.Inputs["performanceInsightsRetentionPeriod"])
		assert.Equal(t, 60.0, db.Inputs["monitoringInterval"])

		roleName := "socialflow-" + m.stack + "-db-monitoring"
		role := find(t, r, iamRole, roleName)
		assert.Regexp(t, `^arn:aws:iam::\d{12}:role/`+regexp.QuoteMeta(roleName)+`$`,
			db.Inputs["monitoringRoleArn"], "the instance uses the monitoring role")
		var trust struct {
			Statement []struct {
				Effect    string
				Action    string
				Principal map[string]string
			}
		}
		require.NoError(t, json.Unmarshal([]byte(role.Inputs["assumeRolePolicy"].(string)),
			&trust))
		require.Len(t, trust.Statement, 1)
		assert.Equal(t, "monitoring.rds.amazonaws.com", trust.Statement[0].Principal["Service"])
		assert.Equal(t, "sts:AssumeRole", trust.Statement[0].Action)

		attach := find(t, r, iamAttachment, roleName)
		assert.Equal(t, roleName, attach.Inputs["role"])
		assert.Equal(t,
			"arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
			attach.Inputs["policyArn"])
		assert.Contains(t, db.DependsOn, attach.URN,
			"RDS checks the role's permissions when the instance is created")
	})
}

func TestPostgresExportsLogsToEncryptedGroupsWithRetentionCreatedFirst(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)
		key := customerKey(t, r)

		identifier, ok := db.Inputs["identifier"].(string)
		require.True(t, ok, "an explicit identifier makes the log group names known")
		assert.Equal(t, "socialflow-"+m.stack+"-db", identifier)
		assert.Regexp(t, rdsNamePattern, identifier)
		assert.LessOrEqual(t, len(identifier), 63)
		assert.NotContains(t, db.Inputs, "identifierPrefix")

		assert.Equal(t, []string{"postgresql", "upgrade"},
			stringList(t, db.Inputs["enabledCloudwatchLogsExports"]))
		for _, export := range []string{"postgresql", "upgrade"} {
			group := find(t, r, logGroup, identifier+"-"+export)
			assert.Equal(t, "/aws/rds/instance/"+identifier+"/"+export, group.Inputs["name"])
			assert.Equal(t, m.logRetention, group.Inputs["retentionInDays"])
			assert.Equal(t, key, group.Inputs["kmsKeyId"])
			assert.Contains(t, db.DependsOn, group.URN, "the group exists before RDS writes")
		}
	})
}

func TestPostgresIsReachableOnlyFromThePrivateSubnetsWithIAMAuth(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)
		subnets := find(t, r, rdsSubnetGroup, "socialflow-"+m.stack+"-db-subnets")
		groups := r.Outputs["securityGroupIds"].(map[string]string)

		assert.Equal(t, subnets.Name, db.Inputs["dbSubnetGroupName"])
		assert.Equal(t, r.Outputs["privateSubnetIds"],
			stringList(t, subnets.Inputs["subnetIds"]))
		assert.Equal(t, false, db.Inputs["publiclyAccessible"])
		assert.Equal(t, []string{groups["postgres"]},
			stringList(t, db.Inputs["vpcSecurityGroupIds"]))
		assert.Equal(t, true, db.Inputs["iamDatabaseAuthenticationEnabled"])
		assert.Equal(t, 5432.0, db.Inputs["port"])
		assert.Equal(t, "socialflow", db.Inputs["dbName"])
	})
}

func TestPostgresMasterPasswordIsManagedByRDS(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		db := dbOf(t, r, m.stack)

		assert.Equal(t, true, db.Inputs["manageMasterUserPassword"])
		assert.NotContains(t, db.Inputs, "password")
		assert.Equal(t, "socialflow_admin", db.Inputs["username"])
		assert.Regexp(t, `^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:rds!db-`,
			r.Outputs["postgresSecretArn"], "the secret RDS manages")
		assert.EqualValues(t, 5432, r.Outputs["postgresPort"])
		assert.Regexp(t, `^socialflow-`+m.stack+`-db\..+\.rds\.amazonaws\.com$`,
			r.Outputs["postgresEndpoint"])
	})
}

func TestRedisSizingFollowsTheEnvironmentMatrix(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)

		assert.Equal(t, "redis", c.Inputs["engine"])
		assert.Equal(t, "7.1", c.Inputs["engineVersion"])
		assert.Equal(t, true, c.Inputs["autoMinorVersionUpgrade"], "security patches")
		assert.Equal(t, m.nodeType, c.Inputs["nodeType"])
		assert.Equal(t, m.nodes, c.Inputs["numCacheClusters"])
		assert.Equal(t, m.failover, c.Inputs["automaticFailoverEnabled"])
		assert.Equal(t, m.failover, c.Inputs["multiAzEnabled"])
		assert.Equal(t, m.snapshotDays, c.Inputs["snapshotRetentionLimit"])
		assert.Equal(t, 6379.0, c.Inputs["port"])
	})
}

func TestRedisFailoverAndMultiAzNeedTwoNodes(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)

		if c.Inputs["numCacheClusters"].(float64) < 2 {
			assert.Equal(t, false, c.Inputs["automaticFailoverEnabled"])
			assert.Equal(t, false, c.Inputs["multiAzEnabled"])
		}
		if c.Inputs["multiAzEnabled"] == true {
			assert.Equal(t, true, c.Inputs["automaticFailoverEnabled"])
		}
	})
}

func TestRedisReplicationGroupIDFitsWithPulumiSuffix(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)

		assert.NotContains(t, c.Inputs, "replicationGroupId", "Pulumi names the group")
		// Pulumi appends "-" and seven characters; ElastiCache allows 40.
		assert.LessOrEqual(t, len(c.Name)+8, 40, "replication group ID of %s", c.Name)
		assert.Regexp(t, rdsNamePattern, c.Name)
	})
}

func TestRedisEncryptsAtRestWithTheKeyArnAndInTransitBehindAnAuthToken(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)

		assert.Equal(t, true, c.Inputs["atRestEncryptionEnabled"])
		assert.Equal(t, customerKey(t, r), c.Inputs["kmsKeyId"])
		assert.Equal(t, true, c.Inputs["transitEncryptionEnabled"])
		assert.Equal(t, harness.Secret, c.Inputs["authToken"], "the token is marked secret")

		stored := find(t, r, secretVersion, "socialflow-"+m.stack+"-redis-auth-token")
		assert.Equal(t, stored.Raw("secretString"), c.Raw("authToken"),
			"the group uses the token kept in Secrets Manager")
	})
}

func TestRedisAuthTokenMeetsElastiCacheRules(t *testing.T) {
	t.Parallel()

	// ElastiCache takes 16 to 128 printable characters; of the punctuation
	// only !&#$^<>- is allowed, so never @, " or /.
	allowed := regexp.MustCompile(`^[A-Za-z0-9!&#$^<>-]{16,128}$`)
	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		token, ok := cacheOf(t, r, m.stack).Raw("authToken").(string)
		require.True(t, ok, "the token is a string")

		assert.Regexp(t, allowed, token)
		assert.NotContains(t, token, "@")
		assert.NotContains(t, token, `"`)
		assert.NotContains(t, token, "/")
		assert.Len(t, token, 64, "the generated length")
	})
}

func TestRedisParameterGroupEvictsLRUAndClosesIdleClients(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)
		group := find(t, r, cacheParamGroup, "socialflow-"+m.stack+"-redis-params")

		assert.Equal(t, group.Name, c.Inputs["parameterGroupName"])
		assert.Equal(t, "redis7", group.Inputs["family"])
		assert.ElementsMatch(t, []any{
			map[string]any{"name": "maxmemory-policy", "value": "allkeys-lru"},
			map[string]any{"name": "timeout", "value": "300"},
			map[string]any{"name": "tcp-keepalive", "value": "300"},
		}, group.Inputs["parameters"])
	})
}

func TestRedisLivesInThePrivateSubnets(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)
		subnets := find(t, r, cacheSubnetGroup, "socialflow-"+m.stack+"-redis-subnets")
		groups := r.Outputs["securityGroupIds"].(map[string]string)

		assert.Equal(t, subnets.Name, c.Inputs["subnetGroupName"])
		assert.Equal(t, r.Outputs["privateSubnetIds"],
			stringList(t, subnets.Inputs["subnetIds"]))
		assert.Equal(t, []string{groups["redis"]}, stringList(t, c.Inputs["securityGroupIds"]))
	})
}

func TestRedisDeliversSlowAndEngineLogsAsJSONToEncryptedGroups(t *testing.T) {
	t.Parallel()

	for _, m := range matrix {
		t.Run(m.stack, func(t *testing.T) {
			t.Parallel()

			r := preview(t, m.stack)
			c := cacheOf(t, r, m.stack)
			key := customerKey(t, r)

			deliveries, ok := c.Inputs["logDeliveryConfigurations"].([]any)
			require.True(t, ok, "log delivery is configured")
			var types []string
			for _, d := range deliveries {
				entry := d.(map[string]any)
				logType := entry["logType"].(string)
				types = append(types, logType)
				assert.Equal(t, "cloudwatch-logs", entry["destinationType"])
				assert.Equal(t, "json", entry["logFormat"])

				group := find(t, r, logGroup, c.Name+"-"+logType)
				assert.Equal(t, group.Inputs["name"], entry["destination"])
				assert.Equal(t, m.logRetention, group.Inputs["retentionInDays"])
				assert.Equal(t, key, group.Inputs["kmsKeyId"])
			}
			assert.ElementsMatch(t, []string{"slow-log", "engine-log"}, types)
		})
	}
}

// weekMinutes parses an ElastiCache window, daily ("hh:mm-hh:mm") or weekly
// ("ddd:hh:mm-ddd:hh:mm"), into [start, end) minute ranges of the week; a
// window that crosses midnight (or the week's end) ends the next day.
func weekMinutes(t *testing.T, window string) [][2]int {
	t.Helper()

	const day, week = 24 * 60, 7 * 24 * 60
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	clock := func(s string) int {
		var h, m int
		_, err := fmt.Sscanf(s, "%d:%d", &h, &m)
		require.NoError(t, err, "window %q", window)

		return h*60 + m
	}
	weekday := func(s string) int {
		i := slices.Index(days, s)
		require.GreaterOrEqual(t, i, 0, "day %q of window %q", s, window)

		return i
	}
	from, to, ok := strings.Cut(window, "-")
	require.True(t, ok, "window %q", window)

	if len(from) == len("hh:mm") {
		start, end := clock(from), clock(to)
		if end <= start {
			end += day
		}
		ranges := make([][2]int, 0, len(days))
		for d := range days {
			ranges = append(ranges, [2]int{d*day + start, d*day + end})
		}

		return ranges
	}
	start := weekday(from[:3])*day + clock(from[4:])
	end := weekday(to[:3])*day + clock(to[4:])
	if end <= start {
		end += week
	}

	return [][2]int{{start, end}}
}

func TestRedisSnapshotAndMaintenanceWindowsDoNotOverlap(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)
		snapshots := weekMinutes(t, c.Inputs["snapshotWindow"].(string))
		maintenance := weekMinutes(t, c.Inputs["maintenanceWindow"].(string))
		require.Len(t, snapshots, 7, "the snapshot window is daily")
		require.Len(t, maintenance, 1, "the maintenance window is weekly")

		week := 7 * 24 * 60
		mw := maintenance[0]
		assert.GreaterOrEqual(t, mw[1]-mw[0], 60, "maintenance lasts at least an hour")
		for _, s := range snapshots {
			assert.GreaterOrEqual(t, s[1]-s[0], 60, "snapshots get at least an hour")
			for _, shift := range []int{-week, 0, week} {
				overlap := s[0]+shift < mw[1] && mw[0] < s[1]+shift
				assert.False(t, overlap, "snapshot %v overlaps maintenance %v", s, mw)
			}
		}
	})
}

func TestRedisIsProtectedAndKeepsAFinalSnapshotInProtectedStacks(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)

		assert.Equal(t, m.protect, c.Protect, "pulumi protect")
		assert.Equal(t, m.protect, find(t, r, secret, c.Name+"-url").Protect)
		if !m.protect {
			assert.NotContains(t, c.Inputs, "finalSnapshotIdentifier")

			return
		}
		snap, ok := c.Inputs["finalSnapshotIdentifier"].(string)
		require.True(t, ok, "a protected group names its final snapshot")
		assert.Equal(t, c.Name+"-final", snap, "fixed per stack")
	})
}

func TestRedisURLSecretHoldsTheRedissURLWithTokenAndPrimaryEndpoint(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		c := cacheOf(t, r, m.stack)
		s := find(t, r, secret, c.Name+"-url")
		version := find(t, r, secretVersion, c.Name+"-url")

		assert.Equal(t, customerKey(t, r), s.Inputs["kmsKeyId"])
		assert.Equal(t, m.recoveryDays, s.Inputs["recoveryWindowInDays"])
		assert.Equal(t, r.Outputs["redisUrlSecretArn"], version.Inputs["secretId"],
			"the stack exports this secret's ARN")
		assert.Equal(t, harness.Secret, version.Inputs["secretString"])

		raw, ok := version.Raw("secretString").(string)
		require.True(t, ok, "the secret holds a string")
		u, err := url.Parse(raw)
		require.NoError(t, err)
		password, set := u.User.Password()
		assert.Equal(t, "rediss", u.Scheme)
		assert.True(t, set)
		assert.Empty(t, u.User.Username())
		assert.Equal(t, c.Raw("authToken"), password)
		assert.Equal(t, r.Outputs["redisEndpoint"], u.Hostname())
		assert.Equal(t, "6379", u.Port())
		assert.Equal(t, "/0", u.Path)
		assert.Equal(t, "required", u.Query().Get("ssl_cert_reqs"),
			"Celery refuses rediss:// without ssl_cert_reqs")
		assert.EqualValues(t, 6379, r.Outputs["redisPort"])
	})
}

func TestDataSecretsNeverAppearInThePreview(t *testing.T) {
	t.Parallel()

	eachStack(t, func(t *testing.T, m dataMatrix, r *harness.Result) {
		token, ok := cacheOf(t, r, m.stack).Raw("authToken").(string)
		require.True(t, ok, "the token is a string")
		require.NotEmpty(t, token)

		// The preview's JSON format is this document.
		preview, err := json.MarshalIndent(r, "", "  ")
		require.NoError(t, err)

		assert.Equal(t, harness.Secret, r.Outputs["redisUrl"])
		// The whole document is too long for a failure message.
		assert.True(t, strings.Contains(string(preview), `"redisUrl": "[secret]"`),
			"the preview shows the URL output as [secret]")
		assert.False(t, strings.Contains(string(preview), token),
			"the preview never shows the AUTH token")
		assert.False(t, strings.Contains(string(preview), "rediss://:"),
			"the preview never shows the connection URL")
	})
}

func TestStacksRestartEveryServiceAfterTheDatabasePasswordRotates(t *testing.T) {
	t.Parallel()

	forEachStack(t, func(t *testing.T, stack string, r *harness.Result, _ *config.Config) {
		rotations := r.OfType("aws:secretsmanager/secretRotation:SecretRotation")
		require.Len(t, rotations, 1)
		assert.Equal(t, r.Outputs["postgresSecretArn"], rotations[0].Inputs["secretId"],
			"the secret RDS manages for the master user")

		services := map[string]bool{}
		for _, svc := range r.OfType(serviceType) {
			services[svc.Name] = true
		}
		restarted := map[string]bool{}
		for _, s := range r.OfType("aws:scheduler/schedule:Schedule") {
			var input map[string]any
			target := s.Inputs["target"].(map[string]any)
			require.NoError(t, json.Unmarshal([]byte(target["input"].(string)), &input))
			assert.Equal(t, r.Outputs["clusterName"], input["cluster"])
			restarted[input["service"].(string)] = true
		}
		assert.Len(t, services, 3, stack)
		assert.Equal(t, services, restarted, "%s: every service, and only those", stack)
	})
}
