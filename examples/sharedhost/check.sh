#!/bin/sh
set -eu
grep -qx "$1" ../shared/roles
