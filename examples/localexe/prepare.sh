#!/bin/sh
set -eu
. ./bootenv.sh
echo "$release" > release.txt
printf '{"artifact": "app-%s.tar"}\n' "$release" > bootout.json
