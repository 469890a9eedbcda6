#!/bin/sh
# Every argument must be the expected list, given as the first one.
set -eu
want=$1
shift
[ "$*" = "$want" ] || { echo "got '$*', want '$want'" >&2; exit 1; }
