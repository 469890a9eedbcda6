#!/bin/sh
# stubborn.sh: ignores SIGTERM (and so does the sleep it becomes), then
# writes its pid, which leads its process group, to ./started.
trap '' TERM
echo $$ > started.tmp && mv started.tmp started
exec sleep 300
