#!/bin/sh
set -eu
want=$1
shift
[ "$*" = "$want" ] || { echo "got '$*', want '$want'" >&2; exit 1; }
