package stack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

// childrenOf returns the children of the one component of type typ.
func childrenOf(t *testing.T, r *harness.Result, typ string) []*harness.Resource {
	t.Helper()

	comps := r.OfType(typ)
	require.Len(t, comps, 1, typ)

	return r.Children(comps[0].URN)
}

func TestStacksBuildTheVpcOfTheMatrix(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()

			r := preview(t, stack)
			vpcs := r.OfType("awsx:ec2:Vpc")
			require.Len(t, vpcs, 1)
			vpc := vpcs[0]
			octet := map[string]string{"dev": "0", "staging": "1", "prod": "2"}[stack]
			nat := map[string]string{"dev": "Single", "staging": "OnePerAz", "prod": "OnePerAz"}[stack]

			assert.Equal(t, "10."+octet+".0.0/16", vpc.Inputs["cidrBlock"])
			assert.Equal(t, true, vpc.Inputs["enableDnsHostnames"])
			assert.Equal(t, true, vpc.Inputs["enableDnsSupport"])
			assert.Equal(t, map[string]any{"strategy": nat}, vpc.Inputs["natGateways"])
			specs := vpc.Inputs["subnetSpecs"].([]any)
			require.Len(t, specs, 2)
			for _, s := range specs {
				spec := s.(map[string]any)
				var want []any
				for _, third := range map[string][]string{
					"Public": {"101", "102", "103"}, "Private": {"1", "2", "3"},
				}[spec["type"].(string)] {
					want = append(want, "10."+octet+"."+third+".0/24")
				}
				assert.Equal(t, want, spec["cidrBlocks"], spec["type"])
			}
		})
	}
}

func TestStacksFlowLogRetentionFollowsTheMatrix(t *testing.T) {
	t.Parallel()

	want := map[string]float64{"dev": 7, "staging": 30, "prod": 90}
	for _, stack := range stacks {
		r := preview(t, stack)
		group := r.Find("aws:cloudwatch/logGroup:LogGroup", "socialflow-"+stack+"-flow-logs")
		require.NotNil(t, group, stack)
		assert.Equal(t, want[stack], group.Inputs["retentionInDays"], stack)
		assert.Regexp(t, `^arn:aws:kms:us-east-1:\d{12}:key/`, group.Inputs["kmsKeyId"], stack)
		require.Len(t, r.OfType("aws:ec2/flowLog:FlowLog"), 1, stack)
	}
}

func TestStacksOpenExactlyTheChainedSecurityGroupRules(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		p := "socialflow-" + stack + "-"
		rules, err := r.SecurityGroupRules()
		require.NoError(t, err)

		assert.ElementsMatch(t, []string{
			p + "alb in tcp/80 0.0.0.0/0",
			p + "alb in tcp/443 0.0.0.0/0",
			p + "alb out tcp/8000 " + p + "app",
			p + "app in tcp/8000 " + p + "alb",
			p + "app out tcp/443 0.0.0.0/0",
			p + "app out tcp/5432 " + p + "postgres",
			p + "app out tcp/6379 " + p + "redis",
			p + "postgres in tcp/5432 " + p + "app",
			p + "redis in tcp/6379 " + p + "app",
		}, rules, stack)
		assert.Len(t, r.OfType("aws:ec2/securityGroupRule:SecurityGroupRule"), 0,
			"one rule style: the standalone vpc rule resources")
	}
}

func TestStacksSecretsRecoveryWindowAndProtection(t *testing.T) {
	t.Parallel()

	window := map[string]float64{"dev": 0, "staging": 7, "prod": 30}
	for _, stack := range stacks {
		r := preview(t, stack)
		prod := stack == "prod"
		key := r.Find("aws:kms/key:Key", "socialflow-"+stack+"-key")
		require.NotNil(t, key, stack)
		assert.Equal(t, prod, key.Protect, "%s key", stack)
		assert.Equal(t, true, key.Inputs["enableKeyRotation"], stack)

		var appSecrets int
		for _, res := range childrenOf(t, r, "socialflow:index:Secrets") {
			if res.Type != "aws:secretsmanager/secret:Secret" {
				continue
			}
			appSecrets++
			assert.Equal(t, window[stack], res.Inputs["recoveryWindowInDays"], res.Name)
			assert.Equal(t, prod, res.Protect, res.Name)
		}
		assert.Equal(t, len(components.AppSecrets), appSecrets, stack)
	}
}

func TestStacksParentEveryResourceToAComponentNamedForIt(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		for _, res := range r.Resources {
			if strings.HasPrefix(res.Type, "socialflow:index:") &&
				strings.Contains(res.Parent, "pulumi:pulumi:Stack") {
				continue
			}
			parent := r.ByURN(res.Parent)
			require.NotNil(t, parent, "%s %s has a parent", res.Type, res.Name)
			assert.True(t, strings.HasPrefix(res.Name, parent.Name),
				"%s %s is named after its parent %s", res.Type, res.Name, parent.Name)
		}
	}
}

func TestStacksExportFoundationOutputsWithoutSecretValues(t *testing.T) {
	t.Parallel()

	for _, stack := range stacks {
		r := preview(t, stack)
		for _, k := range []string{
			"vpcId", "publicSubnetIds", "privateSubnetIds", "securityGroupIds", "kmsKeyArn", "secretArns",
		} {
			assert.Contains(t, r.Outputs, k, stack)
		}
		assert.Len(t, r.Outputs["publicSubnetIds"], 3, stack)
		assert.Len(t, r.Outputs["privateSubnetIds"], 3, stack)
		assert.Regexp(t, `^arn:aws:kms:`, r.Outputs["kmsKeyArn"], "a key ARN, not an alias")

		out, err := json.Marshal(r)
		require.NoError(t, err)
		for _, res := range r.OfType("aws:secretsmanager/secretVersion:SecretVersion") {
			value, _ := res.Raw("secretString").(string)
			require.NotEmpty(t, value)
			assert.NotContains(t, string(out), value, "%s value leaks into the preview", res.Name)
		}
	}
}
