#!/bin/sh
# The compose stack's Kafka, secured as `npm start` runs it (tools/local-stack/src/kafka-properties.ts,
# docs/security.md): SASL_SSL (SCRAM-SHA-512) for clients and replication, mutual TLS for the
# controller, StandardAuthorizer denying whatever no ACL allows. Runs in the apache/kafka image.
#
#   secure-kafka.sh certificates   once, in the kafka-certificates service (as root): a CA and the
#                                  broker's certificate for "kafka", into /secrets (broker only) and
#                                  /kafka-ca (the CA's certificate, for the services)
#   secure-kafka.sh broker         the kafka service: server.properties, the SCRAM logins at format
#                                  time, then the broker
#
# The passwords come from docker/.env (git-ignored; docker/.env.example), never from this file.
set -eu

SECRETS=/secrets
CA_DIR=/kafka-ca
KEYTOOL=${KEYTOOL:-keytool}

certificates() {
  if [ -f "$SECRETS/broker.p12" ] && [ -f "$CA_DIR/ca.pem" ]; then
    echo "certificates already made"
    return
  fi
  umask 077
  work=$(mktemp -d)
  # The store password goes through the environment, never a command line.
  RELAY_STORE_PASSWORD=$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n')
  export RELAY_STORE_PASSWORD
  store() { echo "-keystore $1 -storetype PKCS12 -storepass:env RELAY_STORE_PASSWORD"; }
  # shellcheck disable=SC2046
  $KEYTOOL -genkeypair -alias ca -dname "CN=Relay compose Kafka CA" -keyalg EC -groupname secp256r1 -validity 3650 -ext bc:c $(store "$work/ca.p12")
  # shellcheck disable=SC2046
  $KEYTOOL -genkeypair -alias broker -dname "CN=relay-broker" -keyalg EC -groupname secp256r1 -validity 3650 $(store "$work/broker.p12")
  # shellcheck disable=SC2046
  $KEYTOOL -exportcert -rfc -alias ca -file "$work/ca.pem" $(store "$work/ca.p12")
  # shellcheck disable=SC2046
  $KEYTOOL -certreq -alias broker -file "$work/broker.csr" $(store "$work/broker.p12")
  # shellcheck disable=SC2046
  $KEYTOOL -gencert -rfc -alias ca -infile "$work/broker.csr" -outfile "$work/broker.pem" -validity 3650 \
    -ext SAN=dns:kafka,dns:localhost -ext EKU=serverAuth,clientAuth $(store "$work/ca.p12")
  # shellcheck disable=SC2046
  $KEYTOOL -importcert -noprompt -alias ca -file "$work/ca.pem" $(store "$work/broker.p12")
  # shellcheck disable=SC2046
  $KEYTOOL -importcert -noprompt -alias broker -file "$work/broker.pem" $(store "$work/broker.p12")
  # shellcheck disable=SC2046
  $KEYTOOL -importcert -noprompt -alias ca -file "$work/ca.pem" $(store "$work/truststore.p12")
  cp "$work/broker.p12" "$work/truststore.p12" "$SECRETS/"
  printf '%s' "$RELAY_STORE_PASSWORD" > "$SECRETS/store.password"
  # The broker runs as the image's appuser (uid 1000); the CA's key is not kept.
  chown -R 1000:1000 "$SECRETS"
  chmod 700 "$SECRETS" && chmod 600 "$SECRETS"/*
  cp "$work/ca.pem" "$CA_DIR/ca.pem" && chmod 644 "$CA_DIR/ca.pem"
  rm -rf "$work"
  echo "certificates made"
}

# The client properties Kafka's own tools log in with as admin (healthcheck, ACLs, topics).
admin_client_properties() {
  umask 077
  cat > /tmp/admin-client.properties <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PKCS12
ssl.truststore.location=$SECRETS/truststore.p12
ssl.truststore.password=$(cat "$SECRETS/store.password")
EOF
}

broker() {
  umask 077
  store_password=$(cat "$SECRETS/store.password")
  config=/tmp/server.properties
  cat > "$config" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@kafka:9093
listeners=CLIENT://:9092,CONTROLLER://:9093
advertised.listeners=CLIENT://kafka:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SSL
inter.broker.listener.name=CLIENT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
listener.name.controller.ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=$SECRETS/broker.p12
ssl.keystore.password=$store_password
ssl.truststore.type=PKCS12
ssl.truststore.location=$SECRETS/truststore.p12
ssl.truststore.password=$store_password
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:CN=relay-broker
auto.create.topics.enable=false
num.partitions=6
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.dirs=/tmp/kraft-combined-logs
EOF
  if [ ! -f /tmp/kraft-combined-logs/meta.properties ]; then
    # The logins go into the metadata log at format time (KRaft keeps them there).
    # The logins are collected in the positional parameters ("$@", this function's own).
    set -- --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]" \
      --add-scram "SCRAM-SHA-512=[name=ops,password=$OPS_KAFKA_PASSWORD]"
    # Generated by `npm run generate:deploy` from ServiceTopology (libs/contracts/src/topology.ts): one login per service.
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=orders,password=$ORDERS_KAFKA_PASSWORD]"
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=inventory,password=$INVENTORY_KAFKA_PASSWORD]"
    set -- "$@" --add-scram "SCRAM-SHA-512=[name=delivery,password=$DELIVERY_KAFKA_PASSWORD]"
    # End of the generated lines.
    /opt/kafka/bin/kafka-storage.sh format -t "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" -c "$config" "$@"
  fi
  admin_client_properties
  exec /opt/kafka/bin/kafka-server-start.sh "$config"
}

case "${1:-}" in
  certificates) certificates ;;
  broker) broker ;;
  admin-client) admin_client_properties ;;
  *) echo "usage: $0 certificates|broker|admin-client" >&2; exit 2 ;;
esac
