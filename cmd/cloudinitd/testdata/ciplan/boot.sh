#!/bin/sh
set -eu
printf '{"port": "8080"}\n' > bootout.json
echo "web-1 booted"
