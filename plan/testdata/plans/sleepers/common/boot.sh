#!/bin/sh
# $1 is the service's own name (${.name}), $2 its queue. The bootconf, when
# there is one, must say the same name.
set -eu
conf_name=$1
if [ -f bootenv.sh ]; then
	. ./bootenv.sh
	conf_name=$name
fi
[ "$conf_name" = "$1" ] || { echo "bootconf name $conf_name, argument $1" >&2; exit 1; }
printf '{"whoami": "%s", "boot_queue": "%s"}\n' "$1" "${2:-}" > bootout.json
