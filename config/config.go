// Package config holds the typed settings of one socialflow stack: their
// defaults, how they are read from Pulumi configuration and how they are
// validated. It registers no Pulumi resources, so every problem in a stack
// file is found before the first resource exists.
package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

// Namespace is the Pulumi project name, and so the prefix of every project
// configuration key ("socialflow:network").
const Namespace = "socialflow"

// Environments are the environment names a stack may declare.
var Environments = []string{"dev", "staging", "prod"}

// Config is the validated configuration of one stack.
type Config struct {
	// Environment is dev, staging or prod.
	Environment string `json:"environment"`
	// Region is the AWS region of the stack (aws:region).
	Region string `json:"-"`
	// Protect guards stateful resources (database, cache, buckets, keys,
	// secrets) against deletion by Pulumi and by AWS.
	Protect bool `json:"protect"`
	// LogRetentionDays is the retention of every log group the stack owns.
	LogRetentionDays int `json:"logRetentionDays"`
	// DetailedMonitoring turns on Container Insights and the dashboard.
	DetailedMonitoring bool `json:"detailedMonitoring"`
	// SecretRecoveryWindowDays is how long a deleted secret can be restored;
	// 0 deletes at once.
	SecretRecoveryWindowDays int `json:"secretRecoveryWindowDays"`
	// ProjectDir is the directory holding Pulumi.yaml, which the image
	// paths are relative to; empty means the working directory, where the
	// Pulumi CLI runs the program.
	ProjectDir string `json:"-"`

	Network      Network      `json:"network"`
	Postgres     Postgres     `json:"postgres"`
	Redis        Redis        `json:"redis"`
	API          Task         `json:"api"`
	Worker       Task         `json:"worker"`
	Beat         Task         `json:"beat"`
	Image        Image        `json:"image"`
	LoadBalancer LoadBalancer `json:"loadBalancer"`
	CDN          CDN          `json:"cdn"`
	Storage      Storage      `json:"storage"`
	Alarms       Alarms       `json:"alarms"`
}

// Name is the prefix of every resource name of the stack
// ("socialflow-prod").
func (c *Config) Name() string {
	return Namespace + "-" + c.Environment
}

// IsProd reports whether the stack is the production environment.
func (c *Config) IsProd() bool {
	return c.Environment == "prod"
}

// Network is the VPC layout.
type Network struct {
	// VpcCidr is the IPv4 range of the VPC.
	VpcCidr string `json:"vpcCidr"`
	// AvailabilityZones are the three zones the subnets spread over; empty
	// means the region's first three (a, b, c).
	AvailabilityZones []string `json:"availabilityZones"`
	// PublicSubnetCidrs holds one public subnet per availability zone.
	PublicSubnetCidrs []string `json:"publicSubnetCidrs"`
	// PrivateSubnetCidrs holds one private subnet per availability zone.
	PrivateSubnetCidrs []string `json:"privateSubnetCidrs"`
	// NatGateways is "single" (one shared gateway) or "perAz".
	NatGateways string `json:"natGateways"`
}

// NAT gateway modes.
const (
	NatSingle = "single"
	NatPerAz  = "perAz"
)

// Postgres sizes the RDS PostgreSQL instance.
type Postgres struct {
	// EngineVersion is the major version only, so minor upgrades are AWS's.
	EngineVersion string `json:"engineVersion"`
	// InstanceClass is the RDS instance class.
	InstanceClass string `json:"instanceClass"`
	// MultiAz keeps a synchronous standby in another zone.
	MultiAz bool `json:"multiAz"`
	// AllocatedStorageGb is the initial gp3 volume size.
	AllocatedStorageGb int `json:"allocatedStorageGb"`
	// MaxAllocatedStorageGb is the storage autoscaling ceiling.
	MaxAllocatedStorageGb int `json:"maxAllocatedStorageGb"`
	// BackupRetentionDays is the point-in-time recovery window.
	BackupRetentionDays int `json:"backupRetentionDays"`
	// FinalSnapshot takes a snapshot when the instance is deleted.
	FinalSnapshot bool `json:"finalSnapshot"`
	// DeletionProtection makes AWS refuse to delete the instance.
	DeletionProtection bool `json:"deletionProtection"`
	// DatabaseName is the application database created with the instance.
	DatabaseName string `json:"databaseName"`
}

// Redis sizes the ElastiCache replication group.
type Redis struct {
	// EngineVersion is the Redis version, 7.0 or 7.1.
	EngineVersion string `json:"engineVersion"`
	// NodeType is the ElastiCache node type.
	NodeType string `json:"nodeType"`
	// Nodes counts the primary and its replicas.
	Nodes int `json:"nodes"`
	// AutomaticFailover promotes a replica when the primary fails.
	AutomaticFailover bool `json:"automaticFailover"`
	// MultiAz places replicas in other zones than the primary.
	MultiAz bool `json:"multiAz"`
	// SnapshotRetentionDays keeps daily snapshots; 0 turns them off.
	SnapshotRetentionDays int `json:"snapshotRetentionDays"`
}

// Task sizes one ECS service: Fargate CPU units, memory in MiB and the
// task count range the autoscaler keeps it in.
type Task struct {
	CPU      int `json:"cpu"`
	Memory   int `json:"memory"`
	MinCount int `json:"minCount"`
	MaxCount int `json:"maxCount"`
	// HealthCheckPath is the target group health check (API only).
	HealthCheckPath string `json:"healthCheckPath,omitempty"`
}

// Image says where the application image comes from.
type Image struct {
	// Context is the Docker build context, relative to the project root.
	Context string `json:"context"`
	// Dockerfile is the Dockerfile path, relative to the project root.
	Dockerfile string `json:"dockerfile"`
	// Architecture is the Fargate CPU architecture, X86_64 or ARM64.
	Architecture string `json:"architecture"`
	// Prebuilt names an image already pushed ("repo@sha256:…"); when set
	// nothing is built and every service runs it.
	Prebuilt string `json:"prebuilt"`
}

// LoadBalancer configures the public ALB.
type LoadBalancer struct {
	// CertificateArn is the ACM certificate for HTTPS; empty serves HTTP only
	// (allowed in dev only).
	CertificateArn string `json:"certificateArn"`
	// IdleTimeoutSeconds is the ALB idle timeout.
	IdleTimeoutSeconds int `json:"idleTimeoutSeconds"`
}

// CDN configures the CloudFront distribution.
type CDN struct {
	// PriceClass is PriceClass_100, PriceClass_200 or PriceClass_All.
	PriceClass string `json:"priceClass"`
	// Domain is an optional custom domain name for the distribution.
	Domain string `json:"domain"`
	// CertificateArn is the ACM certificate for Domain, in us-east-1.
	CertificateArn string `json:"certificateArn"`
}

// Storage configures the media buckets.
type Storage struct {
	// CorsOrigins may upload straight from the browser to the uploads bucket.
	CorsOrigins []string `json:"corsOrigins"`
	// InfrequentAccessAfterDays moves media to Standard-IA (at least 30).
	InfrequentAccessAfterDays int `json:"infrequentAccessAfterDays"`
	// NoncurrentVersionExpirationDays deletes overwritten object versions.
	NoncurrentVersionExpirationDays int `json:"noncurrentVersionExpirationDays"`
}

// Alarms configures notification targets and thresholds.
type Alarms struct {
	// Emails receive alarm notifications.
	Emails []string `json:"emails"`
	// CPUPercent is the ECS, RDS and Redis engine CPU threshold.
	CPUPercent float64 `json:"cpuPercent"`
	// MemoryPercent is the ECS and Redis memory threshold.
	MemoryPercent float64 `json:"memoryPercent"`
	// PeriodSeconds is the evaluation period of every alarm.
	PeriodSeconds int `json:"periodSeconds"`
	// EvaluationPeriods is how many periods must breach.
	EvaluationPeriods int `json:"evaluationPeriods"`
	// HTTP5xxCount is how many 5xx responses per period (from the load
	// balancer or the targets) raise an alarm.
	HTTP5xxCount int `json:"http5xxCount"`
	// LatencySeconds is the API target response time (p95) threshold.
	LatencySeconds float64 `json:"latencySeconds"`
	// DBFreeStoragePercent alarms when free database storage falls below
	// this share of the allocated storage.
	DBFreeStoragePercent float64 `json:"dbFreeStoragePercent"`
	// DBFreeMemoryPercent alarms when freeable memory falls below this share
	// of the instance class's memory.
	DBFreeMemoryPercent float64 `json:"dbFreeMemoryPercent"`
	// DBConnectionsPercent alarms when connections exceed this share of
	// max_connections.
	DBConnectionsPercent float64 `json:"dbConnectionsPercent"`
	// Evictions is how many Redis evictions per period raise an alarm.
	Evictions int `json:"evictions"`
}

// Defaults returns the settings a stack gets for every key it does not set.
// They are the cheapest safe values: a stack file states its sizes
// explicitly.
func Defaults() Config {
	return Config{
		Protect:                  false,
		LogRetentionDays:         7,
		DetailedMonitoring:       false,
		SecretRecoveryWindowDays: 7,
		Network: Network{
			NatGateways: NatSingle,
		},
		Postgres: Postgres{
			EngineVersion:         "15",
			InstanceClass:         "db.t3.small",
			AllocatedStorageGb:    20,
			MaxAllocatedStorageGb: 500,
			BackupRetentionDays:   3,
			DatabaseName:          "socialflow",
		},
		Redis: Redis{
			EngineVersion:         "7.1",
			NodeType:              "cache.t3.micro",
			Nodes:                 1,
			SnapshotRetentionDays: 1,
		},
		API: Task{
			CPU: 512, Memory: 1024, MinCount: 1, MaxCount: 1,
			HealthCheckPath: "/health",
		},
		Worker: Task{CPU: 512, Memory: 1024, MinCount: 1, MaxCount: 1},
		Beat:   Task{CPU: 256, Memory: 512, MinCount: 1, MaxCount: 1},
		Image: Image{
			Context:      ".",
			Dockerfile:   "docker/Dockerfile",
			Architecture: "X86_64",
		},
		LoadBalancer: LoadBalancer{IdleTimeoutSeconds: 60},
		CDN:          CDN{PriceClass: "PriceClass_100"},
		Storage: Storage{
			InfrequentAccessAfterDays:       30,
			NoncurrentVersionExpirationDays: 30,
		},
		Alarms: Alarms{
			CPUPercent:           75,
			MemoryPercent:        80,
			PeriodSeconds:        300,
			EvaluationPeriods:    2,
			HTTP5xxCount:         10,
			LatencySeconds:       1,
			DBFreeStoragePercent: 10,
			DBFreeMemoryPercent:  10,
			DBConnectionsPercent: 80,
			Evictions:            100,
		},
	}
}

// Load reads the stack's configuration from raw, the map of
// "namespace:key" to string value that the Pulumi CLI hands a program
// (structured values JSON-encoded), applies the defaults and validates the
// result. The error, if any, lists every problem found.
func Load(raw map[string]string) (*Config, error) {
	cfg := Defaults()
	p := &Problems{}

	cfg.Region = raw["aws:region"]
	if cfg.Region == "" {
		p.Missing("aws:region", "the AWS region of the stack, e.g. us-east-1")
	}

	fields := fieldsOf(reflect.ValueOf(&cfg).Elem())
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		ns, name, ok := strings.Cut(key, ":")
		if ok && ns != Namespace && nearNamespace(ns) {
			p.Add(key, raw[key], "a key in the "+Namespace+": namespace (is the namespace misspelled?)")

			continue
		}
		if !ok || ns != Namespace {
			continue
		}
		if _, known := fields[name]; !known {
			p.Unknown(key, fieldNames(fields))

			continue
		}
		decodeKey(key, raw[key], fields[name], p)
	}

	if _, ok := raw[Namespace+":environment"]; !ok {
		p.Missing(Namespace+":environment", "one of "+quoteAll(Environments))
	}
	if _, ok := raw[Namespace+":network"]; !ok {
		p.Missing(Namespace+":network", "an object with vpcCidr, publicSubnetCidrs, "+
			"privateSubnetCidrs and natGateways")
	}

	fillDefaultZones(&cfg)
	if err := p.Err(); err != nil {
		// Type errors make the values below meaningless; report them alone.
		return nil, err
	}
	validate(&cfg, p)
	if err := p.Err(); err != nil {
		return nil, err
	}

	return &cfg, nil
}

// LoadFromEnv reads the configuration the Pulumi CLI passes a program in
// the PULUMI_CONFIG environment variable.
func LoadFromEnv() (*Config, error) {
	raw := map[string]string{}
	if s := os.Getenv("PULUMI_CONFIG"); s != "" {
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("reading PULUMI_CONFIG: %w", err)
		}
	}

	cfg, err := Load(raw)
	if err != nil {
		return nil, err
	}
	// The CLI runs the program from the project directory.
	if err := cfg.CheckFiles("."); err != nil {
		return nil, err
	}

	return cfg, nil
}

// CheckFiles checks that the files the settings name exist below the
// project directory dir: the image's build context and Dockerfile, unless
// a prebuilt image is used. It also records dir as [Config.ProjectDir].
func (c *Config) CheckFiles(dir string) error {
	c.ProjectDir = dir
	if c.Image.Prebuilt != "" {
		return nil
	}
	p := &Problems{}
	if st, err := os.Stat(filepath.Join(dir, c.Image.Context)); err != nil || !st.IsDir() {
		p.Add(key("image.context"), c.Image.Context,
			"a directory of the project holding the backend source, or image.prebuilt")
	}
	st, err := os.Stat(filepath.Join(dir, c.Image.Dockerfile))
	if err != nil || !st.Mode().IsRegular() {
		p.Add(key("image.dockerfile"), c.Image.Dockerfile,
			"a Dockerfile of the project (such as docker/Dockerfile), or image.prebuilt")
	}

	return p.Err()
}

func fillDefaultZones(cfg *Config) {
	if len(cfg.Network.AvailabilityZones) > 0 || cfg.Region == "" {
		return
	}
	for _, z := range []string{"a", "b", "c"} {
		cfg.Network.AvailabilityZones = append(cfg.Network.AvailabilityZones, cfg.Region+z)
	}
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}

	return strings.Join(q, ", ")
}

// nearNamespace reports whether ns is probably a misspelling of the
// project namespace, whose keys would otherwise be silently ignored.
func nearNamespace(ns string) bool {
	return strings.EqualFold(ns, Namespace) || editDistance(strings.ToLower(ns), Namespace) <= 2
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}

	return prev[len(b)]
}
