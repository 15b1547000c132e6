package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// ProjectName reads the project name from dir/Pulumi.yaml.
func ProjectName(dir string) (string, error) {
	// The operator names the project directory: reading its files is the point.
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml")) //nolint:gosec // project file
	if err != nil {
		return "", fmt.Errorf("reading project file: %w", err)
	}
	var project struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(b, &project); err != nil {
		return "", fmt.Errorf("parsing Pulumi.yaml: %w", err)
	}
	if project.Name == "" {
		return "", errors.New("pulumi.yaml has no project name")
	}

	return project.Name, nil
}

// Stacks lists the stacks that have a Pulumi.<stack>.yaml in dir.
func Stacks(dir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("listing stack files: %w", err)
	}
	stacks := make([]string, 0, len(matches))
	for _, m := range matches {
		base := filepath.Base(m)
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(base, "Pulumi."), ".yaml"))
	}
	sort.Strings(stacks)

	return stacks, nil
}

// StackConfig reads dir/Pulumi.<stack>.yaml and returns its configuration
// the way the Pulumi CLI hands it to a program in PULUMI_CONFIG: keys
// qualified with their namespace (the project's when none is written),
// scalars as strings and structured values JSON-encoded. A secure value,
// which only the CLI can decrypt, is passed as [Secret].
func StackConfig(dir, project, stack string) (map[string]string, error) {
	path := filepath.Join(dir, "Pulumi."+stack+".yaml")
	b, err := os.ReadFile(path) //nolint:gosec // a stack file of the operator's project
	if err != nil {
		return nil, fmt.Errorf("reading stack file: %w", err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", filepath.Base(path), err)
	}

	raw := make(map[string]string, len(file.Config))
	for k, v := range file.Config {
		if !strings.Contains(k, ":") {
			k = project + ":" + k
		}
		s, err := cliValue(v)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", k, err)
		}
		raw[k] = s
	}

	return raw, nil
}

// cliValue encodes one configuration value as the CLI does.
func cliValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case nil:
		return "", nil
	case map[string]any:
		if _, secure := v["secure"]; secure && len(v) == 1 {
			return Secret, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding as JSON: %w", err)
	}

	return string(b), nil
}
