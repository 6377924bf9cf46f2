#!/bin/sh
# Create the secrets infra/compose.yaml mounts, under var/secrets/ at the
# repository root (var/ is never committed). Existing files are kept, so it is
# safe to run again; delete a file to rotate that secret (and see
# docs/operations.md for what rotating it means).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/var/secrets"
mkdir -p "$dir"

random() {
    python3 -c 'import secrets; print(secrets.token_urlsafe(32))'
}

# A Fernet key (url-safe base64 of 32 random bytes), as rollcall.sealing needs.
fernet_key() {
    python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'
}

amqp_uri() {
    printf 'amqp://rollcall:%s@rabbitmq:5672/\n' "$(cat "$dir/rabbitmq_password")"
}

rabbitmq_conf() {
    printf 'default_user = rollcall\ndefault_pass = %s\n' "$(cat "$dir/rabbitmq_password")"
}

# create NAME COMMAND: write COMMAND's output to NAME unless NAME exists.
create() {
    name=$1
    shift
    if [ ! -s "$dir/$name" ]; then
        "$@" > "$dir/$name"
        echo "created $dir/$name"
    fi
}

create postgres_password random
create rabbitmq_password random
create grafana_admin_password random
create code_hash_key random
create mail_seal_key fernet_key
create signing_key_passphrase random
create personal_data_key random
create bounce_webhook_secret random
create amqp_uri amqp_uri
create rabbitmq.conf rabbitmq_conf

# The containers run as users other than the one running this script and see
# each file through its own bind mount, so the files are readable while the
# directory stays closed to other users of this machine.
chmod 0644 "$dir"/*
chmod 0700 "$dir"
