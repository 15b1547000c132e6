package components

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SecretSpec describes one Secrets Manager entry the application reads.
type SecretSpec struct {
	// Key names the entry within the stack ("jwt-signing-key") and becomes
	// the suffix of its resource names.
	Key string
	// Env is the environment variable the containers receive it as.
	Env string
	// Description is shown in the Secrets Manager console.
	Description string
	// Generate makes Pulumi create a random value of Length characters;
	// otherwise an operator sets the value after the first deployment.
	Generate bool
	// Length of a generated value.
	Length int
}

// AppSecrets are the entries the API and Celery need besides the database
// and Redis credentials. Generated values contain letters and digits only,
// which every consumer accepts (Redis AUTH tokens refuse @, " and /).
var AppSecrets = []SecretSpec{
	{Key: "jwt-signing-key", Env: "JWT_SECRET_KEY", Generate: true, Length: 64,
		Description: "Signs and verifies the API's JSON Web Tokens."},
	{Key: "twofa-encryption-key", Env: "TWO_FACTOR_ENCRYPTION_KEY", Generate: true, Length: 64,
		Description: "Encrypts users' two-factor authentication seeds."},
	{Key: "redis-auth-token", Env: "REDIS_AUTH_TOKEN", Generate: true, Length: 64,
		Description: "AUTH token of the Redis replication group."},
	{Key: "oauth-google-client-secret", Env: "GOOGLE_CLIENT_SECRET",
		Description: "Google OAuth client secret; set by an operator."},
	{Key: "oauth-github-client-secret", Env: "GITHUB_CLIENT_SECRET",
		Description: "GitHub OAuth client secret; set by an operator."},
	{Key: "stripe-secret-key", Env: "STRIPE_SECRET_KEY",
		Description: "Stripe API secret key; set by an operator."},
	{Key: "stripe-webhook-secret", Env: "STRIPE_WEBHOOK_SECRET",
		Description: "Stripe webhook signing secret; set by an operator."},
}

// RedisAuthTokenKey is the [AppSecrets] entry holding the Redis AUTH token.
// It names the entry; the token itself is only ever in Secrets Manager.
const RedisAuthTokenKey = "redis-auth-token" //nolint:gosec // a name, not a credential

// PlaceholderValue is the first version of a secret an operator sets, so
// tasks start before the real value is in place.
const PlaceholderValue = "set-me-with-put-secret-value"

// SecretsArgs configures [NewSecrets].
type SecretsArgs struct {
	// AccountID and Region scope the key policy.
	AccountID string
	Region    string
	// RecoveryWindowDays is how long a deleted secret can be restored; 0
	// deletes at once.
	RecoveryWindowDays int
	// KeyDeletionWindowDays is the KMS key's pending-deletion period (7-30).
	KeyDeletionWindowDays int
	// Protect guards the key and the secrets against deletion.
	Protect bool
}

// Secrets is the stack's customer-managed KMS key (rotated yearly, with an
// alias for humans) and the Secrets Manager entries of [AppSecrets], all
// encrypted with that key. Generated values are created once and never
// reverted by a later update, so rotating a value in Secrets Manager is
// safe; no value is ever a stack output.
type Secrets struct {
	pulumi.ResourceState

	// KeyArn is the ARN of the customer key (never an alias).
	KeyArn pulumi.StringOutput `pulumi:"keyArn"`
	// KeyAlias is the key's human-friendly alias.
	KeyAlias pulumi.StringOutput `pulumi:"keyAlias"`
	// Arns maps each [SecretSpec.Key] to its secret's ARN.
	Arns map[string]pulumi.StringOutput
	// RedisAuthToken is the first value of the Redis AUTH token (secret).
	RedisAuthToken pulumi.StringOutput
}

// NewSecrets creates the key and the application secrets.
func NewSecrets(
	ctx *pulumi.Context, name string, args *SecretsArgs, opts ...pulumi.ResourceOption,
) (*Secrets, error) {
	c := &Secrets{Arns: map[string]pulumi.StringOutput{}}
	err := ctx.RegisterComponentResource("socialflow:index:Secrets", name, c, opts...)
	if err != nil {
		return nil, fmt.Errorf("registering secrets component: %w", err)
	}
	parent := pulumi.Parent(c)
	protect := pulumi.Protect(args.Protect)

	policy, err := keyPolicy(args.AccountID, args.Region)
	if err != nil {
		return nil, err
	}
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.Sprintf("Encrypts the data of %s.", name),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(args.KeyDeletionWindowDays),
		Policy:               pulumi.String(policy),
	}, parent, protect)
	if err != nil {
		return nil, fmt.Errorf("creating key: %w", err)
	}

	alias, err := kms.NewAlias(ctx, name+"-key-alias", &kms.AliasArgs{
		Name:        pulumi.String("alias/" + name),
		TargetKeyId: key.KeyId,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating key alias: %w", err)
	}

	for _, spec := range AppSecrets {
		arn, value, err := newAppSecret(ctx, name, spec, key.Arn, args, parent, protect)
		if err != nil {
			return nil, err
		}
		c.Arns[spec.Key] = arn
		if spec.Key == RedisAuthTokenKey {
			c.RedisAuthToken = value
		}
	}

	c.KeyArn = key.Arn
	c.KeyAlias = alias.Name
	outputs := pulumi.Map{"keyArn": key.Arn, "keyAlias": alias.Name}
	for k, v := range c.Arns {
		outputs[k+"Arn"] = v
	}
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return nil, fmt.Errorf("registering secrets outputs: %w", err)
	}

	return c, nil
}

// newAppSecret creates one secret and its first version, returning the ARN
// and the first value.
func newAppSecret(
	ctx *pulumi.Context, name string, spec SecretSpec, keyArn pulumi.StringOutput,
	args *SecretsArgs, parent, protect pulumi.ResourceOption,
) (pulumi.StringOutput, pulumi.StringOutput, error) {
	none := pulumi.StringOutput{}
	secret, err := secretsmanager.NewSecret(ctx, name+"-"+spec.Key, &secretsmanager.SecretArgs{
		Description:          pulumi.String(spec.Description),
		KmsKeyId:             keyArn,
		RecoveryWindowInDays: pulumi.Int(args.RecoveryWindowDays),
	}, parent, protect)
	if err != nil {
		return none, none, fmt.Errorf("creating secret %s: %w", spec.Key, err)
	}

	value := pulumi.ToSecret(pulumi.String(PlaceholderValue)).(pulumi.StringOutput)
	if spec.Generate {
		random, err := secretsmanager.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordArgs{
			PasswordLength:     pulumi.IntRef(spec.Length),
			ExcludePunctuation: pulumi.BoolRef(true),
			IncludeSpace:       pulumi.BoolRef(false),
		})
		if err != nil {
			return none, none, fmt.Errorf("generating a value for %s: %w", spec.Key, err)
		}
		value = pulumi.ToSecret(pulumi.String(random.RandomPassword)).(pulumi.StringOutput)
	}

	// The value is set once: later runs draw a new random value, and an
	// operator may rotate it, so the stored value is never diffed.
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-"+spec.Key,
		&secretsmanager.SecretVersionArgs{
			SecretId:     secret.ID(),
			SecretString: value,
		}, parent, pulumi.IgnoreChanges([]string{"secretString"}))
	if err != nil {
		return none, none, fmt.Errorf("creating first version of %s: %w", spec.Key, err)
	}

	return secret.Arn, pulumi.ToSecret(version.SecretString.Elem()).(pulumi.StringOutput), nil
}

// keyPolicy lets the account administer the key through IAM and lets
// CloudWatch Logs (for this account's log groups) and CloudWatch alarms
// (publishing to encrypted topics) use it.
func keyPolicy(accountID, region string) (string, error) {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{
				"Sid":       "AccountAdministersThroughIAM",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": "arn:aws:iam::" + accountID + ":root"},
				"Action":    "kms:*",
				"Resource":  "*",
			},
			{
				"Sid":       "CloudWatchLogsEncryptsLogGroups",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "logs." + region + ".amazonaws.com"},
				"Action": []string{
					"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
					"kms:GenerateDataKey*", "kms:Describe*",
				},
				"Resource": "*",
				"Condition": map[string]any{
					"ArnLike": map[string]any{
						"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:" + region + ":" +
							accountID + ":log-group:*",
					},
				},
			},
			{
				"Sid":       "CloudWatchAlarmsPublishToEncryptedTopics",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action":    []string{"kms:Decrypt", "kms:GenerateDataKey*"},
				"Resource":  "*",
			},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encoding key policy: %w", err)
	}

	return string(b), nil
}
