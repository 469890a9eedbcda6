#!/bin/sh
set -eu
test -s release.txt
