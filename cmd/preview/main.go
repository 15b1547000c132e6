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

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/offline"
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

	result, err := offline.Run(*dir, *stackName)
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
