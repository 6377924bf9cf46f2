#!/bin/bash
# Runs once, when the PostgreSQL data volume is first initialised: one
# database per Rollcall service (each service owns its database and reads no
# other's), owned by the Rollcall role. Services create their tables through
# their own migrations (`rollcall run SERVICE` migrates before it starts).
set -euo pipefail

for service in ${ROLLCALL_DATABASES:-registration matching codes mailer tally gateway}; do
    echo "creating database rollcall_${service}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE DATABASE "rollcall_${service}" OWNER "${POSTGRES_USER}";
REVOKE ALL ON DATABASE "rollcall_${service}" FROM PUBLIC;
SQL
done
