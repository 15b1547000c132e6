// Package docker_test checks docker/Dockerfile through BuildKit's own
// Dockerfile parser, so the checks see the stages, users, health checks and
// commands exactly as a build would.
package docker_test

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runtimeStages are the stages that run in production; builder is not one.
var runtimeStages = []string{"runtime", "worker", "beat"}

// buildTools are packages that compile code and so stay out of the runtime
// stages; any *-dev or *-devel package counts too.
var buildTools = regexp.MustCompile(
	`^(build-essential|gcc(-[0-9.]+)?|g\+\+(-[0-9.]+)?|cpp|make|cmake|clang|` +
		`.*-dev|.*-devel)(=.*)?$`)

// installCommand finds package installs in a shell command line.
var installCommand = regexp.MustCompile(`^(apt-get|apt|apk|yum|dnf|microdnf)$`)

func readDockerfile(t *testing.T) string {
	t.Helper()

	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)

	return string(b)
}

// dockerfile is a parsed Dockerfile: its stages by name and the values of
// the ARGs declared before the first FROM.
type dockerfile struct {
	stages   map[string]*instructions.Stage
	metaArgs map[string]string
}

func parse(src string) (*dockerfile, error) {
	res, err := parser.Parse(strings.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("parsing Dockerfile: %w", err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, fmt.Errorf("reading Dockerfile instructions: %w", err)
	}
	df := &dockerfile{stages: map[string]*instructions.Stage{}, metaArgs: map[string]string{}}
	for i := range stages {
		df.stages[stages[i].Name] = &stages[i]
	}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				df.metaArgs[kv.Key] = *kv.Value
			}
		}
	}

	return df, nil
}

// chain returns the stage and the stages it is built on, nearest first,
// ending at the stage whose base is an image.
func (df *dockerfile) chain(name string) []*instructions.Stage {
	var out []*instructions.Stage
	for s := df.stages[name]; s != nil && len(out) <= len(df.stages); s = df.stages[s.BaseName] {
		out = append(out, s)
	}

	return out
}

// baseImage is the image the stage's chain starts from, ARGs expanded.
func (df *dockerfile) baseImage(name string) string {
	chain := df.chain(name)
	if len(chain) == 0 {
		return ""
	}

	return os.Expand(chain[len(chain)-1].BaseName, func(k string) string { return df.metaArgs[k] })
}

// effectiveUser is the user the stage's containers run as: its last USER,
// or the one it inherits; root when none is set.
func (df *dockerfile) effectiveUser(name string) string {
	for _, s := range df.chain(name) {
		user := ""
		for _, c := range s.Commands {
			if u, ok := c.(*instructions.UserCommand); ok {
				user = u.User
			}
		}
		if user != "" {
			return user
		}
	}

	return "root"
}

// own returns the stage's own last command of type T, if any.
func own[T instructions.Command](s *instructions.Stage) (T, bool) {
	var found T
	ok := false
	for _, c := range s.Commands {
		if v, is := c.(T); is {
			found, ok = v, true
		}
	}

	return found, ok
}

// installedPackages lists the packages the stage's RUN commands install
// through a system package manager.
func installedPackages(s *instructions.Stage) []string {
	var pkgs []string
	for _, c := range s.Commands {
		run, ok := c.(*instructions.RunCommand)
		if !ok {
			continue
		}
		line := strings.Join(run.CmdLine, " ")
		for _, segment := range regexp.MustCompile(`&&|\|\||;|\|`).Split(line, -1) {
			words := strings.Fields(strings.ReplaceAll(segment, "\\\n", " "))
			if len(words) < 2 || !installCommand.MatchString(words[0]) {
				continue
			}
			if !slices.Contains(words, "install") && !slices.Contains(words, "add") {
				continue
			}
			for _, w := range words[1:] {
				if w != "install" && w != "add" && !strings.HasPrefix(w, "-") {
					pkgs = append(pkgs, w)
				}
			}
		}
	}

	return pkgs
}

// flagValue returns the value after flag in argv ("--port 8000" or
// "--port=8000").
func flagValue(argv []string, flag string) string {
	for i, a := range argv {
		if a == flag && i+1 < len(argv) {
			return argv[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}

	return ""
}

// imageProblems lists every way the Dockerfile breaks the image rules.
func imageProblems(src string) ([]string, error) {
	df, err := parse(src)
	if err != nil {
		return nil, err
	}
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	for _, name := range append([]string{"builder"}, runtimeStages...) {
		if df.stages[name] == nil {
			add("stage %s is missing", name)
		}
	}
	if len(problems) > 0 {
		return problems, nil
	}
	for _, name := range []string{"worker", "beat"} {
		if base := df.stages[name].BaseName; base != "runtime" {
			add("stage %s is built on %q, not on runtime", name, base)
		}
	}

	for _, name := range runtimeStages {
		if base := df.baseImage(name); !strings.Contains(base, "-slim") {
			add("stage %s starts from %q, not a slim image without compilers", name, base)
		}
		if user, _, _ := strings.Cut(df.effectiveUser(name), ":"); user != "1000" {
			add("stage %s runs as user %q, not UID 1000", name, user)
		}
		for _, s := range df.chain(name) {
			if s.Name == "builder" {
				break
			}
			for _, pkg := range installedPackages(s) {
				if buildTools.MatchString(pkg) {
					add("stage %s (via %s) installs build tool %s", name, s.Name, pkg)
				}
			}
		}
		hc, ok := own[*instructions.HealthCheckCommand](df.stages[name])
		switch {
		case !ok:
			add("stage %s declares no HEALTHCHECK of its own", name)
		case len(hc.Health.Test) == 0 || hc.Health.Test[0] == "NONE":
			add("stage %s disables its HEALTHCHECK", name)
		case hc.Health.Interval != 30*time.Second:
			add("stage %s checks health every %s, not every 30s", name, hc.Health.Interval)
		}
	}

	api, ok := own[*instructions.CmdCommand](df.stages["runtime"])
	switch {
	case !ok:
		add("stage runtime has no CMD")
	case api.PrependShell:
		add("stage runtime's CMD is in shell form, so signals miss uvicorn")
	default:
		argv := api.CmdLine
		if argv[0] != "uvicorn" || flagValue(argv, "--workers") != "4" ||
			flagValue(argv, "--port") != "8000" || flagValue(argv, "--host") != "0.0.0.0" {
			add("stage runtime's CMD %q is not uvicorn with 4 workers on 0.0.0.0:8000", argv)
		}
	}
	if expose, ok := own[*instructions.ExposeCommand](df.stages["runtime"]); !ok ||
		!slices.Contains(expose.Ports, "8000") {
		add("stage runtime does not EXPOSE 8000")
	}
	for _, name := range []string{"worker", "beat"} {
		cmd, ok := own[*instructions.CmdCommand](df.stages[name])
		if !ok || cmd.PrependShell || cmd.CmdLine[0] != "celery" ||
			!slices.Contains(cmd.CmdLine, name) {
			add("stage %s does not run `celery %s` in exec form", name, name)
		}
	}
	if hc, ok := own[*instructions.HealthCheckCommand](df.stages["worker"]); ok &&
		!strings.Contains(strings.Join(hc.Health.Test, " "), "inspect ping") {
		add("stage worker's HEALTHCHECK does not ping the worker")
	}

	return problems, nil
}

func TestDockerfileMeetsTheImageRules(t *testing.T) {
	t.Parallel()

	problems, err := imageProblems(readDockerfile(t))
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestDockerfileStagesRunTheirProcesses(t *testing.T) {
	t.Parallel()

	df, err := parse(readDockerfile(t))
	require.NoError(t, err)
	require.Len(t, df.stages, 4)

	api, ok := own[*instructions.CmdCommand](df.stages["runtime"])
	require.True(t, ok)
	assert.Equal(t, "app.main:app", api.CmdLine[1], "uvicorn serves the FastAPI app")

	builder := installedPackages(df.stages["builder"])
	assert.Contains(t, builder, "build-essential", "the builder compiles the wheels")
	assert.Contains(t, builder, "libpq-dev")
	assert.Equal(t, []string{"libpq5"}, installedPackages(df.stages["runtime"]),
		"the runtime has the client library the wheels link against, and nothing else")
}

// TestImageRulesCatchRegressions breaks the real Dockerfile one way at a
// time and checks that the rules notice.
func TestImageRulesCatchRegressions(t *testing.T) {
	t.Parallel()

	src := readDockerfile(t)
	cases := []struct {
		name, old, new, want string
	}{
		{"worker-as-root", "FROM runtime AS worker\n", "FROM runtime AS worker\nUSER root\n",
			`stage worker runs as user "root"`},
		{"no-user", "USER 1000:1000\n", "",
			`stage runtime runs as user "root"`},
		{"other-uid", "USER 1000:1000\n", "USER 1001\n",
			`stage beat runs as user "1001"`},
		{"compiler-in-runtime", "install --yes --no-install-recommends libpq5",
			"install --yes --no-install-recommends libpq5 gcc",
			"stage runtime (via runtime) installs build tool gcc"},
		{"headers-in-runtime", "install --yes --no-install-recommends libpq5",
			"install --yes --no-install-recommends libpq5 libpq-dev",
			"stage worker (via runtime) installs build tool libpq-dev"},
		{"compiler-in-beat", "FROM runtime AS beat\n",
			"FROM runtime AS beat\nRUN apt-get update && apt-get install -y make\n",
			"stage beat (via beat) installs build tool make"},
		{"full-python-image", "python:3.11-slim-bookworm", "python:3.11-bookworm",
			`stage runtime starts from "python:3.11-bookworm"`},
		{"slow-healthcheck", "--interval=30s --timeout=15s", "--interval=60s --timeout=15s",
			"stage worker checks health every 1m0s"},
		{"beat-without-healthcheck", "HEALTHCHECK --interval=30s --timeout=5s --start-period=15s",
			"HEALTHCHECK NONE\n#", "stage beat disables its HEALTHCHECK"},
		{"two-workers", `"--workers", "4"`, `"--workers", "2"`,
			"is not uvicorn with 4 workers"},
		{"wrong-port", `"--port", "8000"`, `"--port", "8080"`,
			"is not uvicorn with 4 workers"},
		{"worker-not-on-runtime", "FROM runtime AS worker", "FROM builder AS worker",
			`stage worker is built on "builder"`},
		{"beat-missing", "FROM runtime AS beat", "FROM runtime AS scheduler",
			"stage beat is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			require.Contains(t, src, tc.old, "the mutation applies to the real Dockerfile")
			problems, err := imageProblems(strings.Replace(src, tc.old, tc.new, 1))
			require.NoError(t, err)
			assert.Condition(t, func() bool {
				for _, p := range problems {
					if strings.Contains(p, tc.want) {
						return true
					}
				}

				return false
			}, "want a problem containing %q, got %q", tc.want, problems)
		})
	}
}

// TestDockerignoreAdmitsExactlyWhatTheDockerfileCopies keeps the build
// context, and so the content hash that names the image tags, equal to the
// files the image is built from.
func TestDockerignoreAdmitsExactlyWhatTheDockerfileCopies(t *testing.T) {
	t.Parallel()

	df, err := parse(readDockerfile(t))
	require.NoError(t, err)
	var copied []string
	for _, s := range df.stages {
		for _, c := range s.Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From == "" {
				for _, src := range cp.SourcePaths {
					copied = append(copied, strings.TrimSuffix(src, "/"))
				}
			}
		}
	}

	f, err := os.Open("../.dockerignore")
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	var patterns, admitted []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		patterns = append(patterns, line)
		if p, ok := strings.CutPrefix(line, "!"); ok {
			admitted = append(admitted, strings.TrimSuffix(p, "/"))
		}
	}
	require.NoError(t, scanner.Err())

	require.NotEmpty(t, patterns)
	assert.Equal(t, "*", patterns[0], "everything is excluded first")
	assert.ElementsMatch(t, copied, admitted)
}
