#!/bin/sh
# Ready when the password file exists.
test -s "$HOME/db/password"
