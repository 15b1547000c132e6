// Command socialflow is the Pulumi program of the socialflow stacks. It
// loads and validates the stack's configuration, composes the stack and
// exports its outputs.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/stack"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		// Validate everything before the first resource is registered.
		cfg, err := config.LoadFromEnv()
		if err != nil {
			return err
		}
		outputs, err := stack.New(ctx, cfg)
		if err != nil {
			return err
		}
		for k, v := range outputs {
			ctx.Export(k, v)
		}

		return nil
	})
}
