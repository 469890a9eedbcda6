#!/bin/sh
# Runs in <workdir>/<service>; ../shared was made by vm on the same host.
set -eu
test -f ../shared/base
echo "$1" >> ../shared/roles
