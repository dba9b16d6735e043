#!/usr/bin/env bash
# One shot (the compose `kafka-setup` job), before the topics and the services: a SCRAM-SHA-512
# user for every principal of acls.txt, with the password of ENTITLE_KAFKA_<USER>_PASSWORD,
# then the ACLs of acls.txt. Run again to apply a changed password or a new ACL: both are
# idempotent. It never removes an ACL (docs/operations.md says how).
set -euo pipefail
set -f  # no globbing: `*` in acls.txt is the wildcard resource name, not a file list
here=$(dirname "$0")
. "$here/lib.sh"
bootstrap=${KAFKA_SETUP_BOOTSTRAP:-kafka:19092}
bin=${KAFKA_BIN:-/opt/kafka/bin}
config=$(mktemp)
trap 'rm -f "$config"' EXIT
admin_client_config "$config"
rules=$(grep -v -E '^[[:space:]]*(#|$)' "$here/acls.txt")

for user in $(grep -o -E 'User:[a-z-]+' <<<"$rules" | cut -d: -f2 | sort -u); do
  variable="ENTITLE_KAFKA_$(tr 'a-z-' 'A-Z_' <<<"$user")_PASSWORD"
  password=${!variable:?$variable is not set}
  # A password from `secrets.token_urlsafe` is safe here; a comma or a bracket would end it.
  "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --command-config "$config" --alter \
    --entity-type users --entity-name "$user" --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]"
done

while read -r principal operations resource pattern names; do
  arguments=()
  for operation in ${operations//,/ }; do arguments+=(--operation "$operation"); done
  for name in ${names//,/ }; do arguments+=("--$resource" "$name"); done
  "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$config" --add \
    --allow-principal "$principal" --resource-pattern-type "$pattern" "${arguments[@]}"
done <<<"$rules"
echo "kafka-setup: users and ACLs in place"
