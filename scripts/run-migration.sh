#!/usr/bin/env bash
# Runs the stack's one-off migration task (alembic upgrade head) on Fargate,
# in the private subnets with the app security group, waits for it to stop
# and fails unless every container exited 0.
#
#   scripts/run-migration.sh <stack>
#
# Needs the Pulumi CLI logged in to the state backend, the AWS CLI with
# credentials that may run the task (ecs:RunTask, iam:PassRole for its
# roles, ecs:DescribeTasks) and jq.
set -euo pipefail

stack=${1:?usage: $0 <stack>}

output() {
  pulumi stack output --stack "$stack" "$@"
}

cluster=$(output clusterName)
task_definition=$(output migrationTaskDefinitionArn)
subnets=$(output privateSubnetIds --json | jq -r 'join(",")')
app_sg=$(output securityGroupIds --json | jq -r '.app')
for v in cluster task_definition subnets app_sg; do
  if [ -z "${!v}" ] || [ "${!v}" = null ]; then
    echo "stack $stack has no value for $v: is it deployed?" >&2
    exit 1
  fi
done

echo "Starting $task_definition on $cluster"
response=$(aws ecs run-task \
  --cluster "$cluster" \
  --task-definition "$task_definition" \
  --launch-type FARGATE \
  --count 1 \
  --started-by "migration-${GITHUB_RUN_ID:-manual}" \
  --network-configuration \
  "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$app_sg],assignPublicIp=DISABLED}" \
  --output json)
task=$(jq -r '.tasks[0].taskArn // empty' <<<"$response")
if [ -z "$task" ]; then
  echo "the migration task did not start:" >&2
  jq '.failures' <<<"$response" >&2
  exit 1
fi
echo "Started $task"

# The waiter gives up after 100 polls 6 seconds apart (10 minutes); a long
# migration gets three of them.
for attempt in 1 2 3; do
  if aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"; then
    break
  fi
  if [ "$attempt" = 3 ]; then
    echo "the migration task is still running after 30 minutes: $task" >&2
    exit 1
  fi
done

result=$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" --output json)
jq -r '.tasks[0] | "stopped: \(.stopCode // "-") \(.stoppedReason // "")"' <<<"$result"
jq -r '.tasks[0].containers[] | "container \(.name): exit code \(.exitCode // "none")"' \
  <<<"$result"
if ! jq -e '.tasks[0].containers | length > 0 and all(.exitCode == 0)' \
  <<<"$result" >/dev/null; then
  echo "the migration failed; its output is in the migration task's log group" >&2
  exit 1
fi
echo "Migrations applied"
