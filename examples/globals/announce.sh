#!/bin/sh
set -eu
printf '%s @ %s\n' "$1" "$2" > announcement
printf '{"announced": "%s @ %s"}\n' "$1" "$2" > bootout.json
