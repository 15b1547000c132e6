#!/usr/bin/env bash
# Creates what Pulumi needs before the first stack exists, with the AWS CLI
# only (Pulumi can't manage the bucket that holds its own state):
#
#   - a KMS key with yearly rotation and an alias, used both to encrypt the
#     state bucket and as the stacks' awskms:// secrets provider;
#   - an S3 bucket for the state: versioned (every checkpoint can be
#     restored), encrypted by default with that key, all public access
#     blocked, ACLs disabled (bucket owner enforced), TLS required by policy,
#     old versions expired after a year and failed uploads cleaned up.
#
#   scripts/bootstrap-state.sh <bucket> [region] [key alias]
#
# Safe to run again: what exists is kept and its settings re-applied. It
# prints the pulumi login and stack init commands to run next.
set -euo pipefail

bucket=${1:?usage: $0 <bucket> [region] [key alias, default socialflow-pulumi-state]}
region=${2:-${AWS_REGION:-us-east-1}}
alias_name=alias/${3:-socialflow-pulumi-state}
export AWS_REGION=$region

caller=$(aws sts get-caller-identity --output json)
account=$(jq -r '.Account' <<<"$caller")
partition=$(jq -r '.Arn' <<<"$caller" | cut -d: -f2)
echo "Account $account, region $region"

# The key: look it up by alias first, so a rerun finds the one it made.
key_arn=$(aws kms describe-key --key-id "$alias_name" \
  --query KeyMetadata.Arn --output text 2>/dev/null || true)
if [ -z "$key_arn" ] || [ "$key_arn" = None ]; then
  echo "Creating KMS key $alias_name"
  key_arn=$(aws kms create-key \
    --description "Pulumi state and stack secrets of socialflow" \
    --tags TagKey=project,TagValue=socialflow TagKey=managed-by,TagValue=bootstrap \
    --query KeyMetadata.Arn --output text)
  aws kms create-alias --alias-name "$alias_name" --target-key-id "$key_arn"
else
  echo "KMS key $alias_name exists: $key_arn"
fi
aws kms enable-key-rotation --key-id "$key_arn"

# The bucket: head-bucket with the expected owner succeeds only for a bucket
# of this account; anything else (missing, or someone else's) means create,
# which fails loudly if the name is taken.
owner=(--expected-bucket-owner "$account")
if aws s3api head-bucket --bucket "$bucket" "${owner[@]}" 2>/dev/null; then
  echo "Bucket $bucket exists"
else
  echo "Creating bucket $bucket"
  location=()
  if [ "$region" != us-east-1 ]; then
    location=(--create-bucket-configuration "LocationConstraint=$region")
  fi
  aws s3api create-bucket --bucket "$bucket" --object-ownership BucketOwnerEnforced \
    "${location[@]}" >/dev/null
  aws s3api wait bucket-exists --bucket "$bucket" "${owner[@]}"
fi

aws s3api put-public-access-block --bucket "$bucket" "${owner[@]}" \
  --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true

aws s3api put-bucket-ownership-controls --bucket "$bucket" "${owner[@]}" \
  --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'

aws s3api put-bucket-versioning --bucket "$bucket" "${owner[@]}" \
  --versioning-configuration Status=Enabled

aws s3api put-bucket-encryption --bucket "$bucket" "${owner[@]}" \
  --server-side-encryption-configuration "$(jq -cn --arg key "$key_arn" '{
    Rules: [{
      ApplyServerSideEncryptionByDefault: {SSEAlgorithm: "aws:kms", KMSMasterKeyID: $key},
      BucketKeyEnabled: true
    }]
  }')"

bucket_arn="arn:$partition:s3:::$bucket"
aws s3api put-bucket-policy --bucket "$bucket" "${owner[@]}" \
  --policy "$(jq -cn --arg bucket "$bucket_arn" '{
    Version: "2012-10-17",
    Statement: [{
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [$bucket, ($bucket + "/*")],
      Condition: {Bool: {"aws:SecureTransport": "false"}}
    }]
  }')"

aws s3api put-bucket-lifecycle-configuration --bucket "$bucket" "${owner[@]}" \
  --lifecycle-configuration '{
    "Rules": [{
      "ID": "expire-old-checkpoints",
      "Status": "Enabled",
      "Filter": {"Prefix": ""},
      "NoncurrentVersionExpiration": {"NoncurrentDays": 365},
      "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}
    }]
  }'

secrets_provider="awskms://$alias_name?region=$region"
cat <<EOF

State backend ready. Next, from the project directory:

  pulumi login 's3://$bucket?region=$region'
  pulumi stack init dev --secrets-provider '$secrets_provider'
  pulumi stack init staging --secrets-provider '$secrets_provider'
  pulumi stack init prod --secrets-provider '$secrets_provider'

stack init writes secretsprovider and encryptedkey into each
Pulumi.<stack>.yaml: commit those lines.
EOF
