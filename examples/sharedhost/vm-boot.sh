#!/bin/sh
set -eu
mkdir -p ../shared
echo "base system" > ../shared/base
