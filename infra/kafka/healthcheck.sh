#!/usr/bin/env bash
# The compose Kafka's health check: the broker answers an authenticated request over TLS.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
config=/tmp/entitle-healthcheck.properties
[[ -s $config ]] || admin_client_config "$config"
exec /opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:19092 \
  --command-config "$config" > /dev/null 2>&1
