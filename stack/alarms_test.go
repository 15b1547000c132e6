package stack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/internal/harness"
)

const alarmType = "aws:cloudwatch/metricAlarm:MetricAlarm"

// dimensionValues collects, per CloudWatch dimension name, the values the
// stack's alarms use.
func dimensionValues(r *harness.Result) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, a := range r.OfType(alarmType) {
		for k, v := range a.Inputs["dimensions"].(map[string]any) {
			if out[k] == nil {
				out[k] = map[string]bool{}
			}
			out[k][v.(string)] = true
		}
	}

	return out
}

func TestStacksAlarmOnTheResourcesTheyReallyBuilt(t *testing.T) {
	t.Parallel()

	nodes := map[string]int{"dev": 1, "staging": 2, "prod": 3}
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()

			r := preview(t, stack)
			dims := dimensionValues(r)

			services := map[string]bool{}
			for _, svc := range r.OfType("aws:ecs/service:Service") {
				services[svc.Name] = true
			}
			require.Len(t, services, 3)
			assert.Equal(t, services, dims["ServiceName"], "every ECS service, and only those")

			clusters := r.OfType("aws:ecs/cluster:Cluster")
			require.Len(t, clusters, 1)
			assert.Equal(t, map[string]bool{clusters[0].Inputs["name"].(string): true}, dims["ClusterName"])

			db := r.OfType("aws:rds/instance:Instance")
			require.Len(t, db, 1)
			assert.Equal(t, map[string]bool{db[0].Inputs["identifier"].(string): true},
				dims["DBInstanceIdentifier"])

			group := r.OfType("aws:elasticache/replicationGroup:ReplicationGroup")
			require.Len(t, group, 1)
			assert.Equal(t, float64(nodes[stack]), group[0].Inputs["numCacheClusters"])
			require.Len(t, dims["CacheClusterId"], nodes[stack], "one alarm set per cache node")
			for id := range dims["CacheClusterId"] {
				assert.Regexp(t, `^socialflow-`+stack+`-redis-[0-9a-f]+-00[1-3]$`, id)
			}

			require.Len(t, dims["LoadBalancer"], 1)
			require.Len(t, dims["TargetGroup"], 1)
			albs := r.OfType("aws:lb/loadBalancer:LoadBalancer")
			require.Len(t, albs, 1)
			for lb := range dims["LoadBalancer"] {
				assert.True(t, strings.HasPrefix(lb, "app/"+albs[0].Name+"/"), lb)
			}

			// 2 per service, 4 on the load balancer, 4 on the database, 3 per node.
			assert.Len(t, r.OfType(alarmType), 3*2+4+4+3*nodes[stack])
		})
	}
}

func TestStacksAlarmActionsGoToTheEncryptedTopic(t *testing.T) {
	t.Parallel()

	emails := map[string]int{"dev": 0, "staging": 1, "prod": 2}
	for _, stack := range stacks {
		r := preview(t, stack)
		topics := r.OfType("aws:sns/topic:Topic")
		require.Len(t, topics, 1, stack)
		assert.Equal(t, r.Outputs["kmsKeyArn"], topics[0].Inputs["kmsMasterKeyId"], stack)
		topicArn := r.Outputs["alarmTopicArn"]
		require.NotEmpty(t, topicArn)

		for _, a := range r.OfType(alarmType) {
			assert.Equal(t, []any{topicArn}, a.Inputs["alarmActions"], a.Name)
			assert.Equal(t, []any{topicArn}, a.Inputs["okActions"], a.Name)
		}
		assert.Len(t, r.OfType("aws:sns/topicSubscription:TopicSubscription"), emails[stack], stack)
	}
}

func TestStacksDashboardOnlyWhereMonitoringIsDetailed(t *testing.T) {
	t.Parallel()

	for stack, want := range map[string]int{"dev": 0, "staging": 1, "prod": 1} {
		r := preview(t, stack)
		assert.Len(t, r.OfType("aws:cloudwatch/dashboard:Dashboard"), want, stack)
		insights := "disabled"
		if want == 1 {
			insights = "enabled"
		}
		cluster := r.OfType("aws:ecs/cluster:Cluster")[0]
		assert.Equal(t, []any{map[string]any{"name": "containerInsights", "value": insights}},
			cluster.Inputs["settings"], stack)
	}
}

func TestStacksEveryLogGroupHasTheStackRetentionAndTheKey(t *testing.T) {
	t.Parallel()

	retention := map[string]float64{"dev": 7, "staging": 30, "prod": 90}
	for _, stack := range stacks {
		r := preview(t, stack)
		names := map[string]bool{}
		for _, g := range r.OfType("aws:cloudwatch/logGroup:LogGroup") {
			assert.Equal(t, retention[stack], g.Inputs["retentionInDays"], g.Name)
			assert.Equal(t, r.Outputs["kmsKeyArn"], g.Inputs["kmsKeyId"], g.Name)
			if n, ok := g.Inputs["name"].(string); ok {
				names[n] = true
			}
		}
		// Groups AWS would otherwise create itself, without a retention.
		want := []string{
			fmt.Sprintf("/aws/rds/instance/socialflow-%s-db/postgresql", stack),
			fmt.Sprintf("/aws/rds/instance/socialflow-%s-db/upgrade", stack),
		}
		if stack != "dev" {
			want = append(want, fmt.Sprintf("/aws/ecs/containerinsights/socialflow-%s/performance", stack))
		}
		for _, n := range want {
			assert.True(t, names[n], "%s: log group %s exists before AWS writes to it", stack, n)
		}
	}
}
