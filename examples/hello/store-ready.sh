#!/bin/sh
# Ready when the data file holds a 16-hex-digit token.
set -eu
grep -Eq '^[0-9a-f]{16}$' store.dat
