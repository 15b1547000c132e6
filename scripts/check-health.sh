#!/usr/bin/env bash
# Polls a health endpoint until it answers 2xx, or fails after the last try.
# New tasks take a while to pass the load balancer's health checks after a
# deploy, so a few failures at first are expected.
#
#   scripts/check-health.sh <url> [attempts] [seconds between attempts]
set -euo pipefail

url=${1:?usage: $0 <url> [attempts] [delay seconds]}
attempts=${2:-30}
delay=${3:-10}

for ((i = 1; i <= attempts; i++)); do
  if curl --fail --silent --show-error --max-time 10 --output /dev/null "$url"; then
    echo "$url is healthy (attempt $i)"
    exit 0
  fi
  if ((i < attempts)); then
    sleep "$delay"
  fi
done
echo "$url did not answer 2xx after $attempts attempts" >&2
exit 1
