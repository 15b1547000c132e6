package components_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

func runSecrets(t *testing.T, window int, protect bool) *harness.Result {
	t.Helper()

	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewSecrets(ctx, "sf", &components.SecretsArgs{
			AccountID:             "123456789012",
			Region:                "us-east-1",
			RecoveryWindowDays:    window,
			KeyDeletionWindowDays: 30,
			Protect:               protect,
		})

		return err
	})
}

func TestSecretsKeyRotatesAndServesLogsAndAlarms(t *testing.T) {
	t.Parallel()

	r := runSecrets(t, 7, false)
	key := only(t, r, "aws:kms/key:Key")
	alias := only(t, r, "aws:kms/alias:Alias")

	assert.Equal(t, true, key.Inputs["enableKeyRotation"])
	assert.Equal(t, 30.0, key.Inputs["deletionWindowInDays"])
	assert.Equal(t, "alias/sf", alias.Inputs["name"])

	byService := map[string]map[string]any{}
	for _, s := range document(t, key, "policy")["Statement"].([]any) {
		stmt := s.(map[string]any)
		p := stmt["Principal"].(map[string]any)
		if svc, ok := p["Service"].(string); ok {
			byService[svc] = stmt
		} else {
			byService[p["AWS"].(string)] = stmt
		}
	}
	require.Len(t, byService, 3)
	assert.Equal(t, "kms:*", byService["arn:aws:iam::123456789012:root"]["Action"])
	logs := byService["logs.us-east-1.amazonaws.com"]
	require.NotNil(t, logs, "CloudWatch Logs may use the key")
	assert.Equal(t, map[string]any{"ArnLike": map[string]any{
		"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*",
	}}, logs["Condition"], "only for this account's log groups")
	assert.ElementsMatch(t, []any{"kms:Decrypt", "kms:GenerateDataKey*"},
		byService["cloudwatch.amazonaws.com"]["Action"])
}

func TestSecretsAreEncryptedWithTheKeyArnAndHonourTheRecoveryWindow(t *testing.T) {
	t.Parallel()

	for _, window := range []int{0, 7, 30} {
		r := runSecrets(t, window, false)
		keyArn := "arn:aws:kms:us-east-1:123456789012:key/" +
			harness.FakeID("", "aws:kms/key:Key", "sf-key")

		secrets := r.OfType("aws:secretsmanager/secret:Secret")
		require.Len(t, secrets, len(components.AppSecrets))
		for _, s := range secrets {
			assert.Equal(t, keyArn, s.Inputs["kmsKeyId"], "%s uses the key's ARN, not its alias", s.Name)
			assert.Equal(t, float64(window), s.Inputs["recoveryWindowInDays"], s.Name)
			assert.NotEmpty(t, s.Inputs["description"], s.Name)
		}
	}
}

func TestGeneratedSecretsAreRandomAndNeverReverted(t *testing.T) {
	t.Parallel()

	r := runSecrets(t, 7, false)
	for _, spec := range components.AppSecrets {
		v := r.Find("aws:secretsmanager/secretVersion:SecretVersion", "sf-"+spec.Key)
		require.NotNil(t, v, spec.Key)

		assert.Equal(t, []string{"secretString"}, v.IgnoreChanges, "%s is set once", spec.Key)
		assert.Equal(t, harness.Secret, v.Inputs["secretString"], "%s is a Pulumi secret", spec.Key)
		value, ok := v.Raw("secretString").(string)
		require.True(t, ok, spec.Key)
		if !spec.Generate {
			assert.Equal(t, components.PlaceholderValue, value, spec.Key)

			continue
		}
		assert.Len(t, value, spec.Length, spec.Key)
		// Redis AUTH tokens take 16-128 printable characters without @ " or /;
		// letters and digits suit every consumer.
		assert.Regexp(t, `^[A-Za-z0-9]+$`, value, spec.Key)
	}
	var token components.SecretSpec
	for _, spec := range components.AppSecrets {
		if spec.Key == components.RedisAuthTokenKey {
			token = spec
		}
	}
	assert.True(t, token.Generate, "the Redis AUTH token is generated")
	assert.GreaterOrEqual(t, token.Length, 16)
	assert.LessOrEqual(t, token.Length, 128)
}

func TestSecretsEnvNamesAreUniqueShellNames(t *testing.T) {
	t.Parallel()

	seen := map[string]bool{}
	for _, spec := range components.AppSecrets {
		assert.Regexp(t, `^[A-Z][A-Z0-9_]*$`, spec.Env)
		assert.False(t, seen[spec.Env], "duplicate %s", spec.Env)
		seen[spec.Env] = true
		assert.Equal(t, strings.ToLower(spec.Key), spec.Key)
	}
}

func TestSecretsProtectTheKeyAndEverySecret(t *testing.T) {
	t.Parallel()

	for _, protect := range []bool{false, true} {
		r := runSecrets(t, 7, protect)
		assert.Equal(t, protect, only(t, r, "aws:kms/key:Key").Protect)
		for _, s := range r.OfType("aws:secretsmanager/secret:Secret") {
			assert.Equal(t, protect, s.Protect, s.Name)
		}
	}
}
