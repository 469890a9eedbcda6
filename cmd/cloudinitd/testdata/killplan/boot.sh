#!/bin/sh
# boot.sh SECONDS: a boot program that takes SECONDS.
sleep "$1"
echo booted
