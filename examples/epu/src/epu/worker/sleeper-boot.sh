#!/bin/sh
# The sleeper worker's boot program: a long-running process, detached, with
# its pid kept for the ready program.
set -eu
setsid nohup sh -c 'while :; do sleep 60; done' >/dev/null 2>&1 </dev/null &
echo $! >sleeper.pid
echo "sleeper started (pid $(cat sleeper.pid))"
