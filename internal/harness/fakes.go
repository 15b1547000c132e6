package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// fakeID is a stable identifier derived from a resource's type and name.
func fakeID(prefix, typ, name string) string {
	sum := sha256.Sum256([]byte(typ + "/" + name))

	return prefix + hex.EncodeToString(sum[:])[:17]
}

// service is the AWS service part of a type token ("aws:rds/instance:…").
func service(typ string) string {
	_, rest, _ := strings.Cut(typ, ":")
	svc, _, _ := strings.Cut(rest, "/")

	return svc
}

// arn fakes the ARN AWS gives a resource of typ named name.
func (m *Mocks) arn(typ, name string) string {
	svc := service(typ)
	kind := typ[strings.LastIndex(typ, ":")+1:]
	switch svc {
	case "iam":
		return fmt.Sprintf("arn:aws:iam::%s:%s/%s", m.Account, strings.ToLower(kind), name)
	case "s3":
		return "arn:aws:s3:::" + name
	case "cloudfront":
		if kind == "Distribution" {
			return fmt.Sprintf("arn:aws:cloudfront::%s:distribution/%s", m.Account,
				fakeID("E", typ, name))
		}

		return fmt.Sprintf("arn:aws:cloudfront::%s:%s/%s", m.Account,
			strings.ToLower(kind), fakeID("", typ, name))
	case "cloudwatch":
		switch kind {
		case "LogDeliverySource":
			return fmt.Sprintf("arn:aws:logs:%s:%s:delivery-source:%s", m.Region, m.Account, name)
		case "LogDeliveryDestination":
			return fmt.Sprintf("arn:aws:logs:%s:%s:delivery-destination:%s",
				m.Region, m.Account, name)
		case "LogDelivery":
			return fmt.Sprintf("arn:aws:logs:%s:%s:delivery:%s", m.Region, m.Account,
				fakeID("", typ, name))
		}
		if strings.HasPrefix(kind, "Log") {
			return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", m.Region, m.Account, name)
		}
	case "kms":
		return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", m.Region, m.Account, fakeID("", typ, name))
	case "sns":
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", m.Region, m.Account, name)
	case "secretsmanager":
		// Secrets Manager appends six random characters to the name.
		return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", m.Region, m.Account,
			name, fakeID("", typ, name)[:6])
	}

	return fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", svc, m.Region, m.Account,
		strings.ToLower(kind), name)
}

// fake returns the ID and state AWS would report for a new resource: its
// inputs plus the computed attributes the program reads.
func (m *Mocks) fake(args pulumi.MockResourceArgs) (string, resource.PropertyMap) {
	typ, name := args.TypeToken, args.Name
	state := args.Inputs.Copy()
	set := func(k string, v any) {
		if _, ok := state[resource.PropertyKey(k)]; !ok {
			state[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	if !args.Custom {
		return "", m.fakeComponent(typ, name, state)
	}

	var id string
	set("arn", m.arn(typ, name))
	set("name", name)

	switch typ {
	case "aws:kms/key:Key":
		id = fakeID("", typ, name)
		set("keyId", id)
	case "aws:ec2/securityGroup:SecurityGroup":
		id = fakeID("sg-", typ, name)
	case "aws:ec2/vpcEndpoint:VpcEndpoint":
		id = fakeID("vpce-", typ, name)
		set("prefixListId", fakeID("pl-", typ, name))
	case "aws:secretsmanager/secret:Secret":
		id = m.arn(typ, name)
	case "aws:iam/role:Role":
		id = name
	case "aws:cloudwatch/logGroup:LogGroup":
		id = name
	case "aws:rds/instance:Instance":
		id = m.fakeDBInstance(typ, name, state, set)
	case "aws:elasticache/replicationGroup:ReplicationGroup":
		id = m.fakeReplicationGroup(typ, name, state, set)
	case "aws:s3/bucketV2:BucketV2":
		// S3 identifies a bucket by its name; the random suffix Pulumi adds
		// is left out so names stay stable between runs.
		id = name
		set("bucket", name)
		set("bucketDomainName", name+".s3.amazonaws.com")
		set("bucketRegionalDomainName", name+".s3."+m.Region+".amazonaws.com")
	case "aws:cloudfront/distribution:Distribution":
		id = fakeID("E", typ, name)
		set("domainName", "d"+fakeID("", typ, name)[:13]+".cloudfront.net")
		set("hostedZoneId", "Z2FDTNDATAQYW2")
	default:
		id = m.fakeCompute(typ, name, args.Inputs, state, set)
	}

	return id, state
}

// fakeCompute fakes the computed attributes of the image, load balancer and
// ECS resources, and returns their ID.
func (m *Mocks) fakeCompute(
	typ, name string, inputs, state resource.PropertyMap, set func(string, any),
) string {
	id := fakeID("", typ, name)
	override := func(k string, v any) { state[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	switch typ {
	case "aws:ecr/repository:Repository":
		set("registryId", m.Account)
		set("repositoryUrl", fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", m.Account, m.Region, name))
	case "docker:index/image:Image":
		// The digest of a pushed image: the repository of imageName, pinned.
		ref := name
		if v, ok := inputs["imageName"]; ok && v.IsString() {
			ref = v.StringValue()
		}
		sum := sha256.Sum256([]byte(ref))
		if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
			ref = ref[:i]
		}
		set("repoDigest", ref+"@sha256:"+hex.EncodeToString(sum[:]))
	case "aws:lb/loadBalancer:LoadBalancer":
		suffix := "app/" + name + "/" + fakeID("", typ, name)[:16]
		override("arn", fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/%s",
			m.Region, m.Account, suffix))
		set("arnSuffix", suffix)
		set("dnsName", fmt.Sprintf("%s-%s.%s.elb.amazonaws.com", name,
			fakeID("", typ, name)[:10], m.Region))
		set("zoneId", "Z35SXDOTRQ7X7K")
		id = state["arn"].StringValue()
	case "aws:lb/targetGroup:TargetGroup":
		suffix := "targetgroup/" + name + "/" + fakeID("", typ, name)[:16]
		override("arn", fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:%s",
			m.Region, m.Account, suffix))
		set("arnSuffix", suffix)
		id = state["arn"].StringValue()
	case "aws:ecs/taskDefinition:TaskDefinition":
		family := name
		if f, ok := inputs["family"]; ok && f.IsString() {
			family = f.StringValue()
		}
		override("arn", fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:1",
			m.Region, m.Account, family))
		set("revision", 1)
		id = family
	}

	return id
}

// fakeDBInstance adds what RDS computes for an instance: its DNS name, its
// resource ID and, when RDS manages the master password, the secret.
func (m *Mocks) fakeDBInstance(
	typ, name string, state resource.PropertyMap, set func(string, any),
) string {
	identifier := name
	if v, ok := state["identifier"]; ok && v.IsString() {
		identifier = v.StringValue()
	}
	port := 5432.0
	if v, ok := state["port"]; ok && v.IsNumber() {
		port = v.NumberValue()
	}
	address := fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", identifier, fakeID("c", typ, "")[:12],
		m.Region)
	set("identifier", identifier)
	set("port", port)
	set("address", address)
	set("endpoint", fmt.Sprintf("%s:%d", address, int(port)))
	set("resourceId", "db-"+strings.ToUpper(fakeID("", typ, name)))
	state["arn"] = resource.NewPropertyValue(
		fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", m.Region, m.Account, identifier))
	if v, ok := state["manageMasterUserPassword"]; ok && v.IsBool() && v.BoolValue() {
		secret := map[string]any{
			"secretArn": fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:rds!db-%s-AbCdEf",
				m.Region, m.Account, fakeID("", typ, name)),
			"secretStatus": "active",
		}
		if k, ok := state["masterUserSecretKmsKeyId"]; ok && k.IsString() {
			secret["kmsKeyId"] = k.StringValue()
		}
		set("masterUserSecrets", []any{secret})
	}

	return identifier
}

// fakeReplicationGroup adds what ElastiCache computes for a replication
// group: the ID Pulumi auto-names (the logical name and an 8-character
// suffix), the primary endpoint and one member cluster per node.
func (m *Mocks) fakeReplicationGroup(
	typ, name string, state resource.PropertyMap, set func(string, any),
) string {
	groupID := name + "-" + fakeID("", typ, name)[:7]
	if v, ok := state["replicationGroupId"]; ok && v.IsString() {
		groupID = v.StringValue()
	}
	nodes := 1
	if v, ok := state["numCacheClusters"]; ok && v.IsNumber() {
		nodes = int(v.NumberValue())
	}
	members := make([]any, nodes)
	for i := range members {
		members[i] = fmt.Sprintf("%s-%03d", groupID, i+1)
	}
	set("replicationGroupId", groupID)
	set("port", 6379.0)
	set("primaryEndpointAddress", fmt.Sprintf("master.%s.%s.cache.amazonaws.com", groupID,
		fakeID("", typ, name)[:6]))
	set("memberClusters", members)
	state["arn"] = resource.NewPropertyValue(
		fmt.Sprintf("arn:aws:elasticache:%s:%s:replicationgroup:%s", m.Region, m.Account, groupID))

	return groupID
}

// fakeComponent gives remote components (awsx) the outputs the real
// component returns; local components need none.
func (m *Mocks) fakeComponent(typ, name string, state resource.PropertyMap) resource.PropertyMap {
	if typ != "awsx:ec2:Vpc" {
		return state
	}
	ids := func(kind string, n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = fakeID("subnet-", typ, fmt.Sprintf("%s-%s-%d", name, kind, i+1))
		}

		return out
	}
	zones := 3
	if az, ok := state["availabilityZoneNames"]; ok && az.IsArray() {
		zones = len(az.ArrayValue())
	}
	state["vpcId"] = resource.NewPropertyValue(fakeID("vpc-", typ, name))
	state["publicSubnetIds"] = resource.NewPropertyValue(ids("public", zones))
	state["privateSubnetIds"] = resource.NewPropertyValue(ids("private", zones))
	state["isolatedSubnetIds"] = resource.NewPropertyValue([]any{})

	return state
}

// Call implements [pulumi.MockResourceMonitor]: it answers the invokes the
// program makes. An invoke it does not know is an error, so a new data
// source is noticed rather than silently faked.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	out := func(v map[string]any) (resource.PropertyMap, error) {
		return resource.NewPropertyMapFromMap(v), nil
	}
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return out(map[string]any{
			"accountId": m.Account,
			"arn":       fmt.Sprintf("arn:aws:iam::%s:user/preview", m.Account),
			"userId":    "AIDAPREVIEW",
			"id":        m.Account,
		})
	case "aws:index/getRegion:getRegion":
		return out(map[string]any{"name": m.Region, "id": m.Region})
	case "aws:index/getPartition:getPartition":
		return out(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"})
	case "aws:ec2/getRouteTables:getRouteTables":
		// The route tables awsx creates for the private subnets, one per zone.
		ids := make([]any, 3)
		for i := range ids {
			ids[i] = fakeID("rtb-", args.Token, fmt.Sprintf("private-%d", i+1))
		}

		return out(map[string]any{"ids": ids, "id": "route-tables"})
	case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
		registry := m.Account
		if r, ok := args.Args["registryId"]; ok && r.IsString() {
			registry = r.StringValue()
		}

		return out(map[string]any{ //nolint:gosec // fake registry credentials of the preview
			"authorizationToken": "QVdTOnByZXZpZXc=",
			"expiresAt":          "2030-01-01T00:00:00Z",
			"password":           "preview",
			"proxyEndpoint":      fmt.Sprintf("https://%s.dkr.ecr.%s.amazonaws.com", registry, m.Region),
			"userName":           "AWS",
			"id":                 m.Region,
		})
	case "aws:secretsmanager/getRandomPassword:getRandomPassword":
		return out(map[string]any{
			"randomPassword": fakePassword(args.Args),
			"id":             "random",
		})
	}

	return nil, fmt.Errorf("the preview harness does not answer invoke %s", args.Token)
}

// fakePassword returns a password of the requested length made only of
// characters the request allows.
func fakePassword(args resource.PropertyMap) string {
	n := 32
	if v, ok := args["passwordLength"]; ok && v.IsNumber() {
		n = int(v.NumberValue())
	}
	const alphabet = "Abcdefghij0123456789KLMNOPqrstuvwxyz"

	return strings.Repeat(alphabet, n/len(alphabet)+1)[:n]
}
