#!/bin/sh
# Run by the provisioner on the worker before it terminates it: the
# scripts registered with 'epu node run_on_shutdown'.
set -eu
exec "$(cat epu.path)" node --home "$PWD/agent-home" run_shutdown_hooks --timeout 30s
