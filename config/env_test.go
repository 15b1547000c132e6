package config_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
)

// These tests change the process environment and working directory, so
// they do not run in parallel.

func TestLoadFromEnvReadsWhatTheCLIPasses(t *testing.T) {
	raw := stackConfig(t, "prod")
	b, err := json.Marshal(raw)
	require.NoError(t, err)
	t.Setenv("PULUMI_CONFIG", string(b))
	t.Chdir("..")

	cfg, err := config.LoadFromEnv()
	require.NoError(t, err)
	assert.Equal(t, "prod", cfg.Environment)
	assert.Equal(t, ".", cfg.ProjectDir, "the CLI runs the program in the project directory")
}

func TestLoadFromEnvRejectsMalformedConfigAndMissingFiles(t *testing.T) {
	t.Setenv("PULUMI_CONFIG", "{not json")
	_, err := config.LoadFromEnv()
	require.ErrorContains(t, err, "reading PULUMI_CONFIG")

	b, err := json.Marshal(stackConfig(t, "dev"))
	require.NoError(t, err)
	t.Setenv("PULUMI_CONFIG", string(b))
	t.Chdir(t.TempDir())
	_, err = config.LoadFromEnv()
	var cfgErr *config.Error
	require.ErrorAs(t, err, &cfgErr)
	assert.Contains(t, err.Error(), `socialflow:image.dockerfile "docker/Dockerfile"`)
}
