// Package harness runs a Pulumi program under mocks, with no cloud account,
// no provider plugins and no network, and records every resource it
// registers: type, name, parent, inputs and resource options. The tests and
// the offline preview share it, so what the preview shows is what the tests
// check.
package harness

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
)

// Secret is how a secret value is shown in recorded inputs and outputs.
const Secret = "[secret]"

// Unknown is how a value that is only known after deployment is shown.
const Unknown = "[unknown]"

// Resource is one registered resource as the engine would receive it.
type Resource struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
	// Custom is false for component resources.
	Custom bool `json:"-"`
	// Inputs are the inputs as the program set them, secrets as [Secret].
	Inputs              map[string]any `json:"inputs"`
	Protect             bool           `json:"protect"`
	IgnoreChanges       []string       `json:"ignoreChanges"`
	DependsOn           []string       `json:"dependsOn"`
	RetainOnDelete      bool           `json:"retainOnDelete"`
	DeleteBeforeReplace bool           `json:"deleteBeforeReplace"`
	// Provider is the explicit provider reference ("urn::id") a resource
	// was given, empty for the default provider.
	Provider string `json:"provider,omitempty"`

	// raw keeps the inputs with secrets revealed, for tests that must read a
	// secret-wrapped value (never printed).
	raw resource.PropertyMap
}

// Raw returns the input named key with secrets unwrapped. Tests use it to
// check values the program marks secret; the preview never prints it.
func (r *Resource) Raw(key string) any {
	v, ok := r.raw[resource.PropertyKey(key)]
	if !ok {
		return nil
	}

	return plain(v, true)
}

// Program is a Pulumi program that returns its stack outputs instead of
// exporting them, so they can be inspected under mocks.
type Program func(ctx *pulumi.Context) (pulumi.Map, error)

// Result is what one run of a program registered and returned.
type Result struct {
	Project   string         `json:"project"`
	Stack     string         `json:"stack"`
	Resources []*Resource    `json:"resources"`
	Outputs   map[string]any `json:"outputs"`
}

// Run executes program under mocks as project/stack and returns what it
// registered. A nil mocks uses [NewMocks] with the default region.
func Run(project, stack string, mocks *Mocks, program Program) (*Result, error) {
	if mocks == nil {
		mocks = NewMocks("us-east-1")
	}
	mocks.project, mocks.stack = project, stack
	var outputs map[string]any
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		out, err := program(ctx)
		if err != nil {
			return err
		}
		outputs, err = resolve(ctx.Context(), out)

		return err
	}, pulumi.WithMocks(project, stack, mocks))
	if err != nil {
		return nil, err
	}

	return &Result{
		Project:   project,
		Stack:     stack,
		Resources: mocks.Resources(),
		Outputs:   outputs,
	}, nil
}

// resolve waits for every output and renders it as plain data.
func resolve(ctx context.Context, m pulumi.Map) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		st, err := internals.UnsafeAwaitOutput(ctx, pulumi.ToOutput(v))
		if err != nil {
			return nil, fmt.Errorf("resolving output %s: %w", k, err)
		}
		switch {
		case st.Secret:
			out[k] = Secret
		case !st.Known:
			out[k] = Unknown
		default:
			out[k] = st.Value
		}
	}

	return out, nil
}

// OfType returns the resources of one type token, in registration order.
func (r *Result) OfType(typ string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}

	return out
}

// Find returns the resource of type typ named name, or nil.
func (r *Result) Find(typ, name string) *Resource {
	for _, res := range r.Resources {
		if res.Type == typ && res.Name == name {
			return res
		}
	}

	return nil
}

// ByURN returns the resource with the given URN, or nil.
func (r *Result) ByURN(urn string) *Resource {
	for _, res := range r.Resources {
		if res.URN == urn {
			return res
		}
	}

	return nil
}

// Children returns the resources whose parent is urn.
func (r *Result) Children(urn string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources {
		if res.Parent == urn {
			out = append(out, res)
		}
	}

	return out
}

// CountByType counts the resources of each type token.
func (r *Result) CountByType() map[string]int {
	counts := map[string]int{}
	for _, res := range r.Resources {
		counts[res.Type]++
	}

	return counts
}

// Mocks answers resource registrations and invokes the way AWS would,
// with stable fake identifiers, and records each registration.
type Mocks struct {
	// Region and Account shape every fake ARN.
	Region  string
	Account string

	project   string
	stack     string
	mu        sync.Mutex
	resources []*Resource
}

// NewMocks returns mocks for region and the fake account 123456789012.
func NewMocks(region string) *Mocks {
	return &Mocks{Region: region, Account: "123456789012"}
}

// Resources returns the recorded resources sorted by URN, so two runs of the
// same program compare equal.
func (m *Mocks) Resources() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()

	out := append([]*Resource(nil), m.resources...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].URN < out[j].URN })

	return out
}

// NewResource implements [pulumi.MockResourceMonitor].
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	rec := &Resource{
		Type:          args.TypeToken,
		Name:          args.Name,
		Custom:        args.Custom,
		Inputs:        plainMap(args.Inputs, false),
		IgnoreChanges: []string{},
		DependsOn:     []string{},
		raw:           args.Inputs,
	}
	if rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.URN = m.urnOf(rpc.GetParent(), args.TypeToken, args.Name)
		rec.Protect = rpc.GetProtect()
		rec.RetainOnDelete = rpc.GetRetainOnDelete()
		rec.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		rec.Provider = rpc.GetProvider()
		rec.IgnoreChanges = append(rec.IgnoreChanges, rpc.GetIgnoreChanges()...)
		rec.DependsOn = append(rec.DependsOn, rpc.GetDependencies()...)
		sort.Strings(rec.DependsOn)
	}

	m.mu.Lock()
	for _, other := range m.resources {
		if rpc != nil && other.URN == rec.URN {
			m.mu.Unlock()

			// The engine refuses a second resource with the same URN.
			return "", nil, fmt.Errorf("duplicate resource URN %s", rec.URN)
		}
	}
	m.resources = append(m.resources, rec)
	m.mu.Unlock()

	id, state := m.fake(args)

	return id, state, nil
}

// urnOf computes the URN the mock monitor gives a resource, so records
// match the parents that children name.
func (m *Mocks) urnOf(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}

	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project),
		parentType, tokens.Type(typ), name))
}

// plainMap renders a property map as JSON-friendly data.
func plainMap(pm resource.PropertyMap, reveal bool) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		if strings.HasPrefix(string(k), "__") {
			continue
		}
		out[string(k)] = plain(v, reveal)
	}

	return out
}

func plain(v resource.PropertyValue, reveal bool) any {
	switch {
	case v.IsSecret():
		if reveal {
			return plain(v.SecretValue().Element, reveal)
		}

		return Secret
	case v.IsComputed():
		return Unknown
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return Unknown
		}
		if o.Secret && !reveal {
			return Secret
		}

		return plain(o.Element, reveal)
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plain(e, reveal)
		}

		return out
	case v.IsObject():
		return plainMap(v.ObjectValue(), reveal)
	case v.IsNull():
		return nil
	default:
		return v.V
	}
}
