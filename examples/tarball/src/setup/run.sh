#!/bin/sh
# run.sh of the setup tarball: cloudinitd unpacks setup.tar.gz in the stage
# directory and runs setup/run.sh with the stage directory as working
# directory, so bootconf.json and bootenv.sh are right here.
set -eu
. ./bootenv.sh
cat setup/motd.txt > motd
echo "role: $role" >> motd
