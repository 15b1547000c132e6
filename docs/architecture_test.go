// Package docs_test keeps the documentation in step with the program: what a
// stack registers must be described in docs/architecture.md.
package docs_test

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/internal/harness"
	"github.com/socialflow/socialflow-infra/internal/offline"
)

const projectRoot = ".."

// docTerm is how architecture.md must name a resource type: a component by
// its full type token ("socialflow:index:Network"), a provider by its
// token, and any other resource by its package and module ("aws:ec2" for
// "aws:ec2/vpcEndpoint:VpcEndpoint", "awsx:ec2" for "awsx:ec2:Vpc"). The
// stack resource itself needs no mention.
func docTerm(typ string) string {
	pkg, rest, _ := strings.Cut(typ, ":")
	switch {
	case typ == "pulumi:pulumi:Stack":
		return ""
	case pkg == "socialflow", strings.HasPrefix(typ, "pulumi:providers:"):
		return typ
	}
	module, _, _ := strings.Cut(rest, ":")
	module, _, _ = strings.Cut(module, "/")

	return pkg + ":" + module
}

func TestDocTermNamesComponentsInFullAndResourcesByModule(t *testing.T) {
	for typ, want := range map[string]string{
		"socialflow:index:SecurityGroups":                "socialflow:index:SecurityGroups",
		"aws:ec2/vpcEndpoint:VpcEndpoint":                "aws:ec2",
		"aws:secretsmanager/secretVersion:SecretVersion": "aws:secretsmanager",
		"awsx:ec2:Vpc":                             "awsx:ec2",
		"docker:index/image:Image":                 "docker:index",
		"pulumi:providers:aws":                     "pulumi:providers:aws",
		"pulumi:pulumi:Stack":                      "",
		"aws:appautoscaling/policy:Policy":         "aws:appautoscaling",
		"aws:cloudwatch/metricAlarm:MetricAlarm":   "aws:cloudwatch",
		"aws:elasticache/replicationGroup:Group":   "aws:elasticache",
		"aws:lb/targetGroup:TargetGroup":           "aws:lb",
		"aws:cloudfront/distribution:Distribution": "aws:cloudfront",
	} {
		assert.Equal(t, want, docTerm(typ), typ)
	}
}

// mentions reports whether doc names term as a whole word: "aws:ec2" is not
// found inside "awsx:ec2", nor "socialflow:index:Service" inside
// "socialflow:index:Services".
func mentions(doc, term string) bool {
	return regexp.MustCompile(`(^|[^A-Za-z0-9_:])` + regexp.QuoteMeta(term) +
		`($|[^A-Za-z0-9_])`).MatchString(doc)
}

func TestMentionsMatchesWholeTermsOnly(t *testing.T) {
	doc := "uses `awsx:ec2` and `socialflow:index:Services`; and aws:rds."

	assert.True(t, mentions(doc, "awsx:ec2"))
	assert.True(t, mentions(doc, "aws:rds"))
	assert.False(t, mentions(doc, "aws:ec2"))
	assert.False(t, mentions(doc, "socialflow:index:Service"))
}

func TestArchitectureDocNamesEverythingTheStacksRegister(t *testing.T) {
	b, err := os.ReadFile("architecture.md")
	require.NoError(t, err)
	doc := string(b)
	stacks, err := harness.Stacks(projectRoot)
	require.NoError(t, err)
	require.Equal(t, []string{"dev", "prod", "staging"}, stacks)

	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			result, err := offline.Run(projectRoot, stack)
			require.NoError(t, err)

			// term -> one type that needs it, for the failure message
			needed := map[string]string{}
			for _, res := range result.Resources {
				if term := docTerm(res.Type); term != "" {
					needed[term] = res.Type
				}
			}
			require.Contains(t, needed, "socialflow:index:Network", "the stack registers components")

			terms := make([]string, 0, len(needed))
			for term := range needed {
				terms = append(terms, term)
			}
			sort.Strings(terms)
			for _, term := range terms {
				assert.True(t, mentions(doc, term),
					"docs/architecture.md does not name %s, which stack %s registers (%s): "+
						"describe it there", term, stack, needed[term])
			}
		})
	}
}
