#!/bin/sh
set -eu
[ "$1" = "app-1.4.2.tar" ] || { echo "unexpected artifact $1" >&2; exit 1; }
echo "deployed $1"
