package stack_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
	"github.com/socialflow/socialflow-infra/internal/offline"
)

// stacks are the stack files of the project.
var stacks = []string{"dev", "staging", "prod"}

// offlineRun is one run of a stack file, shared by every test of the binary.
type offlineRun struct {
	once   sync.Once
	result *harness.Result
	cfg    *config.Config
	err    error
}

var runs = map[string]*offlineRun{"dev": {}, "staging": {}, "prod": {}}

// stackRun runs Pulumi.<stack>.yaml under the harness once per test binary
// and returns what it registered and the stack's configuration.
func stackRun(t *testing.T, stack string) (*harness.Result, *config.Config) {
	t.Helper()

	run := runs[stack]
	require.NotNil(t, run, "unknown stack %s", stack)
	run.once.Do(func() {
		var project string
		project, run.cfg, run.err = offline.LoadConfig("..", stack)
		if run.err == nil {
			run.result, run.err = offline.RunConfig(project, stack, run.cfg)
		}
	})
	require.NoError(t, run.err)

	return run.result, run.cfg
}

// preview returns what Pulumi.<stack>.yaml registers.
func preview(t *testing.T, stack string) *harness.Result {
	t.Helper()

	r, _ := stackRun(t, stack)

	return r
}

// find returns the resource of typ named name, failing if there is none.
func find(t *testing.T, r *harness.Result, typ, name string) *harness.Resource {
	t.Helper()

	res := r.Find(typ, name)
	require.NotNil(t, res, "%s %s is registered", typ, name)

	return res
}

// forEachStack runs check on every stack file of the project, each in a
// parallel subtest named after the stack.
func forEachStack(
	t *testing.T, check func(t *testing.T, stack string, r *harness.Result, cfg *config.Config),
) {
	t.Helper()

	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()

			r, cfg := stackRun(t, stack)
			check(t, stack, r, cfg)
		})
	}
}
