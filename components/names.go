package components

import "regexp"

// AutoNameSuffixLength is what Pulumi appends to a logical name to make a
// physical name: a hyphen and seven random characters. Names with an AWS
// length limit must leave room for it.
const AutoNameSuffixLength = 8

// awsIdentifier is what RDS and ElastiCache accept as an identifier, length
// aside: a lower-case letter, then lower-case letters, digits and single
// hyphens, with no trailing hyphen.
var awsIdentifier = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
