#!/bin/sh
# $1 is the provisioner's name as written, $2 its archive URL; the
# bootconf's name must be the same.
set -eu
. ./bootenv.sh
[ "$name" = "$1" ] || { echo "bootconf name $name, argument $1" >&2; exit 1; }
printf '{"provisioned": "%s %s"}\n' "$name" "$2" > bootout.json
