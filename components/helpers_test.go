package components_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/internal/harness"
)

// runComponentE runs program under the mock harness as stack "test".
func runComponentE(program func(ctx *pulumi.Context) error) (*harness.Result, error) {
	return harness.Run("socialflow", "test", nil, func(ctx *pulumi.Context) (pulumi.Map, error) {
		return pulumi.Map{}, program(ctx)
	})
}

// runComponent is [runComponentE] failing the test if the program fails.
func runComponent(t *testing.T, program func(ctx *pulumi.Context) error) *harness.Result {
	t.Helper()

	result, err := runComponentE(program)
	require.NoError(t, err)

	return result
}

// assertNamesRefused checks that create fails for each name with an error
// that quotes it.
func assertNamesRefused(
	t *testing.T, names []string, create func(ctx *pulumi.Context, name string) error,
) {
	t.Helper()

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			_, err := runComponentE(func(ctx *pulumi.Context) error { return create(ctx, name) })

			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
		})
	}
}

// only returns the single resource of typ, failing if there is not exactly one.
func only(t *testing.T, r *harness.Result, typ string) *harness.Resource {
	t.Helper()

	all := r.OfType(typ)
	require.Len(t, all, 1, "resources of type %s", typ)

	return all[0]
}

// document decodes a JSON policy (or any JSON document) input.
func document(t *testing.T, res *harness.Resource, key string) map[string]any {
	t.Helper()

	s, ok := res.Inputs[key].(string)
	require.True(t, ok, "%s.%s is a JSON string, got %#v", res.Name, key, res.Inputs[key])
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &doc))

	return doc
}
