// Package pipeline_test checks the delivery pipeline's own files: the
// GitHub workflows and .ci/run. A workflow edit that unpins an action,
// widens a token or lets two deploys of a stack overlap fails here, before
// it reaches GitHub.
package pipeline_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/socialflow/socialflow-infra/internal/harness"
	"github.com/socialflow/socialflow-infra/internal/offline"
)

const root = "../.."

// workflow is the part of a workflow file the checks read.
type workflow struct {
	On          map[string]any `yaml:"on"`
	Permissions map[string]any `yaml:"permissions"`
	Env         map[string]any `yaml:"env"`
	Jobs        map[string]job `yaml:"jobs"`
}

type job struct {
	If          string         `yaml:"if"`
	Uses        string         `yaml:"uses"`
	With        map[string]any `yaml:"with"`
	Needs       any            `yaml:"needs"`
	Permissions map[string]any `yaml:"permissions"`
	Environment any            `yaml:"environment"`
	Concurrency map[string]any `yaml:"concurrency"`
	Strategy    struct {
		Matrix map[string]any `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []step `yaml:"steps"`
}

type step struct {
	ID   string         `yaml:"id"`
	Uses string         `yaml:"uses"`
	Run  string         `yaml:"run"`
	With map[string]any `yaml:"with"`
	Env  map[string]any `yaml:"env"`
}

// workflowFiles returns the path of every workflow, failing if there are none.
func workflowFiles(t *testing.T) []string {
	t.Helper()

	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)

	return files
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()

	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(b, &w), name)

	return w
}

// usesNodes returns every `uses:` value node of a YAML document, with the
// comment that follows it on the same line.
func usesNodes(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "uses" && n.Content[i+1].Kind == yaml.ScalarNode {
				out = append(out, n.Content[i+1])
			}
		}
	}
	for _, c := range n.Content {
		out = append(out, usesNodes(c)...)
	}

	return out
}

var (
	pinnedAction  = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	versionNote   = regexp.MustCompile(`^# v\d+\.\d+\.\d+$`)
	pinnedVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)
)

func TestWorkflowsPinEveryThirdPartyActionToACommit(t *testing.T) {
	for _, file := range workflowFiles(t) {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		var doc yaml.Node
		require.NoError(t, yaml.Unmarshal(b, &doc), file)

		for _, n := range usesNodes(&doc) {
			if strings.HasPrefix(n.Value, "./") {
				continue
			}
			where := filepath.Base(file) + ": " + n.Value
			assert.Regexp(t, pinnedAction, n.Value, "%s is not pinned to a full commit", where)
			assert.Regexp(t, versionNote, n.LineComment, "%s names no version", where)
		}
	}
}

func TestWorkflowsGrantNothingByDefault(t *testing.T) {
	for _, file := range workflowFiles(t) {
		name := filepath.Base(file)
		w := readWorkflow(t, name)

		assert.NotNil(t, w.Permissions, "%s: top-level permissions", name)
		assert.Empty(t, w.Permissions, "%s: top-level permissions must be {}", name)
		for id, j := range w.Jobs {
			assert.NotNil(t, j.Permissions, "%s: job %s states its permissions", name, id)
			for scope, level := range j.Permissions {
				if level == "write" {
					assert.Contains(t, []string{"id-token", "pull-requests"}, scope,
						"%s: job %s writes %s", name, id, scope)
				}
			}
		}
	}
}

func TestAWSAccessIsOnlyThroughOIDCRoles(t *testing.T) {
	assumed := 0
	for _, file := range workflowFiles(t) {
		name := filepath.Base(file)
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		text := string(b)
		for _, banned := range []string{
			"aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID",
			"AWS_SECRET_ACCESS_KEY", "aws-session-token",
		} {
			assert.NotContains(t, text, banned, "%s: no stored AWS keys", name)
		}
		// The one stored secret allowed is a read-only GitHub token for a
		// private backend repository.
		for _, m := range regexp.MustCompile(`secrets\.[A-Za-z_]+`).FindAllString(text, -1) {
			assert.Equal(t, "secrets.BACKEND_READ_TOKEN", m, "%s uses a stored secret", name)
		}

		for id, j := range readWorkflow(t, name).Jobs {
			for _, s := range j.Steps {
				if !strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
					continue
				}
				assumed++
				assert.Regexp(t, `^\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}$`, s.With["role-to-assume"],
					"%s: job %s assumes a role named by a variable", name, id)
				assert.Equal(t, "write", j.Permissions["id-token"],
					"%s: job %s needs an OIDC token", name, id)
			}
		}
	}
	assert.Positive(t, assumed, "some job assumes an AWS role")
}

func TestDeploysOfOneStackNeverOverlapOrCancel(t *testing.T) {
	deploy := readWorkflow(t, "deploy-stack.yml").Jobs["deploy"]

	require.NotNil(t, deploy.Concurrency, "the deploy job has a concurrency group")
	assert.Contains(t, deploy.Concurrency["group"], "${{ inputs.stack }}")
	assert.Equal(t, false, deploy.Concurrency["cancel-in-progress"])
}

func TestDeploysRunUpThenMigrateThenCheckHealth(t *testing.T) {
	deploy := readWorkflow(t, "deploy-stack.yml").Jobs["deploy"]

	var order []string
	for _, s := range deploy.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "pulumi/actions@"):
			assert.Equal(t, "up", s.With["command"])
			assert.Equal(t, "${{ inputs.stack }}", s.With["stack-name"])
			order = append(order, "up")
		case strings.Contains(s.Run, "scripts/run-migration.sh"):
			order = append(order, "migrate")
		case strings.Contains(s.Run, "scripts/check-health.sh"):
			assert.Contains(t, s.Run, "apiUrl")
			assert.Contains(t, s.Run, "/health")
			order = append(order, "health")
		}
	}
	assert.Equal(t, []string{"up", "migrate", "health"}, order)
}

func TestBranchesDeployTheirStackAfterTheChecks(t *testing.T) {
	jobs := readWorkflow(t, "deploy.yml").Jobs

	for _, tc := range []struct {
		job, branch, stack, environment string
	}{
		{"staging", "develop", "staging", "staging"},
		{"prod", "main", "prod", "production"},
	} {
		j, ok := jobs[tc.job]
		require.True(t, ok, "job %s", tc.job)
		assert.Equal(t, "github.ref == 'refs/heads/"+tc.branch+"'", j.If, tc.job)
		assert.Equal(t, "./.github/workflows/deploy-stack.yml", j.Uses, tc.job)
		assert.Equal(t, tc.stack, j.With["stack"], tc.job)
		assert.Equal(t, tc.environment, j.With["environment"], tc.job)
		assert.Equal(t, "checks", j.Needs, tc.job)
	}
}

func TestPullRequestsPreviewEveryStackAsAComment(t *testing.T) {
	stacks, err := harness.Stacks(root)
	require.NoError(t, err)
	preview := readWorkflow(t, "preview.yml").Jobs["preview"]

	var matrix []string
	list, ok := preview.Strategy.Matrix["stack"].([]any)
	require.True(t, ok, "the preview job has a stack matrix")
	for _, s := range list {
		matrix = append(matrix, s.(string))
	}
	slices.Sort(matrix)
	assert.Equal(t, stacks, matrix, "one preview per Pulumi.<stack>.yaml")

	var action *step
	for i, s := range preview.Steps {
		if strings.HasPrefix(s.Uses, "pulumi/actions@") {
			action = &preview.Steps[i]
		}
	}
	require.NotNil(t, action, "the preview job runs pulumi/actions")
	assert.Equal(t, "preview", action.With["command"])
	assert.Equal(t, true, action.With["comment-on-pr"])
	assert.Equal(t, "write", preview.Permissions["pull-requests"])
}

// ciRunVersion reads NAME=value from .ci/run.
func ciRunVersion(t *testing.T, name string) string {
	t.Helper()

	b, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^` + name + `=(\S+)$`).FindStringSubmatch(string(b))
	require.NotNil(t, m, ".ci/run sets %s", name)

	return m[1]
}

func TestLocalAndGitHubChecksPinTheSameLinters(t *testing.T) {
	env := readWorkflow(t, "checks.yml").Env

	for _, name := range []string{"GOLANGCI_LINT_VERSION", "ACTIONLINT_VERSION"} {
		local := ciRunVersion(t, name)
		assert.Regexp(t, pinnedVersion, local, "%s is an exact version", name)
		assert.Equal(t, local, env[name], "%s in .ci/run and checks.yml", name)
	}
}

func TestMigrationTaskRunsOnFargateInThePrivateSubnetsWithTheAppGroup(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "scripts", "run-migration.sh"))
	require.NoError(t, err)
	script := string(b)

	for _, want := range []string{
		"--launch-type FARGATE",
		"awsvpcConfiguration={subnets=[$subnets],securityGroups=[$app_sg],assignPublicIp=DISABLED}",
		"output privateSubnetIds --json",
		"output securityGroupIds --json | jq -r '.app'",
		"output clusterName",
		"output migrationTaskDefinitionArn",
		"aws ecs wait tasks-stopped",
		"all(.exitCode == 0)",
	} {
		assert.Contains(t, script, want)
	}
}

func TestDeployScriptsReadOutputsEveryStackExports(t *testing.T) {
	stacks, err := harness.Stacks(root)
	require.NoError(t, err)

	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			result, err := offline.Run(root, stack)
			require.NoError(t, err)

			assert.Contains(t, result.Outputs, "privateSubnetIds")
			groups, ok := result.Outputs["securityGroupIds"].(map[string]string)
			require.True(t, ok, "securityGroupIds is a map, got %#v",
				result.Outputs["securityGroupIds"])
			assert.NotEmpty(t, groups["app"])

			// The compute tier's outputs are required once it registers a cluster.
			if len(result.OfType("aws:ecs/cluster:Cluster")) > 0 {
				for _, name := range []string{"clusterName", "migrationTaskDefinitionArn", "apiUrl"} {
					assert.Contains(t, result.Outputs, name)
				}
			}
		})
	}
}

func TestWorkflowsRunThePulumiCLIOfTheSDKVersion(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s*github\.com/pulumi/pulumi/sdk/v3 v(\S+)$`).FindSubmatch(b)
	require.NotNil(t, m, "go.mod requires the Pulumi SDK")
	sdk := string(m[1])

	for _, name := range []string{"preview.yml", "deploy-stack.yml"} {
		assert.Equal(t, sdk, readWorkflow(t, name).Env["PULUMI_VERSION"],
			"%s runs the CLI released with the SDK in go.mod", name)
	}
}
