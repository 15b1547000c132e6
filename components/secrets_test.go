package components_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

func runSecrets(t *testing.T, protect bool, recoveryDays int) *harness.Result {
	t.Helper()

	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewSecrets(ctx, "app", &components.SecretsArgs{
			AccountID:             "123456789012",
			Region:                "eu-west-1",
			RecoveryWindowDays:    recoveryDays,
			KeyDeletionWindowDays: 30,
			Protect:               protect,
		})

		return err
	})
}

func TestSecretsEncryptEveryEntryWithTheRotatedCustomerKey(t *testing.T) {
	r := runSecrets(t, false, 7)

	key := only(t, r, "aws:kms/key:Key")
	assert.Equal(t, true, key.Inputs["enableKeyRotation"])
	assert.Equal(t, 30.0, key.Inputs["deletionWindowInDays"])

	secrets := r.OfType("aws:secretsmanager/secret:Secret")
	require.Len(t, secrets, len(components.AppSecrets))
	for _, s := range secrets {
		// A key ARN, never an alias: aliases can be re-pointed.
		assert.Regexp(t, `^arn:aws:kms:[a-z0-9-]+:\d{12}:key/`, s.Inputs["kmsKeyId"], s.Name)
	}
}

func TestSecretsRecoveryWindowAndProtectionFollowTheStack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		protect bool
		days    int
	}{
		{"dev-deletes-at-once", false, 0},
		{"prod-is-protected-and-recoverable", true, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runSecrets(t, tc.protect, tc.days)

			assert.Equal(t, tc.protect, only(t, r, "aws:kms/key:Key").Protect)
			for _, s := range r.OfType("aws:secretsmanager/secret:Secret") {
				assert.Equal(t, float64(tc.days), s.Inputs["recoveryWindowInDays"], s.Name)
				assert.Equal(t, tc.protect, s.Protect, s.Name)
			}
		})
	}
}

func TestSecretValuesAreSetOnceAndNeverRevertedByPulumi(t *testing.T) {
	r := runSecrets(t, false, 7)

	versions := r.OfType("aws:secretsmanager/secretVersion:SecretVersion")
	require.Len(t, versions, len(components.AppSecrets))
	byName := map[string]*harness.Resource{}
	for _, v := range versions {
		assert.Equal(t, []string{"secretString"}, v.IgnoreChanges, v.Name)
		assert.Equal(t, harness.Secret, v.Inputs["secretString"], "%s is marked secret", v.Name)
		byName[v.Name] = v
	}

	for _, spec := range components.AppSecrets {
		v := byName["app-"+spec.Key]
		require.NotNil(t, v, spec.Key)
		value, ok := v.Raw("secretString").(string)
		require.True(t, ok, spec.Key)
		if !spec.Generate {
			assert.Equal(t, components.PlaceholderValue, value, spec.Key)

			continue
		}
		assert.Len(t, value, spec.Length, spec.Key)
		// Redis AUTH tokens refuse @, " and /; letters and digits suit all.
		assert.Regexp(t, `^[A-Za-z0-9]+$`, value, spec.Key)
	}
}

func TestSecretsKeyPolicyLetsLogsUseTheKeyOnlyForThisAccount(t *testing.T) {
	policy := document(t, only(t, runSecrets(t, false, 7), "aws:kms/key:Key"), "policy")

	statements, ok := policy["Statement"].([]any)
	require.True(t, ok)
	var logs map[string]any
	for _, s := range statements {
		st := s.(map[string]any)
		if st["Principal"].(map[string]any)["Service"] == "logs.eu-west-1.amazonaws.com" {
			logs = st
		}
	}
	require.NotNil(t, logs, "a statement for CloudWatch Logs in the stack's region")
	assert.Equal(t, map[string]any{
		"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*",
		},
	}, logs["Condition"])
}
