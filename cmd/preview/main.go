// Command preview runs the socialflow program offline, under Pulumi mocks,
// for one stack file of the project, and prints what it would register: a
// readable tree with a count by type, or one JSON document. It needs no
// cloud account, no Pulumi CLI and no provider plugins.
//
//	go run ./cmd/preview -stack prod
//	go run ./cmd/preview -stack prod -format json
//
// A stack file with configuration problems prints every problem and exits
// with status 2, before any resource is registered.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
	"github.com/socialflow/socialflow-infra/stack"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command without process globals, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("preview", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stackName := flags.String("stack", "dev", "stack to preview: reads Pulumi.<stack>.yaml")
	format := flags.String("format", "tree", `output format: "tree" or "json"`)
	dir := flags.String("dir", ".", "project directory holding Pulumi.yaml")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *format != "tree" && *format != "json" {
		_, _ = fmt.Fprintf(stderr, "preview: -format %q: want \"tree\" or \"json\"\n", *format)

		return 2
	}

	result, err := Preview(*dir, *stackName)
	var cfgErr *config.Error
	switch {
	case errors.As(err, &cfgErr):
		_, _ = fmt.Fprintf(stderr, "preview: stack %s: %v\n", *stackName, err)

		return 2
	case err != nil:
		_, _ = fmt.Fprintf(stderr, "preview: %v\n", err)

		return 1
	}

	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(result); err != nil {
			_, _ = fmt.Fprintf(stderr, "preview: writing JSON: %v\n", err)

			return 1
		}

		return 0
	}
	writeTree(stdout, result)

	return 0
}

// Preview loads dir/Pulumi.<stackName>.yaml as the Pulumi CLI would, validates
// it and runs the program under mocks.
func Preview(dir, stackName string) (*harness.Result, error) {
	project, err := harness.ProjectName(dir)
	if err != nil {
		return nil, err
	}
	raw, err := harness.StackConfig(dir, project, stackName)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(raw)
	if err != nil {
		return nil, err
	}
	mocks := harness.NewMocks(cfg.Region)
	result, err := harness.Run(project, stackName, mocks, func(ctx *pulumi.Context) (pulumi.Map, error) {
		return stack.New(ctx, cfg)
	})
	if err != nil {
		return nil, fmt.Errorf("running the program: %w", err)
	}

	return result, nil
}
