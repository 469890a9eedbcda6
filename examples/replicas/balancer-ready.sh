#!/bin/sh
# Ready when three distinct backend addresses are known.
set -eu
[ "$(sort -u backends | wc -l)" -eq 3 ]
