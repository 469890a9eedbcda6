#!/bin/sh
# $1 = db host, $2 = db password (from level 1).
set -eu
mkdir -p "$HOME/web"
printf 'db=%s\n' "$1" > "$HOME/web/config"
printf '%s\n' "$2" > "$HOME/web/db-password"
chmod 600 "$HOME/web/db-password"
printf '{"dbhost": "%s"}\n' "$1" > bootout.json
echo "web: configured for $1"
