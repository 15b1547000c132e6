package components_test

import (
	"encoding/json"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialflow/socialflow-infra/components"
	"github.com/socialflow/socialflow-infra/config"
	"github.com/socialflow/socialflow-infra/internal/harness"
)

func alarmArgs(dashboard bool, emails ...string) *components.AlarmsArgs {
	d := config.Defaults().Alarms

	return &components.AlarmsArgs{
		Region:    "us-east-1",
		AccountID: "123456789012",
		KeyArn:    pulumi.String(testKeyArn),
		Emails:    emails,
		Thresholds: components.AlarmThresholds{
			CPUPercent: d.CPUPercent, MemoryPercent: d.MemoryPercent,
			HTTP5xxCount: d.HTTP5xxCount, LatencySeconds: d.LatencySeconds,
			DBFreeStoragePercent: d.DBFreeStoragePercent, DBFreeMemoryPercent: d.DBFreeMemoryPercent,
			DBConnectionsPercent: d.DBConnectionsPercent, Evictions: d.Evictions,
			PeriodSeconds: d.PeriodSeconds, EvaluationPeriods: d.EvaluationPeriods,
		},
		Services: []components.AlarmedService{
			{Role: "api", ClusterName: pulumi.String("cluster"), ServiceName: pulumi.String("api-svc")},
			{Role: "worker", ClusterName: pulumi.String("cluster"), ServiceName: pulumi.String("worker-svc")},
		},
		LoadBalancer: &components.AlarmedLoadBalancer{
			ArnSuffix:            pulumi.String("app/alb/1"),
			TargetGroupArnSuffix: pulumi.String("targetgroup/api/2"),
		},
		Database: &components.AlarmedDatabase{
			InstanceID: pulumi.String("db-1"), AllocatedStorageGb: 100, MemoryGiB: 32, MaxConnections: 200,
		},
		Cache: &components.AlarmedCache{MemberClusterIDs: []pulumi.StringInput{
			pulumi.String("rg-001"), pulumi.String("rg-002"),
		}},
		Dashboard: dashboard,
	}
}

func runAlarms(t *testing.T, args *components.AlarmsArgs) *harness.Result {
	t.Helper()

	return runComponent(t, func(ctx *pulumi.Context) error {
		_, err := components.NewAlarms(ctx, "sf", args)

		return err
	})
}

// alarmRow is what an alarm compares: namespace, metric, statistic,
// dimensions, operator and threshold.
type alarmRow struct {
	namespace, metric, stat, op string
	dims                        map[string]any
	threshold                   float64
}

func alarmsByName(t *testing.T, r *harness.Result) map[string]alarmRow {
	t.Helper()

	out := map[string]alarmRow{}
	for _, a := range r.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		stat, _ := a.Inputs["statistic"].(string)
		if ext, ok := a.Inputs["extendedStatistic"].(string); ok {
			stat = ext
		}
		dims, _ := a.Inputs["dimensions"].(map[string]any)
		out[a.Name] = alarmRow{
			namespace: a.Inputs["namespace"].(string), metric: a.Inputs["metricName"].(string),
			stat: stat, op: a.Inputs["comparisonOperator"].(string), dims: dims,
			threshold: a.Inputs["threshold"].(float64),
		}
	}

	return out
}

func TestAlarmsWatchTheRealDimensionsWithTheConfiguredThresholds(t *testing.T) {
	t.Parallel()

	got := alarmsByName(t, runAlarms(t, alarmArgs(false)))
	gt, lt := "GreaterThanThreshold", "LessThanThreshold"
	api := map[string]any{"ClusterName": "cluster", "ServiceName": "api-svc"}
	worker := map[string]any{"ClusterName": "cluster", "ServiceName": "worker-svc"}
	tg := map[string]any{"LoadBalancer": "app/alb/1", "TargetGroup": "targetgroup/api/2"}
	db := map[string]any{"DBInstanceIdentifier": "db-1"}
	node := func(id string) map[string]any { return map[string]any{"CacheClusterId": id} }
	const gib = 1024 * 1024 * 1024

	assert.Equal(t, map[string]alarmRow{
		"sf-api-cpu":       {"AWS/ECS", "CPUUtilization", "Average", gt, api, 75},
		"sf-api-memory":    {"AWS/ECS", "MemoryUtilization", "Average", gt, api, 80},
		"sf-worker-cpu":    {"AWS/ECS", "CPUUtilization", "Average", gt, worker, 75},
		"sf-worker-memory": {"AWS/ECS", "MemoryUtilization", "Average", gt, worker, 80},
		"sf-alb-5xx": {"AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", gt,
			map[string]any{"LoadBalancer": "app/alb/1"}, 10},
		"sf-api-5xx":       {"AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", gt, tg, 10},
		"sf-api-latency":   {"AWS/ApplicationELB", "TargetResponseTime", "p95", gt, tg, 1},
		"sf-api-unhealthy": {"AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", gt, tg, 0},
		"sf-db-cpu":        {"AWS/RDS", "CPUUtilization", "Average", gt, db, 75},
		"sf-db-storage":    {"AWS/RDS", "FreeStorageSpace", "Minimum", lt, db, 10 * gib},
		"sf-db-memory": {"AWS/RDS", "FreeableMemory", "Minimum", lt, db,
			3.2 * gib},
		"sf-db-connections":    {"AWS/RDS", "DatabaseConnections", "Maximum", gt, db, 160},
		"sf-redis-1-cpu":       {"AWS/ElastiCache", "EngineCPUUtilization", "Average", gt, node("rg-001"), 75},
		"sf-redis-1-memory":    {"AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", gt, node("rg-001"), 80},
		"sf-redis-1-evictions": {"AWS/ElastiCache", "Evictions", "Sum", gt, node("rg-001"), 100},
		"sf-redis-2-cpu":       {"AWS/ElastiCache", "EngineCPUUtilization", "Average", gt, node("rg-002"), 75},
		"sf-redis-2-memory":    {"AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", gt, node("rg-002"), 80},
		"sf-redis-2-evictions": {"AWS/ElastiCache", "Evictions", "Sum", gt, node("rg-002"), 100},
	}, got)
}

func TestEveryAlarmNotifiesTheTopicOnAlarmAndOK(t *testing.T) {
	t.Parallel()

	r := runAlarms(t, alarmArgs(false))
	topic := only(t, r, "aws:sns/topic:Topic")
	topicArn := "arn:aws:sns:us-east-1:123456789012:sf-alarms"

	assert.Equal(t, testKeyArn, topic.Inputs["kmsMasterKeyId"], "encrypted with the customer key")
	for _, a := range r.OfType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		assert.Equal(t, []any{topicArn}, a.Inputs["alarmActions"], a.Name)
		assert.Equal(t, []any{topicArn}, a.Inputs["okActions"], a.Name)
		assert.Equal(t, 300.0, a.Inputs["period"], a.Name)
		assert.Equal(t, 2.0, a.Inputs["evaluationPeriods"], a.Name)
	}
}

func TestAlarmTopicLetsOnlyThisAccountsAlarmsPublish(t *testing.T) {
	t.Parallel()

	r := runAlarms(t, alarmArgs(false))
	policy := document(t, only(t, r, "aws:sns/topicPolicy:TopicPolicy"), "policy")
	var publish map[string]any
	for _, s := range policy["Statement"].([]any) {
		stmt := s.(map[string]any)
		if stmt["Principal"].(map[string]any)["Service"] == "cloudwatch.amazonaws.com" {
			publish = stmt
		}
	}
	require.NotNil(t, publish)
	assert.Equal(t, "sns:Publish", publish["Action"])
	assert.Equal(t, "arn:aws:sns:us-east-1:123456789012:sf-alarms", publish["Resource"])
	assert.Equal(t, map[string]any{"ArnLike": map[string]any{
		"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*",
	}}, publish["Condition"])
}

func TestAlarmEmailsSubscribeByAddress(t *testing.T) {
	t.Parallel()

	r := runAlarms(t, alarmArgs(false, "ops@example.com", "On.Call@example.com"))
	subs := r.OfType("aws:sns/topicSubscription:TopicSubscription")
	require.Len(t, subs, 2)
	got := map[string]any{}
	for _, s := range subs {
		assert.Equal(t, "email", s.Inputs["protocol"])
		got[s.Name] = s.Inputs["endpoint"]
	}
	assert.Equal(t, map[string]any{
		"sf-alarms-ops-example-com":     "ops@example.com",
		"sf-alarms-on-call-example-com": "On.Call@example.com",
	}, got)

	assert.Empty(t, runAlarms(t, alarmArgs(false)).OfType("aws:sns/topicSubscription:TopicSubscription"))
}

func TestDashboardOnlyWhereMonitoringIsDetailed(t *testing.T) {
	t.Parallel()

	assert.Empty(t, runAlarms(t, alarmArgs(false)).OfType("aws:cloudwatch/dashboard:Dashboard"))

	dash := only(t, runAlarms(t, alarmArgs(true)), "aws:cloudwatch/dashboard:Dashboard")
	var body struct {
		Widgets []struct {
			Properties struct {
				Title   string  `json:"title"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	require.NoError(t, json.Unmarshal([]byte(dash.Inputs["dashboardBody"].(string)), &body))
	titles := map[string]int{}
	for _, w := range body.Widgets {
		titles[w.Properties.Title] = len(w.Properties.Metrics)
	}
	assert.Equal(t, map[string]int{
		"Service CPU %": 2, "Service memory %": 2, "Requests and 5xx": 3,
		"API p95 response time (s)": 1, "Database": 2, "Redis engine CPU and memory %": 4,
	}, titles)
}
