# Shared by the scripts of this folder, which run in the Kafka image (apache/kafka), not on
# the host. Sourced, never run.

SECRETS=${KAFKA_SECRETS:-/etc/kafka/secrets}   # the kafka-tls volume: broker.p12 (the broker's key), ca.pem

# A client configuration for the Kafka command-line tools, as the broker's `admin` user
# (PLAIN over TLS; a super user, the only one): written to $1, readable by its owner only.
admin_client_config() {
  umask 077
  cat > "$1" <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${ENTITLE_KAFKA_ADMIN_PASSWORD:?ENTITLE_KAFKA_ADMIN_PASSWORD is not set}";
ssl.truststore.type=PEM
ssl.truststore.location=${SECRETS}/ca.pem
PROPERTIES
}
