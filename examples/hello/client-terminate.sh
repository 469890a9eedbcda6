#!/bin/sh
set -eu
rm -f greeting.txt
