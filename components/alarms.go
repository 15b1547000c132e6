package components

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/socialflow/socialflow-infra/config"
)

// AlarmThresholds are the limits the alarms compare against.
type AlarmThresholds struct {
	// CPUPercent is the ECS, RDS and Redis engine CPU threshold.
	CPUPercent float64
	// MemoryPercent is the ECS and Redis memory threshold.
	MemoryPercent float64
	// HTTP5xxCount is the 5xx responses per period that raise an alarm.
	HTTP5xxCount int
	// LatencySeconds is the p95 target response time threshold.
	LatencySeconds float64
	// DBFreeStoragePercent, DBFreeMemoryPercent and DBConnectionsPercent
	// are shares of the allocated storage, the class memory and
	// max_connections.
	DBFreeStoragePercent float64
	DBFreeMemoryPercent  float64
	DBConnectionsPercent float64
	// Evictions is the Redis evictions per period that raise an alarm.
	Evictions int
	// PeriodSeconds and EvaluationPeriods shape every alarm.
	PeriodSeconds     int
	EvaluationPeriods int
}

// AlarmedService is one ECS service to watch.
type AlarmedService struct {
	// Role names the service in alarm names ("api").
	Role        string
	ClusterName pulumi.StringInput
	ServiceName pulumi.StringInput
}

// AlarmedDatabase is the RDS instance to watch.
type AlarmedDatabase struct {
	InstanceID pulumi.StringInput
	// AllocatedStorageGb, MemoryGiB and MaxConnections turn the percentage
	// thresholds into the absolute values CloudWatch compares.
	AllocatedStorageGb int
	MemoryGiB          int
	MaxConnections     int
}

// AlarmedCache is the Redis replication group to watch.
type AlarmedCache struct {
	// MemberClusterIDs are its nodes: ElastiCache publishes host and engine
	// metrics per member node, not per replication group.
	MemberClusterIDs []pulumi.StringInput
}

// AlarmedLoadBalancer is the ALB and the API target group to watch.
type AlarmedLoadBalancer struct {
	// ArnSuffix and TargetGroupArnSuffix are the CloudWatch dimension
	// values ("app/name/id", "targetgroup/name/id").
	ArnSuffix            pulumi.StringInput
	TargetGroupArnSuffix pulumi.StringInput
}

// AlarmsArgs configures [NewAlarms].
type AlarmsArgs struct {
	// Region places the dashboard's graphs.
	Region string
	// KeyArn encrypts the topic.
	KeyArn pulumi.StringInput
	// AccountID scopes who may publish to the topic.
	AccountID string
	// Emails subscribe to the topic; each address must confirm.
	Emails []string
	// Thresholds, from the stack's configuration.
	Thresholds AlarmThresholds
	// Services, LoadBalancer, Database and Cache are what the stack built;
	// nil parts get no alarms.
	Services     []AlarmedService
	LoadBalancer *AlarmedLoadBalancer
	Database     *AlarmedDatabase
	Cache        *AlarmedCache
	// Dashboard adds a CloudWatch dashboard of the key graphs.
	Dashboard bool
}

// Alarms is the stack's alerting: an encrypted SNS topic that only this
// account's CloudWatch alarms may publish to, e-mail subscriptions, alarms
// on the real dimensions of the stack's services, load balancer, database
// and cache nodes (alarm and OK actions to the topic) and, where
// monitoring is detailed, a dashboard.
type Alarms struct {
	pulumi.ResourceState

	// TopicArn receives every alarm and OK notification.
	TopicArn pulumi.StringOutput `pulumi:"topicArn"`
	// AlarmNames lists the alarms' names.
	AlarmNames pulumi.StringArrayOutput `pulumi:"alarmNames"`
	// DashboardName is empty when there is no dashboard.
	DashboardName pulumi.StringOutput `pulumi:"dashboardName"`
}

// NewAlarms creates the topic, the subscriptions, the alarms and the
// dashboard.
func NewAlarms(
	ctx *pulumi.Context, name string, args *AlarmsArgs, opts ...pulumi.ResourceOption,
) (*Alarms, error) {
	c := &Alarms{}
	if err := ctx.RegisterComponentResource("socialflow:index:Alarms", name, c, opts...); err != nil {
		return nil, fmt.Errorf("registering alarms component: %w", err)
	}
	parent := pulumi.Parent(c)

	topic, err := sns.NewTopic(ctx, name+"-alarms", &sns.TopicArgs{
		KmsMasterKeyId: args.KeyArn,
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("creating alarm topic: %w", err)
	}

	policy := topic.Arn.ApplyT(func(arn string) (string, error) {
		return topicPolicy(arn, args.AccountID, args.Region)
	}).(pulumi.StringOutput)
	if _, err := sns.NewTopicPolicy(ctx, name+"-alarms", &sns.TopicPolicyArgs{
		Arn:    topic.Arn,
		Policy: policy,
	}, parent); err != nil {
		return nil, fmt.Errorf("creating alarm topic policy: %w", err)
	}

	for _, email := range args.Emails {
		// Named by address, so removing one subscriber leaves the others be.
		sub := name + "-alarms-" + config.EmailSlug(email)
		if _, err := sns.NewTopicSubscription(ctx, sub,
			&sns.TopicSubscriptionArgs{
				Topic:    topic.Arn,
				Protocol: pulumi.String("email"),
				Endpoint: pulumi.String(email),
			}, parent); err != nil {
			return nil, fmt.Errorf("subscribing %s: %w", email, err)
		}
	}

	var names pulumi.StringArray
	for _, spec := range alarmSpecs(args) {
		alarm, err := spec.create(ctx, name, args.Thresholds, topic.Arn, parent)
		if err != nil {
			return nil, err
		}
		names = append(names, alarm.Name)
	}

	dashboardName := pulumi.String("").ToStringOutput()
	if args.Dashboard {
		body := dashboardBody(args)
		dash, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
			DashboardName: pulumi.String(name),
			DashboardBody: body,
		}, parent)
		if err != nil {
			return nil, fmt.Errorf("creating dashboard: %w", err)
		}
		dashboardName = dash.DashboardName
	}

	c.TopicArn = topic.Arn
	c.AlarmNames = names.ToStringArrayOutput()
	c.DashboardName = dashboardName
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"topicArn":      c.TopicArn,
		"alarmNames":    c.AlarmNames,
		"dashboardName": c.DashboardName,
	}); err != nil {
		return nil, fmt.Errorf("registering alarm outputs: %w", err)
	}

	return c, nil
}

// alarmSpec is one metric alarm before its dimensions are resolved.
type alarmSpec struct {
	suffix      string
	description string
	namespace   string
	metric      string
	statistic   string
	// extended is a percentile statistic ("p95") used instead of statistic.
	extended   string
	comparison string
	threshold  float64
	dimensions pulumi.StringMap
	// notBreaching treats missing data as fine: count metrics are only
	// published when something happens.
	notBreaching bool
}

func (s alarmSpec) create(
	ctx *pulumi.Context, name string, t AlarmThresholds, topic pulumi.StringOutput,
	parent pulumi.ResourceOption,
) (*cloudwatch.MetricAlarm, error) {
	missing := "missing"
	if s.notBreaching {
		missing = "notBreaching"
	}
	actions := pulumi.Array{topic}
	a := &cloudwatch.MetricAlarmArgs{
		AlarmDescription:   pulumi.String(s.description),
		Namespace:          pulumi.String(s.namespace),
		MetricName:         pulumi.String(s.metric),
		ComparisonOperator: pulumi.String(s.comparison),
		Threshold:          pulumi.Float64(s.threshold),
		Period:             pulumi.Int(t.PeriodSeconds),
		EvaluationPeriods:  pulumi.Int(t.EvaluationPeriods),
		DatapointsToAlarm:  pulumi.Int(t.EvaluationPeriods),
		Dimensions:         s.dimensions,
		TreatMissingData:   pulumi.String(missing),
		AlarmActions:       actions,
		OkActions:          actions,
	}
	if s.extended != "" {
		a.ExtendedStatistic = pulumi.String(s.extended)
	} else {
		a.Statistic = pulumi.String(s.statistic)
	}
	alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+s.suffix, a, parent)
	if err != nil {
		return nil, fmt.Errorf("creating alarm %s: %w", s.suffix, err)
	}

	return alarm, nil
}

const (
	greaterThan = "GreaterThanThreshold"
	lessThan    = "LessThanThreshold"
	gib         = 1024 * 1024 * 1024
)

// alarmSpecs lists the alarms of everything the stack built.
func alarmSpecs(args *AlarmsArgs) []alarmSpec {
	t := args.Thresholds
	var specs []alarmSpec

	for _, svc := range args.Services {
		dims := pulumi.StringMap{"ClusterName": svc.ClusterName, "ServiceName": svc.ServiceName}
		specs = append(specs,
			alarmSpec{
				suffix: svc.Role + "-cpu", namespace: "AWS/ECS", metric: "CPUUtilization",
				statistic: "Average", comparison: greaterThan, threshold: t.CPUPercent,
				dimensions: dims, description: fmt.Sprintf("%s CPU above %g%%", svc.Role, t.CPUPercent),
			},
			alarmSpec{
				suffix: svc.Role + "-memory", namespace: "AWS/ECS", metric: "MemoryUtilization",
				statistic: "Average", comparison: greaterThan, threshold: t.MemoryPercent,
				dimensions:  dims,
				description: fmt.Sprintf("%s memory above %g%%", svc.Role, t.MemoryPercent),
			})
	}

	if lb := args.LoadBalancer; lb != nil {
		alb := pulumi.StringMap{"LoadBalancer": lb.ArnSuffix}
		tg := pulumi.StringMap{"LoadBalancer": lb.ArnSuffix, "TargetGroup": lb.TargetGroupArnSuffix}
		count := float64(t.HTTP5xxCount)
		specs = append(specs,
			alarmSpec{
				suffix: "alb-5xx", namespace: "AWS/ApplicationELB", metric: "HTTPCode_ELB_5XX_Count",
				statistic: "Sum", comparison: greaterThan, threshold: count, dimensions: alb,
				notBreaching: true, description: "Load balancer 5xx responses",
			},
			alarmSpec{
				suffix: "api-5xx", namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count",
				statistic: "Sum", comparison: greaterThan, threshold: count, dimensions: tg,
				notBreaching: true, description: "API 5xx responses",
			},
			alarmSpec{
				suffix: "api-latency", namespace: "AWS/ApplicationELB", metric: "TargetResponseTime",
				extended: "p95", comparison: greaterThan, threshold: t.LatencySeconds, dimensions: tg,
				notBreaching: true,
				description:  fmt.Sprintf("API p95 response time above %gs", t.LatencySeconds),
			},
			alarmSpec{
				suffix: "api-unhealthy", namespace: "AWS/ApplicationELB", metric: "UnHealthyHostCount",
				statistic: "Maximum", comparison: greaterThan, threshold: 0, dimensions: tg,
				description: "API targets failing their health check",
			})
	}

	if db := args.Database; db != nil {
		dims := pulumi.StringMap{"DBInstanceIdentifier": db.InstanceID}
		specs = append(specs,
			alarmSpec{
				suffix: "db-cpu", namespace: "AWS/RDS", metric: "CPUUtilization",
				statistic: "Average", comparison: greaterThan, threshold: t.CPUPercent,
				dimensions: dims, description: fmt.Sprintf("Database CPU above %g%%", t.CPUPercent),
			},
			alarmSpec{
				suffix: "db-storage", namespace: "AWS/RDS", metric: "FreeStorageSpace",
				statistic: "Minimum", comparison: lessThan,
				threshold:  float64(db.AllocatedStorageGb) * gib * t.DBFreeStoragePercent / 100,
				dimensions: dims,
				description: fmt.Sprintf("Database free storage below %g%% of %d GB",
					t.DBFreeStoragePercent, db.AllocatedStorageGb),
			},
			alarmSpec{
				suffix: "db-memory", namespace: "AWS/RDS", metric: "FreeableMemory",
				statistic: "Minimum", comparison: lessThan,
				threshold:  float64(db.MemoryGiB) * gib * t.DBFreeMemoryPercent / 100,
				dimensions: dims,
				description: fmt.Sprintf("Database freeable memory below %g%% of %d GiB",
					t.DBFreeMemoryPercent, db.MemoryGiB),
			},
			alarmSpec{
				suffix: "db-connections", namespace: "AWS/RDS", metric: "DatabaseConnections",
				statistic: "Maximum", comparison: greaterThan,
				threshold:  float64(db.MaxConnections) * t.DBConnectionsPercent / 100,
				dimensions: dims,
				description: fmt.Sprintf("Database connections above %g%% of %d",
					t.DBConnectionsPercent, db.MaxConnections),
			})
	}

	if cache := args.Cache; cache != nil {
		for i, node := range cache.MemberClusterIDs {
			dims := pulumi.StringMap{"CacheClusterId": node}
			n := fmt.Sprintf("redis-%d", i+1)
			specs = append(specs,
				alarmSpec{
					suffix: n + "-cpu", namespace: "AWS/ElastiCache", metric: "EngineCPUUtilization",
					statistic: "Average", comparison: greaterThan, threshold: t.CPUPercent,
					dimensions:  dims,
					description: fmt.Sprintf("Redis node %d engine CPU above %g%%", i+1, t.CPUPercent),
				},
				alarmSpec{
					suffix: n + "-memory", namespace: "AWS/ElastiCache",
					metric: "DatabaseMemoryUsagePercentage", statistic: "Average",
					comparison: greaterThan, threshold: t.MemoryPercent, dimensions: dims,
					description: fmt.Sprintf("Redis node %d memory above %g%%", i+1, t.MemoryPercent),
				},
				alarmSpec{
					suffix: n + "-evictions", namespace: "AWS/ElastiCache", metric: "Evictions",
					statistic: "Sum", comparison: greaterThan, threshold: float64(t.Evictions),
					dimensions: dims, notBreaching: true,
					description: fmt.Sprintf("Redis node %d evicting keys", i+1),
				})
		}
	}

	return specs
}

// topicPolicy lets the account manage the topic and lets only this
// account's CloudWatch alarms publish to it.
func topicPolicy(topicArn, accountID, region string) (string, error) {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{
				"Sid":       "AccountManagesTopic",
				"Effect":    "Allow",
				"Principal": map[string]any{"AWS": "arn:aws:iam::" + accountID + ":root"},
				"Action": []string{
					"sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
					"sns:ListSubscriptionsByTopic", "sns:Publish",
				},
				"Resource": topicArn,
			},
			{
				"Sid":       "CloudWatchAlarmsPublish",
				"Effect":    "Allow",
				"Principal": map[string]any{"Service": "cloudwatch.amazonaws.com"},
				"Action":    "sns:Publish",
				"Resource":  topicArn,
				"Condition": map[string]any{
					"ArnLike": map[string]any{
						"aws:SourceArn": "arn:aws:cloudwatch:" + region + ":" + accountID + ":alarm:*",
					},
				},
			},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encoding topic policy: %w", err)
	}

	return string(b), nil
}

// dashboardBody renders the key graphs: service CPU and memory, load
// balancer traffic, errors and latency, database and cache health.
func dashboardBody(args *AlarmsArgs) pulumi.StringOutput {
	var inputs []any
	for _, svc := range args.Services {
		inputs = append(inputs, svc.ClusterName, svc.ServiceName)
	}
	if args.LoadBalancer != nil {
		inputs = append(inputs, args.LoadBalancer.ArnSuffix, args.LoadBalancer.TargetGroupArnSuffix)
	}
	if args.Database != nil {
		inputs = append(inputs, args.Database.InstanceID)
	}
	if args.Cache != nil {
		for _, n := range args.Cache.MemberClusterIDs {
			inputs = append(inputs, n)
		}
	}

	return pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		next := func() string {
			s, _ := v[0].(string)
			v = v[1:]

			return s
		}
		var cpu, mem [][]any
		for _, svc := range args.Services {
			cluster, service := next(), next()
			cpu = append(cpu, []any{"AWS/ECS", "CPUUtilization", "ClusterName", cluster,
				"ServiceName", service, map[string]any{"label": svc.Role}})
			mem = append(mem, []any{"AWS/ECS", "MemoryUtilization", "ClusterName", cluster,
				"ServiceName", service, map[string]any{"label": svc.Role}})
		}
		var widgets []map[string]any
		if len(cpu) > 0 {
			widgets = append(widgets,
				graph("Service CPU %", args.Region, cpu, 0),
				graph("Service memory %", args.Region, mem, 1))
		}
		if args.LoadBalancer != nil {
			lb, tg := next(), next()
			widgets = append(widgets,
				graph("Requests and 5xx", args.Region, [][]any{
					{"AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb, map[string]any{"stat": "Sum"}},
					{"AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb,
						"TargetGroup", tg, map[string]any{"stat": "Sum"}},
					{"AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", lb,
						map[string]any{"stat": "Sum"}},
				}, 2),
				graph("API p95 response time (s)", args.Region, [][]any{
					{"AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb, "TargetGroup", tg,
						map[string]any{"stat": "p95"}},
				}, 3))
		}
		if args.Database != nil {
			db := next()
			widgets = append(widgets, graph("Database", args.Region, [][]any{
				{"AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", db},
				{"AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", db,
					map[string]any{"yAxis": "right"}},
			}, 4))
		}
		if args.Cache != nil {
			var metrics [][]any
			for range args.Cache.MemberClusterIDs {
				node := next()
				metrics = append(metrics,
					[]any{"AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", node},
					[]any{"AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", node})
			}
			widgets = append(widgets, graph("Redis engine CPU and memory %", args.Region, metrics, 5))
		}
		b, err := json.Marshal(map[string]any{"widgets": widgets})
		if err != nil {
			return "", fmt.Errorf("encoding dashboard: %w", err)
		}

		return string(b), nil
	}).(pulumi.StringOutput)
}

// graph is one dashboard line graph, laid out two per row.
func graph(title, region string, metrics [][]any, index int) map[string]any {
	return map[string]any{
		"type":   "metric",
		"x":      (index % 2) * 12,
		"y":      (index / 2) * 6,
		"width":  12,
		"height": 6,
		"properties": map[string]any{
			"title":   title,
			"region":  region,
			"metrics": metrics,
			"view":    "timeSeries",
			"stat":    "Average",
			"period":  300,
		},
	}
}
