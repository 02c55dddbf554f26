#!/bin/sh
# Creates Temporal's two databases and brings their schemas to this admin-tools image's
# server version, with the schema embedded in temporal-sql-tool. Every step is idempotent,
# so the same script sets up a new cluster and upgrades the schema after a server upgrade.
set -eu
: "${SQL_PASSWORD:?}"
db_host=${TEMPORAL_DB_HOST:-temporal-db}
tool() { temporal-sql-tool --plugin postgres12 --ep "$db_host" -p 5432 -u temporal "$@"; }

for db in temporal temporal_visibility; do
  schema=postgresql/v12/temporal
  [ "$db" = temporal_visibility ] && schema=postgresql/v12/visibility
  echo "temporal-schema: $db"
  tool --db "$db" create
  tool --db "$db" setup-schema -v 0.0
  tool --db "$db" update-schema --schema-name "$schema"
done
echo "temporal-schema: done"
