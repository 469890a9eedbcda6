#!/bin/sh
# The sleeper worker is ready while its process runs.
set -eu
kill -0 "$(cat sleeper.pid)"
