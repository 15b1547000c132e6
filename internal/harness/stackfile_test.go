package harness_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/internal/harness"
)

func writeProject(t *testing.T, stackYAML string) string {
	t.Helper()

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"),
		[]byte("name: demo\nruntime: go\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.test.yaml"), []byte(stackYAML), 0o600))

	return dir
}

func TestStackConfigIsEncodedAsTheCLIPassesIt(t *testing.T) {
	t.Parallel()

	dir := writeProject(t, `config:
  aws:region: eu-west-1
  demo:count: 3
  demo:ratio: 0.5
  demo:enabled: true
  plain: value
  demo:db:
    version: "15"
    size: 20
    tags: [a, b]
  demo:password:
    secure: v1:abcdef
`)
	project, err := harness.ProjectName(dir)
	require.NoError(t, err)
	require.Equal(t, "demo", project)

	raw, err := harness.StackConfig(dir, project, "test")
	require.NoError(t, err)

	assert.Equal(t, map[string]string{
		"aws:region":    "eu-west-1",
		"demo:count":    "3",
		"demo:ratio":    "0.5",
		"demo:enabled":  "true",
		"demo:plain":    "value",
		"demo:db":       `{"size":20,"tags":["a","b"],"version":"15"}`,
		"demo:password": harness.Secret,
	}, raw)
}

func TestStacksListsTheStackFiles(t *testing.T) {
	t.Parallel()

	dir := writeProject(t, "config: {}\n")
	stacks, err := harness.Stacks(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"test"}, stacks)
}

func TestMissingFilesAreErrors(t *testing.T) {
	t.Parallel()

	_, err := harness.ProjectName(t.TempDir())
	require.ErrorContains(t, err, "reading project file")

	_, err = harness.StackConfig(t.TempDir(), "demo", "nope")
	require.ErrorContains(t, err, "reading stack file")
}
