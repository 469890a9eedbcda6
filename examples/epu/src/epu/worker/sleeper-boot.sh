#!/bin/sh
# The sleeper worker's boot program: a long-running process, detached, with
# its pid kept for the ready program; and the node agent (docs/agent.md),
# configured by this worker's bootconf (agent.json: node id, domain,
# controller, node token), its home ./agent-home. $1 is the epu program.
set -eu
epu=${1:?usage: sleeper-boot.sh EPU}
setsid nohup sh -c 'while :; do sleep 60; done' >/dev/null 2>&1 </dev/null &
echo $! >sleeper.pid
echo "sleeper started (pid $(cat sleeper.pid))"
echo "$epu" >epu.path
export EPU_AGENT_HOME="$PWD/agent-home"
mkdir -p "$EPU_AGENT_HOME/healthcheck.d"
setsid nohup "$epu" agent --config "$PWD/bootconf.json" >agent.out 2>&1 </dev/null &
echo $! >agent.pid
echo "agent started (pid $(cat agent.pid)); scripts here call: $epu node --home $EPU_AGENT_HOME VERB"
