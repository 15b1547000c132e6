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
)

func TestPreviewPrintsTheStackAsJSON(t *testing.T) {
	t.Parallel()

	for _, stack := range []string{"dev", "staging", "prod"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"-stack", stack, "-format", "json", "-dir", "../.."}, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())

		var doc struct {
			Project   string           `json:"project"`
			Stack     string           `json:"stack"`
			Resources []map[string]any `json:"resources"`
			Outputs   map[string]any   `json:"outputs"`
		}
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &doc))
		assert.Equal(t, "socialflow", doc.Project)
		assert.Equal(t, stack, doc.Stack)
		assert.NotEmpty(t, doc.Outputs)
		require.NotEmpty(t, doc.Resources)
		for _, res := range doc.Resources {
			for _, k := range []string{
				"urn", "type", "name", "parent", "inputs", "protect", "ignoreChanges", "dependsOn",
			} {
				assert.Contains(t, res, k)
			}
		}
	}
}

func TestPreviewTreeShowsComponentsChildrenAndCounts(t *testing.T) {
	t.Parallel()

	var stdout, stderr bytes.Buffer
	code := run([]string{"-stack", "prod", "-dir", "../.."}, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())

	out := stdout.String()
	assert.Contains(t, out, "socialflow:index:Network socialflow-prod\n")
	assert.Contains(t, out, "\n  awsx:ec2:Vpc socialflow-prod-vpc\n")
	assert.Contains(t, out, "· cidrBlock=10.2.0.0/16")
	assert.Contains(t, out, "aws:kms/key:Key socialflow-prod-key [protected]")
	assert.Regexp(t, `\n\s+4  aws:ec2/securityGroup:SecurityGroup\n`, out)
	assert.Contains(t, out, "Resources by type:")
}

func TestPreviewOfABadStackPrintsEveryProblemAndNoPlan(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	project, err := os.ReadFile("../../Pulumi.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), project, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.bad.yaml"), []byte(`config:
  aws:region: us-east-1
  socialflow:environment: prod
  socialflow:logRetentionDays: 10
  socialflow:network:
    vpcCidr: 10.0.0.0/16
    publicSubnetCidrs: [10.0.101.0/24, 10.0.102.0/24, 10.0.103.0/24]
    privateSubnetCidrs: [10.0.1.0/24, 10.0.2.0/24, 10.9.3.0/24]
`), 0o600))

	var stdout, stderr bytes.Buffer
	code := run([]string{"-stack", "bad", "-dir", dir}, &stdout, &stderr)

	assert.Equal(t, 2, code)
	assert.Empty(t, stdout.String(), "no plan")
	msg := stderr.String()
	for _, want := range []string{
		"socialflow:logRetentionDays 10",
		`socialflow:network.privateSubnetCidrs[2] "10.9.3.0/24": want a block inside the VPC CIDR`,
		"socialflow:protect false: want true in prod",
		"socialflow:loadBalancer.certificateArn",
	} {
		assert.Contains(t, msg, want)
	}
}

func TestPreviewOfAStackWithoutItsDockerfileStopsBeforeThePlan(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	for _, f := range []string{"Pulumi.yaml", "Pulumi.dev.yaml"} {
		b, err := os.ReadFile(filepath.Join("../..", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o600))
	}

	var stdout, stderr bytes.Buffer
	code := run([]string{"-stack", "dev", "-dir", dir}, &stdout, &stderr)

	assert.Equal(t, 2, code)
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(),
		`socialflow:image.dockerfile "docker/Dockerfile": want a Dockerfile of the project`)
}

func TestPreviewRejectsUnknownFormatsAndMissingStacks(t *testing.T) {
	t.Parallel()

	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run([]string{"-format", "yaml", "-dir", "../.."}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), `-format "yaml"`)

	stderr.Reset()
	assert.Equal(t, 1, run([]string{"-stack", "nope", "-dir", "../.."}, &stdout, &stderr))
	assert.True(t, strings.Contains(stderr.String(), "reading stack file"), stderr.String())
}
