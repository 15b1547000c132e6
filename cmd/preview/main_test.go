package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/internal/harness"
)

const projectRoot = "../.."

func preview(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)

	return code, out.String(), errOut.String()
}

func TestPreviewPrintsEachStackAsATreeWithCountsAndOutputs(t *testing.T) {
	for _, stack := range []string{"dev", "staging", "prod"} {
		t.Run(stack, func(t *testing.T) {
			code, out, errOut := preview("-dir", projectRoot, "-stack", stack)
			require.Equal(t, 0, code, errOut)

			assert.True(t, strings.HasPrefix(out, "socialflow/"+stack+": "), out)
			assert.Contains(t, out, "socialflow:index:Network socialflow-"+stack+"\n")
			assert.Contains(t, out, "\nResources by type:\n")
			assert.Regexp(t, `(?m)^\s+4  aws:ec2/securityGroup:SecurityGroup$`, out)
			assert.Contains(t, out, "\nOutputs:\n")
			assert.Contains(t, out, "  vpcId: vpc-")
		})
	}
}

func TestPreviewTreeShowsResourceOptionsAndShortSettings(t *testing.T) {
	code, out, errOut := preview("-dir", projectRoot, "-stack", "prod")
	require.Equal(t, 0, code, errOut)

	assert.Regexp(t, `(?m)^\s+aws:kms/key:Key socialflow-prod-key \[protected\]$`, out)
	assert.Regexp(t, `(?m)^\s+aws:secretsmanager/secretVersion:SecretVersion `+
		`socialflow-prod-jwt-signing-key \[ignores secretString\]$`, out)
	assert.Regexp(t, `(?m)^\s+· cidrBlock=10\.2\.0\.0/16$`, out)
	assert.Regexp(t, `(?m)^\s+· availabilityZoneNames=\[us-east-1a us-east-1b us-east-1c\]$`, out)
	assert.NotContains(t, out, "Statement", "long policy documents stay out of the tree")
}

func TestPreviewJSONHoldsEveryResourceWithSecretsMasked(t *testing.T) {
	code, out, errOut := preview("-dir", projectRoot, "-stack", "staging", "-format", "json")
	require.Equal(t, 0, code, errOut)

	var result harness.Result
	require.NoError(t, json.Unmarshal([]byte(out), &result))
	assert.Equal(t, "socialflow", result.Project)
	assert.Equal(t, "staging", result.Stack)
	versions := 0
	for _, r := range result.Resources {
		if r.Type == "aws:secretsmanager/secretVersion:SecretVersion" {
			versions++
			assert.Equal(t, harness.Secret, r.Inputs["secretString"], r.Name)
		}
	}
	assert.Positive(t, versions)
}

func TestPreviewRejectsAnUnknownFormat(t *testing.T) {
	code, out, errOut := preview("-dir", projectRoot, "-format", "yaml")

	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, `-format "yaml": want "tree" or "json"`)
}

func TestPreviewRejectsAnUnknownFlag(t *testing.T) {
	code, _, errOut := preview("-stak", "dev")

	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "-stak")
}

func TestPreviewReportsConfigurationProblemsBeforeRegisteringAnything(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(projectRoot, "Pulumi.yaml"), filepath.Join(dir, "Pulumi.yaml"))
	stackFile, err := os.ReadFile(filepath.Join(projectRoot, "Pulumi.prod.yaml"))
	require.NoError(t, err)
	broken := strings.Replace(string(stackFile), "socialflow:protect: true",
		"socialflow:protect: false", 1)
	require.NotEqual(t, string(stackFile), broken)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.prod.yaml"), []byte(broken), 0o600))

	code, out, errOut := preview("-dir", dir, "-stack", "prod")

	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "preview: stack prod: invalid stack configuration")
	assert.Contains(t, errOut, "socialflow:protect false: want true in prod")
}

func TestPreviewReportsAMissingStackFile(t *testing.T) {
	code, out, errOut := preview("-dir", projectRoot, "-stack", "qa")

	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "reading stack file")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()

	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o600))
}
