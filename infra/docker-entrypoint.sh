#!/bin/sh
# Container entrypoint: for every ROLLCALL_*_FILE or PG*_FILE variable, read
# the file it names into the variable without the suffix (Docker and
# Kubernetes secrets are files), then run the command.
#   ROLLCALL_AMQP_URI_FILE=/run/secrets/amqp_uri   -> ROLLCALL_AMQP_URI
#   PGPASSWORD_FILE=/run/secrets/postgres_password -> PGPASSWORD (read by libpq)
set -eu

for name in $(env | sed -n 's/^\(ROLLCALL_[A-Z0-9_]*\|PG[A-Z0-9_]*\)_FILE=.*/\1/p'); do
    file=$(printenv "${name}_FILE")
    if [ ! -r "$file" ]; then
        echo "rollcall-entrypoint: ${name}_FILE names $file, which cannot be read" >&2
        exit 1
    fi
    value=$(cat "$file")
    export "$name=$value"
    unset "${name}_FILE"
done

exec "$@"
