#!/bin/sh
set -eu
grep -q '^role: frontend$' motd
