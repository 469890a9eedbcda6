#!/bin/sh
set -eu
printf '%s\n' "$*" > greeting.txt
echo "client: got '$*'"
