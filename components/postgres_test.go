package components_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

func postgresArgs(memGiB int) *components.PostgresArgs {
	return &components.PostgresArgs{
		EngineVersion:         "15",
		InstanceClass:         "db.t3.small",
		ClassMemoryGiB:        memGiB,
		AllocatedStorageGb:    20,
		MaxAllocatedStorageGb: 500,
		BackupRetentionDays:   3,
		DatabaseName:          "socialflow",
		SubnetIDs:             pulumi.ToStringArray([]string{"subnet-a", "subnet-b"}),
		SecurityGroupID:       pulumi.String("sg-db"),
		KeyArn:                pulumi.String(testKeyArn),
		LogRetentionDays:      7,
	}
}

// parameters returns a parameter group's entries by name.
func parameters(t *testing.T, group *harness.Resource) map[string]map[string]any {
	t.Helper()

	list, ok := group.Inputs["parameters"].([]any)
	require.True(t, ok, "parameters is a list")
	out := map[string]map[string]any{}
	for _, p := range list {
		entry := p.(map[string]any)
		out[entry["name"].(string)] = entry
	}

	return out
}

func TestPostgresEffectiveCacheSizeIsHalfTheClassMemoryUpToThreeGiB(t *testing.T) {
	// effective_cache_size counts 8 kB pages: 1 GiB is 131072 pages.
	cases := []struct {
		memGiB int
		pages  string
	}{
		{memGiB: 1, pages: "65536"},   // 512 MiB
		{memGiB: 2, pages: "131072"},  // 1 GiB
		{memGiB: 4, pages: "262144"},  // 2 GiB
		{memGiB: 6, pages: "393216"},  // 3 GiB, exactly half
		{memGiB: 8, pages: "393216"},  // capped at 3 GiB
		{memGiB: 64, pages: "393216"}, // capped at 3 GiB
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dGiB", tc.memGiB), func(t *testing.T) {
			r := runComponent(t, func(ctx *pulumi.Context) error {
				_, err := components.NewPostgres(ctx, "test-db", postgresArgs(tc.memGiB))

				return err
			})
			params := parameters(t, only(t, r, "aws:rds/parameterGroup:ParameterGroup"))

			assert.Equal(t, tc.pages, params["effective_cache_size"]["value"])
			assert.Equal(t, "immediate", params["effective_cache_size"]["applyMethod"])
		})
	}
}

func TestPostgresParameterGroupFamilyFollowsTheMajorVersion(t *testing.T) {
	for _, major := range []string{"15", "16"} {
		t.Run(major, func(t *testing.T) {
			args := postgresArgs(2)
			args.EngineVersion = major
			r := runComponent(t, func(ctx *pulumi.Context) error {
				_, err := components.NewPostgres(ctx, "test-db", args)

				return err
			})

			group := only(t, r, "aws:rds/parameterGroup:ParameterGroup")
			assert.Equal(t, "postgres"+major, group.Inputs["family"])
			assert.Equal(t, major, only(t, r, "aws:rds/instance:Instance").Inputs["engineVersion"])
		})
	}
}

func TestPostgresRefusesNamesRDSRejectsAsIdentifiers(t *testing.T) {
	assertNamesRefused(t, []string{
		"1db",
		"db--x",
		"db-",
		"Socialflow-db",
		"socialflow_db",
		"d" + strings.Repeat("b", 63),
	}, func(ctx *pulumi.Context, name string) error {
		_, err := components.NewPostgres(ctx, name, postgresArgs(2))

		return err
	})
}

func TestPostgresWithoutFinalSnapshotSkipsItAndNamesNone(t *testing.T) {
	r := runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewPostgres(ctx, "test-db", postgresArgs(2))

		return err
	})
	db := only(t, r, "aws:rds/instance:Instance")

	assert.Equal(t, true, db.Inputs["skipFinalSnapshot"])
	assert.NotContains(t, db.Inputs, "finalSnapshotIdentifier")
	assert.Equal(t, true, db.Inputs["deleteAutomatedBackups"])
	assert.Equal(t, true, db.Inputs["applyImmediately"])
	assert.False(t, db.Protect)
}

func TestPostgresProtectedInstanceWaitsForTheMaintenanceWindowAndKeepsBackups(t *testing.T) {
	args := postgresArgs(32)
	args.Protect = true
	args.FinalSnapshot = true
	args.DeletionProtection = true
	r := runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewPostgres(ctx, "test-db", args)

		return err
	})
	db := only(t, r, "aws:rds/instance:Instance")

	assert.True(t, db.Protect)
	assert.Equal(t, false, db.Inputs["applyImmediately"])
	assert.Equal(t, false, db.Inputs["deleteAutomatedBackups"])
	assert.Equal(t, false, db.Inputs["skipFinalSnapshot"])
	assert.Equal(t, "test-db-final", db.Inputs["finalSnapshotIdentifier"])
	assert.Equal(t, true, db.Inputs["deletionProtection"])
}

func TestPostgresExportsTheConnectionDetailsTheServicesNeed(t *testing.T) {
	result, err := harness.Run("socialflow", "test", nil,
		func(ctx *pulumi.Context) (pulumi.Map, error) {
			db, err := components.NewPostgres(ctx, "test-db", postgresArgs(2))
			if err != nil {
				return nil, err
			}

			return pulumi.Map{
				"address":    db.Address,
				"port":       db.Port,
				"endpoint":   db.Endpoint,
				"secret":     db.MasterSecretArn,
				"identifier": db.InstanceIdentifier,
				"resourceId": db.ResourceID,
				"database":   db.DatabaseName,
				"username":   db.Username,
			}, nil
		})
	require.NoError(t, err)
	out := result.Outputs

	assert.Regexp(t, `^test-db\.`, out["address"])
	assert.EqualValues(t, 5432, out["port"])
	assert.Equal(t, out["address"].(string)+":5432", out["endpoint"])
	assert.Regexp(t, `^arn:aws:secretsmanager:us-east-1:\d{12}:secret:rds!db-`, out["secret"])
	assert.Equal(t, "test-db", out["identifier"])
	assert.Regexp(t, `^db-`, out["resourceId"])
	assert.Equal(t, "socialflow", out["database"])
	assert.Equal(t, components.PostgresUsername, out["username"])
}
