package components_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const testToken = "Abcdefghij0123456789KLMNOPqrstuvwxyzAbcdefghij0123456789KLMNOPqr"

func redisArgs(nodes int) *components.RedisArgs {
	return &components.RedisArgs{
		EngineVersion:         "7.1",
		NodeType:              "cache.t3.micro",
		Nodes:                 nodes,
		AutomaticFailover:     nodes > 1,
		MultiAz:               nodes > 1,
		SnapshotRetentionDays: 1,
		SubnetIDs:             pulumi.ToStringArray([]string{"subnet-a", "subnet-b"}),
		SecurityGroupID:       pulumi.String("sg-cache"),
		KeyArn:                pulumi.String(testKeyArn),
		AuthToken:             pulumi.ToSecret(pulumi.String(testToken)).(pulumi.StringOutput),
		LogRetentionDays:      7,
		RecoveryWindowDays:    7,
	}
}

// runRedis runs a Redis component and returns what it registered and its
// outputs.
func runRedis(t *testing.T, name string, args *components.RedisArgs) *harness.Result {
	t.Helper()

	result, err := harness.Run("socialflow", "test", nil,
		func(ctx *pulumi.Context) (pulumi.Map, error) {
			c, err := components.NewRedis(ctx, name, args)
			if err != nil {
				return nil, err
			}

			return pulumi.Map{
				"primaryEndpoint":    c.PrimaryEndpoint,
				"port":               c.Port,
				"urlSecretArn":       c.URLSecretArn,
				"url":                c.URL,
				"replicationGroupId": c.ReplicationGroupID,
				"memberClusters":     c.MemberClusters,
			}, nil
		})
	require.NoError(t, err)

	return result
}

func TestRedisURLEscapesTokenCharactersElastiCacheAllows(t *testing.T) {
	// ElastiCache allows !&#$^<>- in a token; # and others must be escaped
	// in a URL's user information.
	token := "Ab1!&#$^<>-Ab1!&#$^<>-"
	raw := components.RedisURL(token, "master.example.cache.amazonaws.com", 6379)

	u, err := url.Parse(raw)
	require.NoError(t, err)
	password, _ := u.User.Password()
	assert.Equal(t, "rediss", u.Scheme)
	assert.Equal(t, token, password)
	assert.Equal(t, "master.example.cache.amazonaws.com", u.Hostname())
	assert.Equal(t, "6379", u.Port())
	assert.Equal(t, "/0", u.Path)
	assert.Equal(t, "required", u.Query().Get("ssl_cert_reqs"))
}

func TestRedisURLSecretPointsAtThePrimaryEndpoint(t *testing.T) {
	r := runRedis(t, "test-redis", redisArgs(2))
	version := only(t, r, "aws:secretsmanager/secretVersion:SecretVersion")

	raw, ok := version.Raw("secretString").(string)
	require.True(t, ok, "the secret holds a string")
	u, err := url.Parse(raw)
	require.NoError(t, err)
	password, _ := u.User.Password()
	assert.Equal(t, testToken, password)
	assert.Equal(t, r.Outputs["primaryEndpoint"], u.Hostname())
	assert.Equal(t, harness.Secret, r.Outputs["url"], "the URL output is secret")
	assert.Equal(t, version.Inputs["secretId"], r.Outputs["urlSecretArn"])
}

func TestRedisReportsOneMemberClusterPerNode(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		t.Run(fmt.Sprint(nodes), func(t *testing.T) {
			r := runRedis(t, "test-redis", redisArgs(nodes))

			groupID, ok := r.Outputs["replicationGroupId"].(string)
			require.True(t, ok, "the group ID is known")
			members, ok := r.Outputs["memberClusters"].([]string)
			require.True(t, ok, "member clusters are a list")
			require.Len(t, members, nodes)
			for _, m := range members {
				assert.True(t, strings.HasPrefix(m, groupID+"-"), "member %s", m)
			}
		})
	}
}

func TestRedisMemberClusterIDsListEveryNodeForAlarms(t *testing.T) {
	result, err := harness.Run("socialflow", "test", nil,
		func(ctx *pulumi.Context) (pulumi.Map, error) {
			c, err := components.NewRedis(ctx, "test-redis", redisArgs(3))
			if err != nil {
				return nil, err
			}
			out := pulumi.Map{"all": c.MemberClusters}
			for i, id := range c.MemberClusterIDs() {
				out[fmt.Sprint(i)] = id
			}

			return out, nil
		})
	require.NoError(t, err)

	all, ok := result.Outputs["all"].([]string)
	require.True(t, ok, "member clusters are a list")
	require.Len(t, all, 3)
	for i, id := range all {
		assert.Equal(t, id, result.Outputs[fmt.Sprint(i)])
	}
	assert.NotContains(t, result.Outputs, "3")
}

func TestRedisParameterGroupFamilyFollowsTheMajorVersion(t *testing.T) {
	for _, version := range []string{"7.0", "7.1"} {
		t.Run(version, func(t *testing.T) {
			args := redisArgs(1)
			args.EngineVersion = version
			r := runRedis(t, "test-redis", args)

			group := only(t, r, "aws:elasticache/parameterGroup:ParameterGroup")
			assert.Equal(t, "redis7", group.Inputs["family"])
		})
	}
}

func TestRedisRefusesNamesTooLongForAReplicationGroupID(t *testing.T) {
	fits := strings.Repeat("r", components.MaxReplicationGroupIDLength-
		components.AutoNameSuffixLength)
	runRedis(t, fits, redisArgs(1))

	assertNamesRefused(t, []string{fits + "r", "1redis", "redis--x", "Redis"},
		func(ctx *pulumi.Context, name string) error {
			_, err := components.NewRedis(ctx, name, redisArgs(1))

			return err
		})
}

func TestRedisUnprotectedGroupAppliesChangesAtOnceWithoutFinalSnapshot(t *testing.T) {
	r := runRedis(t, "test-redis", redisArgs(1))
	group := only(t, r, "aws:elasticache/replicationGroup:ReplicationGroup")

	assert.False(t, group.Protect)
	assert.Equal(t, true, group.Inputs["applyImmediately"])
	assert.NotContains(t, group.Inputs, "finalSnapshotIdentifier")
	assert.False(t, only(t, r, "aws:secretsmanager/secret:Secret").Protect)
}

func TestRedisProtectedGroupKeepsAFinalSnapshotAndWaitsForMaintenance(t *testing.T) {
	args := redisArgs(3)
	args.Protect = true
	r := runRedis(t, "test-redis", args)
	group := only(t, r, "aws:elasticache/replicationGroup:ReplicationGroup")

	assert.True(t, group.Protect)
	assert.Equal(t, false, group.Inputs["applyImmediately"])
	assert.Equal(t, "test-redis-final", group.Inputs["finalSnapshotIdentifier"])
	assert.True(t, only(t, r, "aws:secretsmanager/secret:Secret").Protect)
}
