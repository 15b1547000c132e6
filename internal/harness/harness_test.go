package harness_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/internal/harness"
)

func TestRunRecordsInputsOptionsAndOutputs(t *testing.T) {
	t.Parallel()

	r, err := harness.Run("demo", "test", nil, func(ctx *pulumi.Context) (pulumi.Map, error) {
		first, err := s3.NewBucketV2(ctx, "first", &s3.BucketV2Args{
			ForceDestroy: pulumi.Bool(true),
		}, pulumi.Protect(true))
		if err != nil {
			return nil, err
		}
		second, err := s3.NewBucketV2(ctx, "second", &s3.BucketV2Args{
			Tags: pulumi.StringMap{"token": pulumi.ToSecret(pulumi.String("hunter2")).(pulumi.StringOutput)},
		}, pulumi.DependsOn([]pulumi.Resource{first}), pulumi.IgnoreChanges([]string{"tags"}))
		if err != nil {
			return nil, err
		}

		return pulumi.Map{
			"name":   first.Bucket,
			"hidden": pulumi.ToSecret(second.Arn),
		}, nil
	})
	require.NoError(t, err)

	first := r.Find("aws:s3/bucketV2:BucketV2", "first")
	second := r.Find("aws:s3/bucketV2:BucketV2", "second")
	require.NotNil(t, first)
	require.NotNil(t, second)

	assert.True(t, first.Protect)
	assert.Equal(t, true, first.Inputs["forceDestroy"])
	assert.Equal(t, []string{first.URN}, second.DependsOn)
	assert.Equal(t, []string{"tags"}, second.IgnoreChanges)
	assert.Equal(t, map[string]any{"token": harness.Secret}, second.Inputs["tags"])
	assert.Equal(t, map[string]any{"token": "hunter2"}, second.Raw("tags"))
	assert.Equal(t, harness.Secret, r.Outputs["hidden"])
	assert.Equal(t, map[string]int{"aws:s3/bucketV2:BucketV2": 2}, r.CountByType())
}

func TestUnknownInvokesFailLoudly(t *testing.T) {
	t.Parallel()

	m := harness.NewMocks("us-east-1")
	_, err := m.Call(pulumi.MockCallArgs{Token: "aws:ec2/getAmi:getAmi"})
	require.ErrorContains(t, err, "does not answer invoke aws:ec2/getAmi:getAmi")
}

func TestDuplicateURNsFailAsTheEngineWould(t *testing.T) {
	t.Parallel()

	_, err := harness.Run("demo", "test", nil, func(ctx *pulumi.Context) (pulumi.Map, error) {
		if _, err := s3.NewBucketV2(ctx, "same", nil); err != nil {
			return nil, err
		}
		_, err := s3.NewBucketV2(ctx, "same", nil)

		return pulumi.Map{}, err
	})
	require.ErrorContains(t, err, "duplicate resource URN")
}
