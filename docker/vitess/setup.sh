#!/bin/bash
# One-shot setup of docker-compose.yaml's Vitess cluster: the cell, the keyspaces, then each tablet
# made primary of its shard (its MySQL is external, so Vitess is told, not asked, who is primary).
set -euo pipefail
vtctl() { /vt/bin/vtctldclient --server vtctld:15999 "$@"; }
until vtctl GetCellInfoNames >/dev/null 2>&1; do echo "waiting for vtctld ..."; sleep 2; done
vtctl GetCellInfo zone1 >/dev/null 2>&1 \
  || vtctl AddCellInfo --root /vitess/zone1 --server-address etcd:2379 zone1
for keyspace in shop_source shop; do
  vtctl GetKeyspace "$keyspace" >/dev/null 2>&1 || vtctl CreateKeyspace --durability-policy none "$keyspace"
done
for alias in zone1-0000000200 zone1-0000000100; do
  until vtctl GetTablet "$alias" >/dev/null 2>&1; do echo "waiting for tablet $alias ..."; sleep 2; done
  vtctl TabletExternallyReparented "$alias"
done
echo "Vitess cluster ready: vtgate on port 15306, vtctld on 15999"
