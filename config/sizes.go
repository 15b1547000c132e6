package config

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// fargateMemory lists, per Fargate CPU size, the memory range in MiB and
// the step between allowed values.
var fargateMemory = map[int]struct{ min, max, step int }{
	256:   {512, 2048, 512},
	512:   {1024, 4096, 1024},
	1024:  {2048, 8192, 1024},
	2048:  {4096, 16384, 1024},
	4096:  {8192, 30720, 1024},
	8192:  {16384, 61440, 4096},
	16384: {32768, 122880, 8192},
}

// ValidFargateSize reports whether Fargate runs a task of cpu units and
// memory MiB. 256 CPU takes 512, 1024 or 2048 MiB only.
func ValidFargateSize(cpu, memory int) bool {
	r, ok := fargateMemory[cpu]
	if !ok || memory < r.min || memory > r.max {
		return false
	}
	if cpu == 256 {
		return memory == 512 || memory == 1024 || memory == 2048
	}

	return (memory-r.min)%r.step == 0
}

// FargateSizes describes the valid Fargate CPU/memory combinations.
func FargateSizes() string {
	cpus := make([]int, 0, len(fargateMemory))
	for c := range fargateMemory {
		cpus = append(cpus, c)
	}
	slices.Sort(cpus)
	parts := make([]string, 0, len(cpus))
	for _, c := range cpus {
		r := fargateMemory[c]
		if c == 256 {
			parts = append(parts, "256 with 512, 1024 or 2048")

			continue
		}
		parts = append(parts, fmt.Sprintf("%d with %d-%d in steps of %d", c, r.min, r.max, r.step))
	}

	return strings.Join(parts, "; ")
}

// PostgresClassMemoryGiB is the memory of each RDS instance class the stack
// accepts; it sizes memory parameters such as effective_cache_size.
var PostgresClassMemoryGiB = func() map[string]int {
	m := map[string]int{}
	for _, fam := range []string{"t3", "t4g"} {
		for size, gib := range map[string]int{
			"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32,
		} {
			m["db."+fam+"."+size] = gib
		}
	}
	general := map[string]int{"large": 8, "xlarge": 16, "2xlarge": 32, "4xlarge": 64, "8xlarge": 128}
	for _, fam := range []string{"m5", "m6g", "m6i", "m7g"} {
		for size, gib := range general {
			m["db."+fam+"."+size] = gib
		}
	}
	for _, fam := range []string{"r5", "r6g", "r6i", "r7g"} {
		for size, gib := range general {
			m["db."+fam+"."+size] = 2 * gib
		}
	}

	return m
}()

// RedisNodeTypes are the ElastiCache node types the stack accepts.
var RedisNodeTypes = func() []string {
	var out []string
	for _, fam := range []string{"t3", "t4g"} {
		for _, size := range []string{"micro", "small", "medium"} {
			out = append(out, "cache."+fam+"."+size)
		}
	}
	for _, fam := range []string{"m5", "m6g", "m7g", "r5", "r6g", "r7g"} {
		for _, size := range []string{"large", "xlarge", "2xlarge", "4xlarge"} {
			out = append(out, "cache."+fam+"."+size)
		}
	}

	return out
}()

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	return keys
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}

	return strings.Join(s, ", ")
}
