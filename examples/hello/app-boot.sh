#!/bin/sh
# Receives the token twice, as its first argument and through bootenv.sh
# (made from the filled bootconf.json), checks they agree, and publishes a
# greeting for level 3.
set -eu
. ./bootenv.sh
[ "$1" = "$token" ] || { echo "token mismatch: $1 != $token" >&2; exit 1; }
[ "$2" = "hello world" ] || { echo "second argument was split: $2" >&2; exit 1; }
printf '%s\n' "$token" > app.token
printf '{"greeting": "hello from app (token %s)"}\n' "$token" > bootout.json
