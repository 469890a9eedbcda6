#!/bin/sh
# Runs before the instance is terminated.
rm -rf "$HOME/db"
echo "db: cleaned up"
