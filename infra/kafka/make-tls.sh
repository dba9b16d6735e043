#!/usr/bin/env bash
# One shot (the compose `kafka-tls` job): the TLS certificate of the compose Kafka, made once
# and kept in the kafka-tls volume. A private CA signs the broker's certificate (names
# `kafka`, `localhost` and 127.0.0.1); clients trust that CA (ca.pem); the CA's own key is
# thrown away once it has signed, so nothing can sign another certificate with it.
# A deployment with its own CA puts its broker.p12 and ca.pem in the volume instead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
password=${ENTITLE_KAFKA_TLS_KEYSTORE_PASSWORD:?ENTITLE_KAFKA_TLS_KEYSTORE_PASSWORD is not set}
cd "${1:-$SECRETS}"
if [[ -s broker.p12 && -s ca.pem ]]; then
  echo "kafka-tls: the certificate made earlier is kept (delete the kafka-tls volume for a new one)"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
keytool -genkeypair -alias ca -dname "CN=Entitle compose Kafka CA" -ext "BC:critical=ca:true,pathlen:0" \
  -ext "KU:critical=keyCertSign,cRLSign" -keyalg RSA -keysize 3072 \
  -validity 3650 -keystore "$work/ca.p12" -storetype PKCS12 -storepass "$password"
keytool -genkeypair -alias broker -dname "CN=kafka" -keyalg RSA -keysize 3072 -validity 825 \
  -keystore "$work/broker.p12" -storetype PKCS12 -storepass "$password"
keytool -certreq -alias broker -keystore "$work/broker.p12" -storepass "$password" -file "$work/broker.csr"
keytool -gencert -alias ca -keystore "$work/ca.p12" -storepass "$password" -infile "$work/broker.csr" \
  -outfile "$work/broker.pem" -rfc -validity 825 -ext "SAN=dns:kafka,dns:localhost,ip:127.0.0.1" \
  -ext "KU:critical=digitalSignature,keyEncipherment" -ext "EKU=serverAuth"
keytool -exportcert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$password" -file "$work/ca.pem"
keytool -importcert -noprompt -alias ca -file "$work/ca.pem" -keystore "$work/broker.p12" -storepass "$password"
keytool -importcert -alias broker -file "$work/broker.pem" -keystore "$work/broker.p12" -storepass "$password"
install -m 600 "$work/broker.p12" broker.p12   # the broker's key: the Kafka user (appuser) only
install -m 644 "$work/ca.pem" ca.pem           # public: every client verifies the broker with it
echo "kafka-tls: made a CA and the broker's certificate"
