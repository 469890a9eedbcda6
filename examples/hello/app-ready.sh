#!/bin/sh
set -eu
test -s app.token
grep -q '"price": "\$5"' bootconf.json
