// Package offline runs the socialflow program for one stack file of the
// project under the mock harness: the same configuration loading, the same
// validation and the same composition as `pulumi up`, with no cloud.
package offline

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
	"github.com/socialflow/socialflow-infra/stack"
)

// LoadConfig reads dir/Pulumi.<stackName>.yaml as the Pulumi CLI would and
// validates it. Configuration problems come back as a *config.Error.
func LoadConfig(dir, stackName string) (project string, cfg *config.Config, err error) {
	project, err = harness.ProjectName(dir)
	if err != nil {
		return "", nil, err
	}
	raw, err := harness.StackConfig(dir, project, stackName)
	if err != nil {
		return "", nil, err
	}
	cfg, err = config.Load(raw)
	if err != nil {
		return "", nil, err
	}
	if err := cfg.CheckFiles(dir); err != nil {
		return "", nil, err
	}

	return project, cfg, nil
}

// Run loads and validates the stack file, then runs the program under mocks
// and returns everything it registered.
func Run(dir, stackName string) (*harness.Result, error) {
	project, cfg, err := LoadConfig(dir, stackName)
	if err != nil {
		return nil, err
	}

	return RunConfig(project, stackName, cfg)
}

// RunConfig runs the program for an already validated configuration.
func RunConfig(project, stackName string, cfg *config.Config) (*harness.Result, error) {
	mocks := harness.NewMocks(cfg.Region)
	program := func(ctx *pulumi.Context) (pulumi.Map, error) {
		return stack.New(ctx, cfg)
	}
	result, err := harness.Run(project, stackName, mocks, program)
	if err != nil {
		return nil, fmt.Errorf("running the program: %w", err)
	}

	return result, nil
}
