#!/bin/sh
# The sleeper worker is ready while its process runs and its agent answers.
# $1 is the epu program.
set -eu
epu=${1:?usage: sleeper-ready.sh EPU}
kill -0 "$(cat sleeper.pid)"
i=0
until "$epu" node --home "$PWD/agent-home" config node_id >/dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -ge 100 ]; then
		echo "sleeper-ready.sh: the agent does not answer; its output:" >&2
		tail -n 20 agent.out >&2 || true
		exit 1
	fi
	sleep 0.1
done
