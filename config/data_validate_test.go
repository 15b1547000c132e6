package config_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
)

// stackWith reads a real stack file and overrides members of one of its
// object settings ("postgres", "redis").
func stackWith(t *testing.T, stack, setting string, members map[string]any) map[string]string {
	t.Helper()

	raw := stackConfig(t, stack)

	key := config.Namespace + ":" + setting
	obj := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(raw[key]), &obj))
	for k, v := range members {
		obj[k] = v
	}
	b, err := json.Marshal(obj)
	require.NoError(t, err)
	raw[key] = string(b)

	return raw
}

func TestDataSettingsOutsideWhatAWSAllowsAreRefusedWithKeyValueAndAllowed(t *testing.T) {
	cases := []struct {
		name    string
		stack   string
		setting string
		members map[string]any
		// The problem names the key, quotes the value and says what is
		// allowed.
		key, value, allowed string
	}{
		{
			name: "unknown-instance-class", stack: "dev", setting: "postgres",
			members: map[string]any{"instanceClass": "db.t3.nano"},
			key:     "socialflow:postgres.instanceClass", value: `"db.t3.nano"`,
			allowed: "db.t3.small",
		},
		{
			name: "storage-below-gp3-minimum", stack: "dev", setting: "postgres",
			members: map[string]any{"allocatedStorageGb": 10},
			key:     "socialflow:postgres.allocatedStorageGb", value: "10",
			allowed: "20 to 65536",
		},
		{
			name: "storage-above-gp3-maximum", stack: "dev", setting: "postgres",
			members: map[string]any{"allocatedStorageGb": 70000},
			key:     "socialflow:postgres.allocatedStorageGb", value: "70000",
			allowed: "20 to 65536",
		},
		{
			name: "autoscaling-ceiling-not-above-storage", stack: "staging", setting: "postgres",
			members: map[string]any{"maxAllocatedStorageGb": 50},
			key:     "socialflow:postgres.maxAllocatedStorageGb", value: "50",
			allowed: "more than allocatedStorageGb (50)",
		},
		{
			name: "no-backups", stack: "dev", setting: "postgres",
			members: map[string]any{"backupRetentionDays": 0},
			key:     "socialflow:postgres.backupRetentionDays", value: "0",
			allowed: "1 to 35 days",
		},
		{
			name: "retention-beyond-35-days", stack: "prod", setting: "postgres",
			members: map[string]any{"backupRetentionDays": 36},
			key:     "socialflow:postgres.backupRetentionDays", value: "36",
			allowed: "1 to 35 days",
		},
		{
			name: "minor-postgres-version", stack: "prod", setting: "postgres",
			members: map[string]any{"engineVersion": "15.4"},
			key:     "socialflow:postgres.engineVersion", value: `"15.4"`,
			allowed: "a major version only",
		},
		{
			name: "prod-without-deletion-protection", stack: "prod", setting: "postgres",
			members: map[string]any{"deletionProtection": false},
			key:     "socialflow:postgres.deletionProtection", value: "false",
			allowed: "true in prod",
		},
		{
			name: "prod-without-final-snapshot", stack: "prod", setting: "postgres",
			members: map[string]any{"finalSnapshot": false},
			key:     "socialflow:postgres.finalSnapshot", value: "false",
			allowed: "true in prod",
		},
		{
			name: "failover-with-one-node", stack: "dev", setting: "redis",
			members: map[string]any{"automaticFailover": true},
			key:     "socialflow:redis.automaticFailover", value: "true",
			allowed: "failover needs a replica (nodes >= 2)",
		},
		{
			name: "multi-az-with-one-node", stack: "dev", setting: "redis",
			members: map[string]any{"multiAz": true, "automaticFailover": true},
			key:     "socialflow:redis.multiAz", value: "true",
			allowed: "Multi-AZ needs a replica (nodes >= 2)",
		},
		{
			name: "multi-az-without-failover", stack: "staging", setting: "redis",
			members: map[string]any{"automaticFailover": false},
			key:     "socialflow:redis.multiAz", value: "true",
			allowed: "false unless automaticFailover is true",
		},
		{
			name: "redis-6", stack: "staging", setting: "redis",
			members: map[string]any{"engineVersion": "6.2"},
			key:     "socialflow:redis.engineVersion", value: `"6.2"`,
			allowed: `"7.0" or "7.1"`,
		},
		{
			name: "unknown-node-type", stack: "prod", setting: "redis",
			members: map[string]any{"nodeType": "cache.m1.small"},
			key:     "socialflow:redis.nodeType", value: `"cache.m1.small"`,
			allowed: "cache.r6g.large",
		},
		{
			name: "snapshot-retention-beyond-35-days", stack: "prod", setting: "redis",
			members: map[string]any{"snapshotRetentionDays": 36},
			key:     "socialflow:redis.snapshotRetentionDays", value: "36",
			allowed: "0 to 35 days",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(stackWith(t, tc.stack, tc.setting, tc.members))

			var cfgErr *config.Error
			require.True(t, errors.As(err, &cfgErr), "a configuration error, got %v", err)
			var problem string
			for _, p := range cfgErr.Problems {
				if strings.HasPrefix(p, tc.key+" "+tc.value+":") {
					problem = p
				}
			}
			require.NotEmpty(t, problem, "a problem for %s %s among %q",
				tc.key, tc.value, cfgErr.Problems)
			assert.Contains(t, problem, tc.allowed)
		})
	}
}

func TestDataSettingsOfTheRealStacksAreValid(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			_, err := config.Load(stackWith(t, stack, "postgres", nil))

			assert.NoError(t, err)
		})
	}
}
