package components_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

const (
	dockerfilePath = "../docker/Dockerfile"
	imageKeyArn    = "arn:aws:kms:us-east-1:123456789012:key/11112222-3333-4444-5555-666677778888"
	prebuiltImage  = "210987654321.dkr.ecr.us-east-1.amazonaws.com/socialflow/backend@sha256:" +
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

var digestRef = regexp.MustCompile(`^[^@]+@sha256:[0-9a-f]{64}$`)

// backendTree writes a minimal backend source tree and returns its path.
func backendTree(t *testing.T) string {
	t.Helper()

	dir := t.TempDir()
	files := map[string]string{
		"requirements.txt":                "fastapi==0.115.0\nuvicorn==0.30.0\n",
		"alembic.ini":                     "[alembic]\nscript_location = alembic\n",
		"alembic/env.py":                  "# migrations\n",
		"app/__init__.py":                 "",
		"app/main.py":                     "app = None\n",
		"README.md":                       "not copied into the image\n",
		"tests/test_main.py":              "def test(): pass\n",
		"app/__pycache__/main.cpython.py": "",
	}
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	}

	return dir
}

func imagesArgs(contextDir, architecture, prebuilt string, protect bool) *components.ImagesArgs {
	return &components.ImagesArgs{
		KeyArn:         pulumi.String(imageKeyArn),
		Protect:        protect,
		Context:        "backend",
		Dockerfile:     "docker/Dockerfile",
		ContextDir:     contextDir,
		DockerfilePath: dockerfilePath,
		Architecture:   architecture,
		Prebuilt:       prebuilt,
	}
}

// runImages runs the Images component and returns what it registered and
// the image and command each target resolves to.
func runImages(t *testing.T, args *components.ImagesArgs) (*harness.Result, map[string]any) {
	t.Helper()

	var commands map[string][]string
	r, err := harness.Run("socialflow", "test", nil, func(ctx *pulumi.Context) (pulumi.Map, error) {
		images, err := components.NewImages(ctx, "sf", args)
		if err != nil {
			return nil, err
		}
		out := pulumi.Map{"repositoryUrl": images.RepositoryURL}
		commands = map[string][]string{}
		for target, ref := range images.Refs {
			out[target] = ref.Image
			commands[target] = ref.Command
		}
		pull := pulumi.StringArray(images.PullRepositoryArns)
		out["pull"] = pull

		return out, nil
	})
	require.NoError(t, err)
	for target, cmd := range commands {
		r.Outputs[target+"Command"] = cmd
	}

	return r, r.Outputs
}

func TestImageRepositoryScansOnPushKeepsTagsImmutableAndUsesTheCustomerKey(t *testing.T) {
	t.Parallel()

	for _, protect := range []bool{false, true} {
		r, _ := runImages(t, imagesArgs(backendTree(t), "X86_64", "", protect))
		repo := only(t, r, "aws:ecr/repository:Repository")

		assert.Equal(t, "IMMUTABLE", repo.Inputs["imageTagMutability"])
		assert.Equal(t, map[string]any{"scanOnPush": true}, repo.Inputs["imageScanningConfiguration"])
		assert.Equal(t, []any{map[string]any{"encryptionType": "KMS", "kmsKey": imageKeyArn}},
			repo.Inputs["encryptionConfigurations"])
		assert.Equal(t, protect, repo.Protect, "protected stacks keep their repository")
		assert.Equal(t, !protect, repo.Inputs["forceDelete"],
			"only an unprotected repository is deleted with its images")
	}
}

func TestImageLifecycleExpiresUntaggedImagesAndKeepsRecentBuildsOfEachTarget(t *testing.T) {
	t.Parallel()

	r, _ := runImages(t, imagesArgs(backendTree(t), "X86_64", "", false))
	policy := only(t, r, "aws:ecr/lifecyclePolicy:LifecyclePolicy")
	assert.Equal(t, "sf", policy.Inputs["repository"])

	rules := document(t, policy, "policy")["rules"].([]any)
	require.Len(t, rules, 4)
	assert.Equal(t, map[string]any{
		"rulePriority": 1.0,
		"description":  "Expire untagged images after 7 days",
		"selection": map[string]any{
			"tagStatus": "untagged", "countType": "sinceImagePushed",
			"countUnit": "days", "countNumber": 7.0,
		},
		"action": map[string]any{"type": "expire"},
	}, rules[0])
	// One rule per target: a rule listing several prefixes only selects
	// images that carry all of them.
	for i, target := range []string{"runtime", "worker", "beat"} {
		rule := rules[i+1].(map[string]any)
		assert.Equal(t, float64(i+2), rule["rulePriority"])
		assert.Equal(t, map[string]any{
			"tagStatus": "tagged", "tagPrefixList": []any{target + "-"},
			"countType": "imageCountMoreThan", "countNumber": 30.0,
		}, rule["selection"])
		assert.Equal(t, map[string]any{"type": "expire"}, rule["action"])
	}
}

func TestImagesBuildEveryTargetForTheFargateArchitecture(t *testing.T) {
	t.Parallel()

	for arch, platform := range map[string]string{"X86_64": "linux/amd64", "ARM64": "linux/arm64"} {
		r, _ := runImages(t, imagesArgs(backendTree(t), arch, "", false))
		images := r.OfType("docker:index/image:Image")
		require.Len(t, images, 3)

		targets := map[string]bool{}
		for _, img := range images {
			build := img.Inputs["build"].(map[string]any)
			targets[build["target"].(string)] = true
			assert.Equal(t, platform, build["platform"], arch)
			assert.Equal(t, "backend", build["context"])
			assert.Equal(t, "docker/Dockerfile", build["dockerfile"])
			assert.Equal(t, "BuilderBuildKit", build["builderVersion"])
		}
		assert.Equal(t, map[string]bool{"runtime": true, "worker": true, "beat": true}, targets)
	}
}

func TestImagesPushWithTheRepositorysEcrCredentials(t *testing.T) {
	t.Parallel()

	r, _ := runImages(t, imagesArgs(backendTree(t), "X86_64", "", false))
	for _, img := range r.OfType("docker:index/image:Image") {
		assert.Equal(t, map[string]any{
			"server":   "https://123456789012.dkr.ecr.us-east-1.amazonaws.com",
			"username": "AWS",
			"password": harness.Secret,
		}, img.Inputs["registry"], "%s logs in with the token ECR issued", img.Name)
		assert.Equal(t, "preview", img.Raw("registry").(map[string]any)["password"])
	}
}

func TestImageTagsNameTheTargetAndTheContentItIsBuiltFrom(t *testing.T) {
	t.Parallel()

	dir := backendTree(t)
	digest, err := components.ContextDigest(dir, dockerfilePath, "linux/amd64")
	require.NoError(t, err)

	r, _ := runImages(t, imagesArgs(dir, "X86_64", "", false))
	for _, img := range r.OfType("docker:index/image:Image") {
		target := img.Inputs["build"].(map[string]any)["target"].(string)
		assert.Equal(t, "123456789012.dkr.ecr.us-east-1.amazonaws.com/sf:"+target+"-"+digest[:20],
			img.Inputs["imageName"])
	}
}

func TestContextDigestChangesExactlyWhenWhatTheBuildReadsChanges(t *testing.T) {
	t.Parallel()

	digest := func(t *testing.T, dir, dockerfile, platform string) string {
		t.Helper()

		d, err := components.ContextDigest(dir, dockerfile, platform)
		require.NoError(t, err)
		require.Len(t, d, 64)

		return d
	}
	base := digest(t, backendTree(t), dockerfilePath, "linux/amd64")
	assert.Equal(t, base, digest(t, backendTree(t), dockerfilePath, "linux/amd64"),
		"the same tree in another place hashes the same")

	cases := []struct {
		name     string
		change   func(t *testing.T, dir string) (dockerfile, platform string)
		sameHash bool
	}{
		{"app-code-edited", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "app/main.py"), []byte("x = 1\n"), 0o600))

			return dockerfilePath, "linux/amd64"
		}, false},
		{"module-added", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "app/extra.py"), nil, 0o600))

			return dockerfilePath, "linux/amd64"
		}, false},
		{"requirement-bumped", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "requirements.txt"),
				[]byte("fastapi==0.116.0\n"), 0o600))

			return dockerfilePath, "linux/amd64"
		}, false},
		{"script-made-executable", func(t *testing.T, dir string) (string, string) {
			script := filepath.Join(dir, "alembic/env.py")
			require.NoError(t, os.Chmod(script, 0o700)) //nolint:gosec // an executable on purpose

			return dockerfilePath, "linux/amd64"
		}, false},
		{"other-platform", func(t *testing.T, _ string) (string, string) {
			return dockerfilePath, "linux/arm64"
		}, false},
		{"dockerfile-edited", func(t *testing.T, dir string) (string, string) {
			src, err := os.ReadFile(dockerfilePath)
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "Dockerfile")
			require.NoError(t, os.WriteFile(path, append(src, "\nLABEL x=y\n"...), 0o600))

			return path, "linux/amd64"
		}, false},
		{"uncopied-file-edited", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("new"), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "tests/test_main.py"), nil, 0o600))

			return dockerfilePath, "linux/amd64"
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			dir := backendTree(t)
			dockerfile, platform := tc.change(t, dir)
			got := digest(t, dir, dockerfile, platform)
			if tc.sameHash {
				assert.Equal(t, base, got)
			} else {
				assert.NotEqual(t, base, got)
			}
		})
	}
}

func TestContextDigestHashesAnEmptyContextSoThePreviewRuns(t *testing.T) {
	t.Parallel()

	empty, err := components.ContextDigest(t.TempDir(), dockerfilePath, "linux/amd64")
	require.NoError(t, err, "missing sources are the build's to report")
	full, err := components.ContextDigest(backendTree(t), dockerfilePath, "linux/amd64")
	require.NoError(t, err)
	assert.NotEqual(t, empty, full)

	_, err = components.ContextDigest(t.TempDir(), "no/such/Dockerfile", "linux/amd64")
	assert.ErrorContains(t, err, "reading the Dockerfile")
}

func TestBuiltImagesRunByDigestFromTheStackRepository(t *testing.T) {
	t.Parallel()

	r, out := runImages(t, imagesArgs(backendTree(t), "ARM64", "", false))
	repoURL := "123456789012.dkr.ecr.us-east-1.amazonaws.com/sf"
	assert.Equal(t, repoURL, out["repositoryUrl"])
	seen := map[any]bool{}
	for _, target := range components.ImageTargets {
		image, ok := out[target].(string)
		require.True(t, ok, "%s resolves to an image", target)
		assert.Regexp(t, digestRef, image, target)
		assert.True(t, strings.HasPrefix(image, repoURL+"@sha256:"), image)
		assert.Nil(t, out[target+"Command"], "%s runs its image's own CMD", target)
		seen[image] = true
	}
	assert.Len(t, seen, 3, "each target runs its own image")
	assert.Equal(t, []string{"arn:aws:ecr:us-east-1:123456789012:repository/sf"}, out["pull"])
	assert.Len(t, r.OfType("docker:index/image:Image"), 3)
}

func TestPrebuiltImageRunsEveryServiceAndNothingIsBuilt(t *testing.T) {
	t.Parallel()

	// An empty context proves nothing is read from it either.
	r, out := runImages(t, imagesArgs(t.TempDir(), "X86_64", prebuiltImage, false))
	assert.Empty(t, r.OfType("docker:index/image:Image"))
	only(t, r, "aws:ecr/repository:Repository")

	for _, target := range components.ImageTargets {
		assert.Equal(t, prebuiltImage, out[target], target)
	}
	assert.Nil(t, out["runtimeCommand"], "the API runs the image's CMD")
	assert.Equal(t, components.PrebuiltCommands["worker"], out["workerCommand"])
	assert.Equal(t, components.PrebuiltCommands["beat"], out["beatCommand"])
	assert.Equal(t, []string{"arn:aws:ecr:us-east-1:210987654321:repository/socialflow/backend"},
		out["pull"], "tasks pull from the repository the prebuilt image lives in")
}

func TestPrebuiltCommandsAreTheDockerfileStagesCommands(t *testing.T) {
	t.Parallel()

	src, err := os.ReadFile(dockerfilePath)
	require.NoError(t, err)
	ast, err := parser.Parse(strings.NewReader(string(src)))
	require.NoError(t, err)
	stages, _, err := instructions.Parse(ast.AST, nil)
	require.NoError(t, err)

	cmds := map[string][]string{}
	for _, s := range stages {
		for _, c := range s.Commands {
			if cmd, ok := c.(*instructions.CmdCommand); ok {
				cmds[s.Name] = cmd.CmdLine
			}
		}
	}
	require.Len(t, components.PrebuiltCommands, 2)
	for target, command := range components.PrebuiltCommands {
		assert.Equal(t, cmds[target], command, target)
	}
}

func TestEcrRepositoryArnNamesOnlyPrivateEcrRepositories(t *testing.T) {
	t.Parallel()

	digest := "@sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		image, arn string
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app" + digest,
			"arn:aws:ecr:eu-west-1:123456789012:repository/app"},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1" + digest,
			"arn:aws:ecr:us-east-1:123456789012:repository/team/app"},
		{"docker.io/library/python" + digest, ""},
		{"public.ecr.aws/team/app" + digest, ""},
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest", ""},
	}
	for _, tc := range cases {
		arn, ok := components.EcrRepositoryArn(tc.image)
		assert.Equal(t, tc.arn != "", ok, tc.image)
		assert.Equal(t, tc.arn, arn, tc.image)
	}
}

func TestImagesRejectAnUnknownArchitecture(t *testing.T) {
	t.Parallel()

	_, err := runComponentE(func(ctx *pulumi.Context) error {
		_, err := components.NewImages(ctx, "sf", imagesArgs(backendTree(t), "MIPS", "", false))

		return err
	})
	assert.ErrorContains(t, err, `unknown architecture "MIPS"`)
}
