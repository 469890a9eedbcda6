#!/bin/sh
set -eu
test -s announcement
