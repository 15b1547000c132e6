package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/socialflow/socialflow-infra/internal/harness"
)

// maxSetting is the longest input value the tree prints inline; longer
// ones (policies, documents) are in the JSON output.
const maxSetting = 72

// writeTree prints the resources as a tree of parents and children, each
// with its short scalar settings, followed by a count by type.
func writeTree(w io.Writer, r *harness.Result) {
	_, _ = fmt.Fprintf(w, "%s/%s: %d resources\n", r.Project, r.Stack, len(r.Resources))
	known := map[string]bool{}
	for _, res := range r.Resources {
		known[res.URN] = true
	}
	for _, res := range r.Resources {
		if res.Parent == "" || !known[res.Parent] {
			writeNode(w, r, res, "")
		}
	}

	_, _ = fmt.Fprintln(w, "\nResources by type:")
	counts := r.CountByType()
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		_, _ = fmt.Fprintf(w, "  %4d  %s\n", counts[t], t)
	}

	if len(r.Outputs) > 0 {
		_, _ = fmt.Fprintln(w, "\nOutputs:")
		keys := make([]string, 0, len(r.Outputs))
		for k := range r.Outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			m, ok := asObject(r.Outputs[k])
			if !ok {
				_, _ = fmt.Fprintf(w, "  %s: %s\n", k, outputValue(r.Outputs[k]))

				continue
			}
			_, _ = fmt.Fprintf(w, "  %s:\n", k)
			sub := make([]string, 0, len(m))
			for sk := range m {
				sub = append(sub, sk)
			}
			sort.Strings(sub)
			for _, sk := range sub {
				_, _ = fmt.Fprintf(w, "    %s: %s\n", sk, outputValue(m[sk]))
			}
		}
	}
}

func writeNode(w io.Writer, r *harness.Result, res *harness.Resource, indent string) {
	var flags []string
	if res.Protect {
		flags = append(flags, "protected")
	}
	if res.RetainOnDelete {
		flags = append(flags, "retained")
	}
	if len(res.IgnoreChanges) > 0 {
		flags = append(flags, "ignores "+strings.Join(res.IgnoreChanges, ","))
	}
	suffix := ""
	if len(flags) > 0 {
		suffix = " [" + strings.Join(flags, "; ") + "]"
	}
	_, _ = fmt.Fprintf(w, "%s%s %s%s\n", indent, res.Type, res.Name, suffix)
	for _, s := range settings(res.Inputs) {
		_, _ = fmt.Fprintf(w, "%s    · %s\n", indent, s)
	}
	for _, child := range r.Children(res.URN) {
		writeNode(w, r, child, indent+"  ")
	}
}

// settings renders the short scalar and list inputs of a resource.
func settings(inputs map[string]any) []string {
	var out []string
	for k, v := range inputs {
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case bool, float64, int:
			s = fmt.Sprint(v)
		case []any:
			parts := make([]string, 0, len(v))
			for _, e := range v {
				if str, ok := e.(string); ok {
					parts = append(parts, str)
				}
			}
			if len(parts) != len(v) || len(parts) == 0 {
				continue
			}
			s = "[" + strings.Join(parts, " ") + "]"
		default:
			continue
		}
		if s == "" || len(s) > maxSetting || strings.HasPrefix(s, "{") {
			continue
		}
		out = append(out, k+"="+s)
	}
	sort.Strings(out)

	return out
}

// outputValue renders an output: strings as they are (quoted when empty),
// lists and maps as JSON, so each reads on one line without Go's syntax.
func outputValue(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return `""`
		}

		return v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}

		return string(b)
	}
}

// asObject returns a map-valued output as a map of plain values.
func asObject(v any) (map[string]any, bool) {
	b, err := json.Marshal(v)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return nil, false
	}
	var m map[string]any

	return m, json.Unmarshal(b, &m) == nil
}
