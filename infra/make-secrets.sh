#!/bin/sh
# Create the secrets infra/compose.yaml mounts, under var/secrets/ at the
# repository root (var/ is never committed). Existing files are kept, so it is
# safe to run again; delete a file to rotate that secret (and see
# docs/operations.md for what rotating it means).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/var/secrets"
mkdir -p "$dir"
chmod 0700 "$dir"
umask 077

random() {
    python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}

create() {
    if [ ! -s "$dir/$1" ]; then
        cat > "$dir/$1"
        echo "created $dir/$1"
    fi
}

for name in postgres_password rabbitmq_password grafana_admin_password \
            code_key result_signing_key audit_key; do
    random | create "$name"
done

rabbit=$(cat "$dir/rabbitmq_password")
printf 'amqp://rollcall:%s@rabbitmq:5672/\n' "$rabbit" | create amqp_uri
printf 'default_user = rollcall\ndefault_pass = %s\n' "$rabbit" | create rabbitmq.conf

# The containers run as other users than the one running this script: the
# files are readable but the directory stays closed to other users here.
chmod 0644 "$dir"/*
chmod 0711 "$dir"
