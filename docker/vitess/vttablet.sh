#!/bin/bash
# One vttablet of docker-compose.yaml in front of a MySQL in its own container (--unmanaged).
# Environment: TABLET_UID KEYSPACE SHARD DB_HOST DB_NAME DB_USER DB_PASSWORD.
set -euo pipefail
: "${TABLET_UID:?}" "${KEYSPACE:?}" "${SHARD:=0}" "${DB_HOST:?}" "${DB_NAME:?}" "${DB_USER:?}" "${DB_PASSWORD:?}"
CELL=zone1
alias=$(printf '%s-%010d' "$CELL" "$TABLET_UID")
creds=$(mktemp)
printf '{"%s": ["%s"]}' "$DB_USER" "$DB_PASSWORD" > "$creds"
until /vt/bin/vtctldclient --server vtctld:15999 GetKeyspace "$KEYSPACE" >/dev/null 2>&1; do
  echo "waiting for vitess-setup to create keyspace $KEYSPACE ..."; sleep 2
done
role_flags=()
for role in app allprivs appdebug dba filtered repl; do role_flags+=("--db-$role-user" "$DB_USER"); done
exec /vt/bin/vttablet --topo-implementation etcd2 --topo-global-server-address etcd:2379 \
  --topo-global-root /vitess/global --tablet-path "$alias" --tablet-hostname "$(hostname -i)" \
  --port 15100 --grpc-port 16100 --service-map grpc-queryservice,grpc-tabletmanager,grpc-updatestream \
  --init-keyspace "$KEYSPACE" --init-shard "$SHARD" --init-tablet-type replica --unmanaged \
  --init-db-name-override "$DB_NAME" --db-host "$DB_HOST" --db-port 3306 "${role_flags[@]}" \
  --db-credentials-server file --db-credentials-file "$creds" --health-check-interval 5s --log_dir /tmp
