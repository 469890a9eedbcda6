#!/bin/sh
set -eu
rm -f store.dat
echo "store: data removed"
