package harness

import "fmt"

// FakeID is the identifier the harness gives a resource of typ named name,
// with prefix ("sg-", "vpc-") as AWS would show it.
func FakeID(prefix, typ, name string) string {
	return fakeID(prefix, typ, name)
}

// Security group rule resource types.
const (
	IngressRuleType = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	EgressRuleType  = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
	groupType       = "aws:ec2/securityGroup:SecurityGroup"
)

// SecurityGroupRules renders every standalone security group rule as
// "<group> in|out <protocol>/<port> <peer>", naming groups and peer groups by
// resource name, so a test can compare the whole rule set at once.
func (r *Result) SecurityGroupRules() ([]string, error) {
	names := map[string]string{}
	for _, sg := range r.OfType(groupType) {
		names[fakeID("sg-", sg.Type, sg.Name)] = sg.Name
	}
	lookup := func(v any) (string, error) {
		id, _ := v.(string)
		if n, ok := names[id]; ok {
			return n, nil
		}

		return "", fmt.Errorf("rule names unknown security group %v", v)
	}

	var out []string
	directions := []struct{ typ, word string }{{IngressRuleType, "in"}, {EgressRuleType, "out"}}
	for _, dir := range directions {
		for _, rule := range r.OfType(dir.typ) {
			group, err := lookup(rule.Inputs["securityGroupId"])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rule.Name, err)
			}
			peer, _ := rule.Inputs["cidrIpv4"].(string)
			if ref, ok := rule.Inputs["referencedSecurityGroupId"]; ok {
				if peer != "" {
					return nil, fmt.Errorf("%s has both a CIDR and a peer group", rule.Name)
				}
				if peer, err = lookup(ref); err != nil {
					return nil, fmt.Errorf("%s: %w", rule.Name, err)
				}
			}
			port := fmt.Sprint(rule.Inputs["fromPort"])
			if to := fmt.Sprint(rule.Inputs["toPort"]); to != port {
				port += "-" + to
			}
			out = append(out, fmt.Sprintf("%s %s %v/%s %s", group, dir.word,
				rule.Inputs["ipProtocol"], port, peer))
		}
	}

	return out, nil
}
