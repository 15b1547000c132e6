package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-docker/sdk/v4/go/docker"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Image targets: the stages of docker/Dockerfile that run on ECS.
const (
	TargetAPI    = "runtime"
	TargetWorker = "worker"
	TargetBeat   = "beat"
)

// ImageTargets are the Dockerfile stages built and pushed, one image each.
var ImageTargets = []string{TargetAPI, TargetWorker, TargetBeat}

// PrebuiltCommands are the commands the worker and beat containers run when
// a stack runs one prebuilt image for every service: the CMD of the
// Dockerfile's worker and beat stages, which a test keeps equal.
var PrebuiltCommands = map[string][]string{
	TargetWorker: {"celery", "--app", "app.celery_app", "worker", "--loglevel", "INFO"},
	TargetBeat: {"celery", "--app", "app.celery_app", "beat", "--loglevel", "INFO",
		"--schedule", "/tmp/celerybeat-schedule", "--pidfile", "/tmp/celerybeat.pid"},
}

// Image lifecycle: untagged layers left by failed pushes go after a week;
// each target keeps its last 30 builds to roll back to.
const (
	UntaggedImageDays     = 7
	TaggedImagesPerTarget = 30
)

// ImagesArgs configures [NewImages].
type ImagesArgs struct {
	// KeyArn encrypts the repository's images.
	KeyArn pulumi.StringInput
	// Protect guards the repository against deletion; an unprotected one is
	// deleted with its images.
	Protect bool
	// Context and Dockerfile are handed to the Docker build as configured,
	// relative to the directory the Pulumi CLI runs the program in.
	Context    string
	Dockerfile string
	// ContextDir and DockerfilePath are the same two paths as this process
	// reads them, to hash what the build copies.
	ContextDir     string
	DockerfilePath string
	// Architecture is the Fargate CPU architecture, X86_64 or ARM64.
	Architecture string
	// Prebuilt, when set, is the image every service runs
	// ("repo@sha256:…"); nothing is built.
	Prebuilt string
}

// ImageRef is what a task definition needs to run one target.
type ImageRef struct {
	// Image is the image pinned by digest ("repo@sha256:…").
	Image pulumi.StringOutput
	// Command overrides the image's CMD; nil runs the image's own.
	Command []string
}

// Images is the stack's ECR repository (scan on push, immutable tags,
// encrypted with the customer key, lifecycle rules) and the application
// images: one per Dockerfile target, built for the Fargate architecture and
// pushed under a tag derived from everything the build reads, so a tag is
// never pushed twice with different content. With a prebuilt image nothing
// is built and every target runs that image.
type Images struct {
	pulumi.ResourceState

	// RepositoryURL is the repository's address, for CI to push to.
	RepositoryURL pulumi.StringOutput `pulumi:"repositoryUrl"`
	// RepositoryArn is the ARN of the stack's repository.
	RepositoryArn pulumi.StringOutput `pulumi:"repositoryArn"`
	// PullRepositoryArns are the ECR repositories the tasks pull from: the
	// stack's own, the prebuilt image's when that is in ECR, or none.
	PullRepositoryArns []pulumi.StringInput
	// Refs maps each of [ImageTargets] to its image.
	Refs map[string]ImageRef
}

// NewImages creates the repository and builds or adopts the images.
func NewImages(
	ctx *pulumi.Context, name string, args *ImagesArgs, opts ...pulumi.ResourceOption,
) (*Images, error) {
	c := &Images{Refs: map[string]ImageRef{}}
	if err := ctx.RegisterComponentResource("socialflow:index:Images", name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering images component: %w", err)
	}
	parent := pulumi.Parent(c)

	repo, err := ecr.NewRepository(ctx, name, &ecr.RepositoryArgs{
		ImageTagMutability: pulumi.String("IMMUTABLE"),
		ImageScanningConfiguration: &ecr.RepositoryImageScanningConfigurationArgs{
			ScanOnPush: pulumi.Bool(true),
		},
		EncryptionConfigurations: ecr.RepositoryEncryptionConfigurationArray{
			&ecr.RepositoryEncryptionConfigurationArgs{
				EncryptionType: pulumi.String("KMS"),
				KmsKey:         args.KeyArn,
			},
		},
		ForceDelete: pulumi.Bool(!args.Protect),
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, fmt.Errorf("creating image repository: %w", err)
	}

	policy, err := LifecyclePolicy()
	if err != nil {
		return nil, err
	}
	if _, err := ecr.NewLifecyclePolicy(ctx, name, &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(policy),
	}, parent); err != nil {
		return nil, fmt.Errorf("creating image lifecycle policy: %w", err)
	}

	if args.Prebuilt != "" {
		for _, target := range ImageTargets {
			c.Refs[target] = ImageRef{
				Image:   pulumi.String(args.Prebuilt).ToStringOutput(),
				Command: PrebuiltCommands[target],
			}
		}
		if arn, ok := EcrRepositoryArn(args.Prebuilt); ok {
			c.PullRepositoryArns = []pulumi.StringInput{pulumi.String(arn)}
		}
	} else {
		if err := c.build(ctx, name, repo, args, parent); err != nil {
			return nil, err
		}
		c.PullRepositoryArns = []pulumi.StringInput{repo.Arn}
	}

	c.RepositoryURL = repo.RepositoryUrl
	c.RepositoryArn = repo.Arn
	outputs := pulumi.Map{"repositoryUrl": repo.RepositoryUrl, "repositoryArn": repo.Arn}
	for target, ref := range c.Refs {
		outputs[target+"Image"] = ref.Image
	}
	if err := ctx.RegisterResourceOutputs(c, outputs); err != nil {
		return nil, fmt.Errorf("registering images outputs: %w", err)
	}

	return c, nil
}

// build builds and pushes one image per target.
func (c *Images) build(
	ctx *pulumi.Context, name string, repo *ecr.Repository, args *ImagesArgs,
	parent pulumi.ResourceOrInvokeOption,
) error {
	platform, err := Platform(args.Architecture)
	if err != nil {
		return err
	}
	digest, err := ContextDigest(args.ContextDir, args.DockerfilePath, platform)
	if err != nil {
		return err
	}

	token := ecr.GetAuthorizationTokenOutput(ctx, ecr.GetAuthorizationTokenOutputArgs{
		RegistryId: repo.RegistryId,
	}, parent)
	for _, target := range ImageTargets {
		img, err := docker.NewImage(ctx, name+"-"+target, &docker.ImageArgs{
			ImageName: pulumi.Sprintf("%s:%s", repo.RepositoryUrl, ImageTag(target, digest)),
			Build: &docker.DockerBuildArgs{
				Context:        pulumi.String(args.Context),
				Dockerfile:     pulumi.String(args.Dockerfile),
				Target:         pulumi.String(target),
				Platform:       pulumi.String(platform),
				BuilderVersion: docker.BuilderVersionBuilderBuildKit,
			},
			Registry: &docker.RegistryArgs{
				Server:   token.ProxyEndpoint(),
				Username: token.UserName(),
				Password: pulumi.ToSecret(token.Password()).(pulumi.StringOutput),
			},
		}, parent)
		if err != nil {
			return fmt.Errorf("building the %s image: %w", target, err)
		}
		c.Refs[target] = ImageRef{Image: img.RepoDigest}
	}

	return nil
}

// Platform is the Docker platform that runs on a Fargate CPU architecture.
func Platform(architecture string) (string, error) {
	switch architecture {
	case "X86_64":
		return "linux/amd64", nil
	case "ARM64":
		return "linux/arm64", nil
	}

	return "", fmt.Errorf("choosing the image platform: unknown architecture %q", architecture)
}

// ImageTag names the image of target built from content with the given
// digest. Tags are immutable in the repository, so the tag changes exactly
// when what the build reads changes, and an unchanged tree is not rebuilt.
func ImageTag(target, digest string) string {
	return target + "-" + digest[:20]
}

// LifecyclePolicy is the repository's lifecycle policy document. Each
// target gets its own rule: a rule naming several tag prefixes only
// matches images carrying all of them.
func LifecyclePolicy() (string, error) {
	rules := []map[string]any{{
		"rulePriority": 1,
		"description":  fmt.Sprintf("Expire untagged images after %d days", UntaggedImageDays),
		"selection": map[string]any{
			"tagStatus":   "untagged",
			"countType":   "sinceImagePushed",
			"countUnit":   "days",
			"countNumber": UntaggedImageDays,
		},
		"action": map[string]any{"type": "expire"},
	}}
	for i, target := range ImageTargets {
		rules = append(rules, map[string]any{
			"rulePriority": i + 2,
			"description": fmt.Sprintf("Keep the last %d %s images",
				TaggedImagesPerTarget, target),
			"selection": map[string]any{
				"tagStatus":     "tagged",
				"tagPrefixList": []string{target + "-"},
				"countType":     "imageCountMoreThan",
				"countNumber":   TaggedImagesPerTarget,
			},
			"action": map[string]any{"type": "expire"},
		})
	}
	b, err := json.Marshal(map[string]any{"rules": rules})
	if err != nil {
		return "", fmt.Errorf("encoding image lifecycle policy: %w", err)
	}

	return string(b), nil
}

var ecrImage = regexp.MustCompile(
	`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^@:]+)(:[^@]+)?@sha256:[0-9a-f]{64}$`)

// EcrRepositoryArn returns the ARN of the private ECR repository an image
// reference points into, and false for any other registry.
func EcrRepositoryArn(image string) (string, bool) {
	m := ecrImage.FindStringSubmatch(image)
	if m == nil {
		return "", false
	}

	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", m[2], m[1], m[3]), true
}

// ContextDigest is the SHA-256 of everything an image build reads: the
// Dockerfile, the target platform and every file the Dockerfile copies from
// the build context (COPY or ADD without --from), with its path and
// executable bit. A source the context lacks is hashed as missing; the
// build itself reports it.
func ContextDigest(contextDir, dockerfilePath, platform string) (string, error) {
	src, err := os.ReadFile(dockerfilePath) //nolint:gosec // the stack's own Dockerfile
	if err != nil {
		return "", fmt.Errorf("reading the Dockerfile: %w", err)
	}
	sources, err := copySources(src)
	if err != nil {
		return "", err
	}

	h := sha256.New()
	field := func(parts ...string) {
		for _, p := range parts {
			_, _ = io.WriteString(h, p)
			_, _ = h.Write([]byte{0})
		}
	}
	field("dockerfile", string(src), "platform", platform)
	context := os.DirFS(contextDir)
	files := map[string]string{}
	for _, pattern := range sources {
		matches, err := fs.Glob(context, pattern)
		if err != nil {
			return "", fmt.Errorf("matching build source %q: %w", pattern, err)
		}
		if len(matches) == 0 {
			field("missing", pattern)
		}
		for _, m := range matches {
			if err := collectFiles(context, m, files); err != nil {
				return "", err
			}
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		field("file", p, files[p])
	}

	return hex.EncodeToString(h.Sum(nil)), nil
}

// copySources lists the context paths a Dockerfile copies, in order.
func copySources(dockerfile []byte) ([]string, error) {
	ast, err := parser.Parse(strings.NewReader(string(dockerfile)))
	if err != nil {
		return nil, fmt.Errorf("parsing the Dockerfile: %w", err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the Dockerfile: %w", err)
	}
	var out []string
	for _, s := range stages {
		for _, cmd := range s.Commands {
			var paths []string
			switch c := cmd.(type) {
			case *instructions.CopyCommand:
				if c.From == "" {
					paths = c.SourcePaths
				}
			case *instructions.AddCommand:
				paths = c.SourcePaths
			}
			for _, p := range paths {
				if !strings.Contains(p, "://") {
					out = append(out, path.Clean(strings.TrimPrefix(p, "/")))
				}
			}
		}
	}

	return out, nil
}

// collectFiles records every regular file at or under root's path as
// path → "<executable> <sha256>".
func collectFiles(root fs.FS, path string, files map[string]string) error {
	return fs.WalkDir(root, path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("hashing build source %s: %w", p, err)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("hashing build source %s: %w", p, err)
		}
		b, err := fs.ReadFile(root, p)
		if err != nil {
			return fmt.Errorf("hashing build source %s: %w", p, err)
		}
		sum := sha256.Sum256(b)
		files[p] = fmt.Sprintf("%t %x", info.Mode()&0o111 != 0, sum)

		return nil
	})
}
