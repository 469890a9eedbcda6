#!/bin/sh
# Runs once on the db instance: makes a password, keeps it, and hands it on
# through bootout.json (read by cloudinitd after exit 0).
set -eu
pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$HOME/db"
printf '%s\n' "$pw" > "$HOME/db/password"
printf '{"password": "%s"}\n' "$pw" > bootout.json
echo "db: password made"
