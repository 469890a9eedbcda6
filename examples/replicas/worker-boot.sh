#!/bin/sh
# $1 is the replica's own name (${.name}).
set -eu
printf '%s\n' "$1" > whoami
printf '{"slot": "%s"}\n' "$1" > bootout.json
