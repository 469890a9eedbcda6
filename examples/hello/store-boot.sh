#!/bin/sh
# Makes a random token, keeps it in the data file and hands it on through
# bootout.json, which cloudinitd reads after this program exits 0.
set -eu
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$token" > store.dat
printf '{"token": "%s"}\n' "$token" > bootout.json
echo "store: token made"
