package config

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// key prefixes every project key in messages.
func key(name string) string { return Namespace + ":" + name }

// validate records every problem of a decoded configuration.
func validate(c *Config, p *Problems) {
	if !slices.Contains(Environments, c.Environment) {
		p.Add(key("environment"), c.Environment, "one of "+quoteAll(Environments))
	}
	if !regionPattern.MatchString(c.Region) && c.Region != "" {
		p.Add("aws:region", c.Region, "an AWS region name such as us-east-1")
	}
	if c.IsProd() && !c.Protect {
		p.Add(key("protect"), c.Protect, "true in prod, so stateful resources can't be deleted")
	}
	if !slices.Contains(LogRetentionDays, c.LogRetentionDays) {
		p.Add(key("logRetentionDays"), c.LogRetentionDays,
			"a CloudWatch Logs retention: "+joinInts(LogRetentionDays))
	}
	validateRecoveryWindow(c, p)
	validateNetwork(c, p)
	validatePostgres(c, p)
	validateRedis(c, p)
	validateTask("api", c.API, true, p)
	validateTask("worker", c.Worker, false, p)
	validateTask("beat", c.Beat, false, p)
	if c.Beat.MinCount != 1 || c.Beat.MaxCount != 1 {
		p.Add(key("beat.minCount/maxCount"), fmt.Sprintf("%d/%d", c.Beat.MinCount, c.Beat.MaxCount),
			"1/1: the Celery beat scheduler must run exactly once")
	}
	if !pathPattern.MatchString(c.API.HealthCheckPath) || len(c.API.HealthCheckPath) > 1024 {
		p.Add(key("api.healthCheckPath"), c.API.HealthCheckPath,
			"a URL path starting with /, at most 1024 characters, no spaces or query")
	}
	for name, t := range map[string]Task{"worker": c.Worker, "beat": c.Beat} {
		if t.HealthCheckPath != "" {
			p.Add(key(name+".healthCheckPath"), t.HealthCheckPath,
				"no value: only the API is behind the load balancer")
		}
	}
	validateImage(c, p)
	validateLoadBalancer(c, p)
	validateCDN(c, p)
	validateStorage(c, p)
	validateAlarms(c, p)
}

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	zonePattern    = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$`)
	pathPattern    = regexp.MustCompile(`^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$`)
	dbNamePattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
	digestPattern  = regexp.MustCompile(`^[^@\s]+@sha256:[0-9a-f]{64}$`)
	acmCertPattern = regexp.MustCompile(
		`^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$`)
	hostnamePattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// maxLifecycleDays bounds lifecycle day counts (ten years), well inside
// what S3 accepts once later transitions are added to them.
const maxLifecycleDays = 3650

// LogRetentionDays are the retention periods CloudWatch Logs accepts.
var LogRetentionDays = []int{
	1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
	1096, 1827, 2192, 2557, 2922, 3288, 3653,
}

func validateRecoveryWindow(c *Config, p *Problems) {
	w := c.SecretRecoveryWindowDays
	k := key("secretRecoveryWindowDays")
	switch {
	case w != 0 && (w < 7 || w > 30):
		p.Add(k, w, "0 (delete at once) or 7 to 30 days")
	case w == 0 && c.Environment != "dev":
		p.Add(k, w, "7 to 30 days outside dev, so a deleted secret can be restored")
	}
}

func validateNetwork(c *Config, p *Problems) {
	n := c.Network
	vpc, err := netip.ParsePrefix(n.VpcCidr)
	vpcOK := err == nil && vpc == vpc.Masked() && vpc.Addr().Is4()
	if !vpcOK {
		p.Add(key("network.vpcCidr"), n.VpcCidr, "an IPv4 CIDR block such as 10.0.0.0/16")
	} else if vpc.Bits() < 16 || vpc.Bits() > 24 {
		p.Add(key("network.vpcCidr"), n.VpcCidr, "a prefix length from /16 to /24, as AWS allows")
	}
	if n.NatGateways != NatSingle && n.NatGateways != NatPerAz {
		p.Add(key("network.natGateways"), n.NatGateways, fmt.Sprintf("%q or %q", NatSingle, NatPerAz))
	}

	zones := n.AvailabilityZones
	if len(zones) != 3 {
		p.Add(key("network.availabilityZones"), zones, "three availability zones")
	}
	seen := map[string]bool{}
	for _, z := range zones {
		if !regionPattern.MatchString(c.Region) {
			break // the region is reported already; zones can't be checked against it
		}
		if seen[z] || !zonePattern.MatchString(z) || !strings.HasPrefix(z, c.Region) ||
			len(z) != len(c.Region)+1 {
			p.Add(key("network.availabilityZones"), z,
				"distinct zones of region "+c.Region+" such as "+c.Region+"a")
		}
		seen[z] = true
	}

	var all []netip.Prefix
	var names []string
	for _, tier := range []struct {
		name  string
		cidrs []string
	}{
		{"network.publicSubnetCidrs", n.PublicSubnetCidrs},
		{"network.privateSubnetCidrs", n.PrivateSubnetCidrs},
	} {
		if len(tier.cidrs) != len(zones) {
			p.Add(key(tier.name), tier.cidrs,
				fmt.Sprintf("one subnet per availability zone (%d)", len(zones)))
		}
		for i, s := range tier.cidrs {
			k := fmt.Sprintf("%s[%d]", key(tier.name), i)
			sub, err := netip.ParsePrefix(s)
			if err != nil || sub != sub.Masked() || !sub.Addr().Is4() {
				p.Add(k, s, "an IPv4 CIDR block such as 10.0.1.0/24")

				continue
			}
			if sub.Bits() > 28 {
				p.Add(k, s, "a prefix length of /28 or shorter, as AWS allows")
			}
			if vpcOK && (!vpc.Contains(sub.Addr()) || sub.Bits() < vpc.Bits()) {
				p.Add(k, s, "a block inside the VPC CIDR "+n.VpcCidr)
			}
			for j, other := range all {
				if other.Overlaps(sub) {
					p.Add(k, s, "a block that does not overlap "+names[j]+" ("+other.String()+")")
				}
			}
			all = append(all, sub)
			names = append(names, k)
		}
	}
}

func validatePostgres(c *Config, p *Problems) {
	pg := c.Postgres
	if !slices.Contains([]string{"15", "16", "17"}, pg.EngineVersion) {
		p.Add(key("postgres.engineVersion"), pg.EngineVersion,
			`a major version only ("15", "16" or "17"), so AWS applies minor upgrades`)
	}
	if _, ok := PostgresClassMemoryGiB[pg.InstanceClass]; !ok {
		p.Add(key("postgres.instanceClass"), pg.InstanceClass,
			"one of "+strings.Join(sortedKeys(PostgresClassMemoryGiB), ", "))
	}
	if pg.AllocatedStorageGb < 20 || pg.AllocatedStorageGb > 65536 {
		p.Add(key("postgres.allocatedStorageGb"), pg.AllocatedStorageGb, "20 to 65536 (gp3 limits)")
	}
	if pg.MaxAllocatedStorageGb <= pg.AllocatedStorageGb || pg.MaxAllocatedStorageGb > 65536 {
		p.Add(key("postgres.maxAllocatedStorageGb"), pg.MaxAllocatedStorageGb,
			fmt.Sprintf("more than allocatedStorageGb (%d) and at most 65536", pg.AllocatedStorageGb))
	}
	if pg.BackupRetentionDays < 1 || pg.BackupRetentionDays > 35 {
		p.Add(key("postgres.backupRetentionDays"), pg.BackupRetentionDays, "1 to 35 days")
	}
	if !dbNamePattern.MatchString(pg.DatabaseName) {
		p.Add(key("postgres.databaseName"), pg.DatabaseName,
			"a letter followed by up to 62 letters, digits or underscores")
	}
	if c.IsProd() && !pg.DeletionProtection {
		p.Add(key("postgres.deletionProtection"), pg.DeletionProtection, "true in prod")
	}
	if c.IsProd() && !pg.FinalSnapshot {
		p.Add(key("postgres.finalSnapshot"), pg.FinalSnapshot, "true in prod")
	}
}

func validateRedis(c *Config, p *Problems) {
	r := c.Redis
	if r.EngineVersion != "7.0" && r.EngineVersion != "7.1" {
		p.Add(key("redis.engineVersion"), r.EngineVersion, `"7.0" or "7.1"`)
	}
	if !slices.Contains(RedisNodeTypes, r.NodeType) {
		p.Add(key("redis.nodeType"), r.NodeType, "one of "+strings.Join(RedisNodeTypes, ", "))
	}
	if r.Nodes < 1 || r.Nodes > 6 {
		p.Add(key("redis.nodes"), r.Nodes, "1 to 6 (a primary and up to 5 replicas)")
	}
	if r.AutomaticFailover && r.Nodes < 2 {
		p.Add(key("redis.automaticFailover"), r.AutomaticFailover,
			fmt.Sprintf("false with %d node: failover needs a replica (nodes >= 2)", r.Nodes))
	}
	if r.MultiAz && r.Nodes < 2 {
		p.Add(key("redis.multiAz"), r.MultiAz,
			fmt.Sprintf("false with %d node: Multi-AZ needs a replica (nodes >= 2)", r.Nodes))
	}
	if r.MultiAz && !r.AutomaticFailover {
		p.Add(key("redis.multiAz"), r.MultiAz, "false unless automaticFailover is true")
	}
	if r.SnapshotRetentionDays < 0 || r.SnapshotRetentionDays > 35 {
		p.Add(key("redis.snapshotRetentionDays"), r.SnapshotRetentionDays, "0 to 35 days")
	}
}

func validateTask(name string, t Task, serving bool, p *Problems) {
	if !ValidFargateSize(t.CPU, t.Memory) {
		p.Add(key(name+".cpu/memory"), fmt.Sprintf("%d/%d", t.CPU, t.Memory),
			"a Fargate size: "+FargateSizes())
	}
	minCount := 0
	if serving {
		minCount = 1
	}
	if t.MinCount < minCount {
		p.Add(key(name+".minCount"), t.MinCount, fmt.Sprintf("at least %d", minCount))
	}
	if t.MaxCount < t.MinCount || t.MaxCount > 100 {
		p.Add(key(name+".maxCount"), t.MaxCount,
			fmt.Sprintf("at least minCount (%d) and at most 100", t.MinCount))
	}
}

func validateImage(c *Config, p *Problems) {
	im := c.Image
	if im.Architecture != "X86_64" && im.Architecture != "ARM64" {
		p.Add(key("image.architecture"), im.Architecture, `"X86_64" or "ARM64"`)
	}
	if im.Prebuilt != "" && !digestPattern.MatchString(im.Prebuilt) {
		p.Add(key("image.prebuilt"), im.Prebuilt,
			"an image pinned by digest: <repository>@sha256:<64 hex digits>")
	}
	if im.Prebuilt == "" && (im.Context == "" || im.Dockerfile == "") {
		p.Add(key("image.context/dockerfile"), im.Context+" "+im.Dockerfile,
			"a build context and Dockerfile path, or image.prebuilt")
	}
}

func validateLoadBalancer(c *Config, p *Problems) {
	lb := c.LoadBalancer
	k := key("loadBalancer.certificateArn")
	switch {
	case lb.CertificateArn == "" && c.Environment != "dev" && c.Environment != "":
		p.Add(k, lb.CertificateArn,
			"an ACM certificate ARN: HTTP without TLS is allowed in dev only")
	case lb.CertificateArn != "":
		m := acmCertPattern.FindStringSubmatch(lb.CertificateArn)
		if m == nil || m[1] != c.Region {
			p.Add(k, lb.CertificateArn, "an ACM certificate ARN in the stack's region "+c.Region)
		}
	}
	if lb.IdleTimeoutSeconds < 1 || lb.IdleTimeoutSeconds > 4000 {
		p.Add(key("loadBalancer.idleTimeoutSeconds"), lb.IdleTimeoutSeconds, "1 to 4000 seconds")
	}
}

func validateCDN(c *Config, p *Problems) {
	cdn := c.CDN
	classes := []string{"PriceClass_100", "PriceClass_200", "PriceClass_All"}
	if !slices.Contains(classes, cdn.PriceClass) {
		p.Add(key("cdn.priceClass"), cdn.PriceClass, "one of "+quoteAll(classes))
	}
	if cdn.Domain != "" && !hostnamePattern.MatchString(cdn.Domain) {
		p.Add(key("cdn.domain"), cdn.Domain, "a lower-case DNS name such as cdn.example.com")
	}
	if (cdn.Domain == "") != (cdn.CertificateArn == "") {
		p.Add(key("cdn.certificateArn"), cdn.CertificateArn,
			"set together with cdn.domain, or both left empty")
	}
	if cdn.CertificateArn != "" {
		m := acmCertPattern.FindStringSubmatch(cdn.CertificateArn)
		if m == nil || m[1] != "us-east-1" {
			p.Add(key("cdn.certificateArn"), cdn.CertificateArn,
				"an ACM certificate ARN in us-east-1, where CloudFront reads certificates")
		}
	}
}

func validateStorage(c *Config, p *Problems) {
	s := c.Storage
	if s.InfrequentAccessAfterDays < 30 || s.InfrequentAccessAfterDays > maxLifecycleDays {
		p.Add(key("storage.infrequentAccessAfterDays"), s.InfrequentAccessAfterDays,
			fmt.Sprintf("30 or more (S3 moves objects to Standard-IA no sooner), at most %d",
				maxLifecycleDays))
	}
	if s.NoncurrentVersionExpirationDays < 1 || s.NoncurrentVersionExpirationDays > maxLifecycleDays {
		p.Add(key("storage.noncurrentVersionExpirationDays"), s.NoncurrentVersionExpirationDays,
			fmt.Sprintf("1 to %d days", maxLifecycleDays))
	}
	for i, o := range s.CorsOrigins {
		// Browsers send the bare origin and S3 compares it as a string, so
		// a trailing slash, path or query would never match.
		u, err := url.Parse(o)
		ok := err == nil && u.Host != "" && o == u.Scheme+"://"+u.Host && validPort(u.Port()) &&
			(u.Scheme == "https" || (u.Scheme == "http" && c.Environment == "dev"))
		if !ok {
			p.Add(fmt.Sprintf("%s[%d]", key("storage.corsOrigins"), i), o,
				"an origin such as https://app.example.com: scheme and host only, "+
					"no trailing slash (http only in dev)")
		}
	}
}

// EmailSlug is how an alarm subscriber is named among the stack's
// resources: its address in lower case, every other character a hyphen.
func EmailSlug(email string) string {
	return nonAlnum.ReplaceAllString(strings.ToLower(email), "-")
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

func validateAlarms(c *Config, p *Problems) {
	a := c.Alarms
	slugs := map[string]string{}
	for i, e := range a.Emails {
		k := fmt.Sprintf("%s[%d]", key("alarms.emails"), i)
		addr, err := mail.ParseAddress(e)
		if err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			p.Add(k, e, "a bare e-mail address such as ops@example.com")

			continue
		}
		if other, dup := slugs[EmailSlug(e)]; dup {
			p.Add(k, e, "an address not already subscribed (as "+other+")")
		}
		slugs[EmailSlug(e)] = e
	}
	if a.CPUPercent <= 0 || a.CPUPercent > 100 {
		p.Add(key("alarms.cpuPercent"), a.CPUPercent, "a percentage above 0 and at most 100")
	}
	if a.MemoryPercent <= 0 || a.MemoryPercent > 100 {
		p.Add(key("alarms.memoryPercent"), a.MemoryPercent, "a percentage above 0 and at most 100")
	}
	if a.PeriodSeconds < 60 || a.PeriodSeconds%60 != 0 || a.PeriodSeconds > 86400 {
		p.Add(key("alarms.periodSeconds"), a.PeriodSeconds, "a multiple of 60 from 60 to 86400")
	}
	for _, pct := range []struct {
		name  string
		value float64
	}{
		{"dbFreeStoragePercent", a.DBFreeStoragePercent},
		{"dbFreeMemoryPercent", a.DBFreeMemoryPercent},
		{"dbConnectionsPercent", a.DBConnectionsPercent},
	} {
		if pct.value <= 0 || pct.value >= 100 {
			p.Add(key("alarms."+pct.name), pct.value, "a percentage above 0 and below 100")
		}
	}
	if a.HTTP5xxCount < 1 || a.HTTP5xxCount > 1_000_000 {
		p.Add(key("alarms.http5xxCount"), a.HTTP5xxCount, "1 to 1000000 responses per period")
	}
	if a.LatencySeconds <= 0 || a.LatencySeconds > 60 {
		p.Add(key("alarms.latencySeconds"), a.LatencySeconds, "above 0 and at most 60 seconds")
	}
	if a.Evictions < 1 || a.Evictions > 1_000_000_000 {
		p.Add(key("alarms.evictions"), a.Evictions, "1 to 1000000000 evictions per period")
	}
	// Divided, not multiplied: a huge count must not wrap around.
	if a.EvaluationPeriods < 1 || a.PeriodSeconds > 0 && a.EvaluationPeriods > 86400/a.PeriodSeconds {
		p.Add(key("alarms.evaluationPeriods"), a.EvaluationPeriods,
			"1 or more, spanning at most one day with periodSeconds")
	}
}

// validPort accepts an empty port or a TCP port number.
func validPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)

	return err == nil && n >= 1 && n <= 65535
}
