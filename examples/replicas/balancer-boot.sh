#!/bin/sh
# Writes one backend per line from the filled bootconf (via bootenv.sh).
set -eu
. ./bootenv.sh
for b in $backends; do echo "$b"; done > backends
[ "$slots" = "worker-0 worker-1 worker-2" ] || { echo "slots: $slots" >&2; exit 1; }
