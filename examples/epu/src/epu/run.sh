#!/bin/sh
# run.sh of epu.tar.gz: start, check, stop or take down an epu daemon for a
# launch-plan service (docs/epu.md). It is the bootpgm, readypgm and
# terminatepgm of examples/epu, and the run.sh of the dist tarballs
# (scripts/dist.sh), run in the service's stage directory:
#
#   run.sh start ROLE STATE_DIR         bootpgm: start the daemon on ./bootconf.json,
#                                       wait until it listens, write bootout.json
#   run.sh ready ROLE STATE_DIR [DOMAIN [PROVISIONER_URL]]
#                                       readypgm: the daemon answers; a controller
#                                       with DOMAIN: 'epu ctl wait-stable'; with
#                                       PROVISIONER_URL: not ready when its
#                                       configuration names another provisioner
#                                       URL (the provisioner was repaired onto a
#                                       new host: repair then restarts the
#                                       controller with the new URL, same state)
#   run.sh stop ROLE STATE_DIR          terminatepgm of a controller: SIGTERM, wait,
#                                       remove STATE_DIR
#   run.sh terminate ROLE STATE_DIR     terminatepgm of a provisioner: terminate_all
#                                       and wait until no worker can remain, then stop
#
# Under 'cloudinitd repair' (CLOUDINITD_COMMAND=repair: the service is
# restarted on a new host) stop and terminate only stop the daemon and keep
# STATE_DIR, and the provisioner's workers run on: the new daemon carries on
# with the same records and the same pool.
#
# ROLE is provisioner or controller. STATE_DIR is the daemon's state_dir: it
# lives outside the stage directory (which terminate and repair remove), so
# the daemon, its binary, records and logs survive a repair.
#
# The binary: ./cloudinitd next to this script (a dist tarball), else
# $CLOUDINITD_EXE (the cloudinitd running the plan; the local driver). It is
# copied to STATE_DIR/bin first: with 'go run' the program that ran the boot
# is deleted when it exits. So is the local driver's instance server,
# cloudinitd-instance, when it lies beside the binary ('go install
# ./cmd/...'): the provisioner's local-driver workers then start as that
# small program rather than as a whole cloudinitd, which is re-executed
# when there is none (a 'go run', or cloudinitd installed alone). The files
# of worker/ next to this script are copied to STATE_DIR/worker, where
# deployable types name them.
set -eu
umask 077
usage="usage: run.sh start|ready|stop|terminate ROLE STATE_DIR [DOMAIN]"
cmd=${1:?$usage}
role=${2:?$usage}
state=${3:?$usage}
case $role in provisioner | controller) ;; *) echo "run.sh: unknown role $role" >&2; exit 2 ;; esac
pidfile=$state/$role.pid
epu=$state/bin/epu

running() {
	[ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

start() {
	here=$(cd "$(dirname "$0")" && pwd)
	if [ -x "$here/cloudinitd" ]; then exe=$here/cloudinitd; else exe=${CLOUDINITD_EXE:-}; fi
	if [ -z "$exe" ] || [ ! -x "$exe" ]; then
		echo "run.sh: no cloudinitd binary (neither $here/cloudinitd nor \$CLOUDINITD_EXE)" >&2
		exit 1
	fi
	mkdir -p "$state/bin"
	if ! running; then
		# A new copy replaces the old one by rename, never in place.
		cp "$exe" "$state/bin/.cloudinitd.new"
		chmod 0755 "$state/bin/.cloudinitd.new"
		mv -f "$state/bin/.cloudinitd.new" "$state/bin/cloudinitd"
		ln -sf cloudinitd "$epu"
		server=$(dirname "$exe")/cloudinitd-instance
		if [ -f "$server" ] && [ -x "$server" ]; then
			cp "$server" "$state/bin/.cloudinitd-instance.new"
			chmod 0755 "$state/bin/.cloudinitd-instance.new"
			mv -f "$state/bin/.cloudinitd-instance.new" "$state/bin/cloudinitd-instance"
		else
			# One left from another build would be refused: every launch
			# would fail.
			rm -f "$state/bin/cloudinitd-instance"
		fi
	fi
	if [ -d "$here/worker" ]; then
		mkdir -p "$state/worker"
		cp -R "$here/worker/." "$state/worker/"
	fi
	# The configuration (0600) is kept with the state for a restart.
	cp bootconf.json "$state/$role.json"
	if running; then
		echo "$role already running (pid $(cat "$pidfile"))"
	else
		rm -f "$state/api_url"
		# In the state directory: the stage directory may be removed under it.
		(cd "$state" && exec setsid nohup "$epu" "$role" --config "$state/$role.json" >"$role.out" 2>&1 </dev/null) &
		echo $! >"$pidfile"
	fi
	i=0
	while [ ! -s "$state/api_url" ]; do
		if ! running; then
			echo "run.sh: the $role exited; its output:" >&2
			tail -n 20 "$state/$role.out" >&2 || true
			exit 1
		fi
		i=$((i + 1))
		[ $i -lt 600 ] || { echo "run.sh: no api_url in $state after 60 s" >&2; exit 1; }
		sleep 0.1
	done
	url=$(cat "$state/api_url")
	printf '{"api_url": "%s", "epu_role": "%s", "epu_state_dir": "%s"}\n' "$url" "$role" "$state" >bootout.json
	echo "$role listening on $url (state $state)"
}

stop() {
	if running; then
		pid=$(cat "$pidfile")
		kill -TERM "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null; do
			i=$((i + 1))
			if [ $i -ge 300 ]; then
				echo "run.sh: the $role (pid $pid) did not stop in 30 s; killing it" >&2
				kill -KILL "$pid"
				break
			fi
			sleep 0.1
		done
		echo "$role stopped"
	fi
	rm -f "$pidfile"
}

# remove_state removes the state directory, and its parent once empty
# (the run's directory of daemons).
remove_state() {
	rm -rf "$state"
	rmdir "$(dirname "$state")" 2>/dev/null || true
}

case $cmd in
start) start ;;
ready)
	running || { echo "run.sh: the $role is not running (pid file $pidfile)" >&2; exit 1; }
	"$epu" ctl --state-dir "$state" health >/dev/null
	if [ $# -ge 5 ] && ! grep -qF "\"url\": \"$5\"" "$state/$role.json"; then
		echo "run.sh: the $role is configured for another provisioner than $5 (repaired?); it must restart" >&2
		exit 1
	fi
	if [ $# -ge 4 ]; then
		# Waits only at boot (CLOUDINITD_COMMAND=boot); exit 123 fails the level.
		"$epu" ctl --state-dir "$state" wait-stable "$4"
	fi
	;;
stop)
	stop
	[ "${CLOUDINITD_COMMAND:-}" = repair ] || remove_state
	;;
terminate)
	if [ "${CLOUDINITD_COMMAND:-}" = repair ]; then
		stop
		exit 0
	fi
	if running; then
		# Exits 1, leaving the daemon and its state, when workers may remain.
		"$epu" ctl --state-dir "$state" terminate-all --wait
	fi
	stop
	remove_state
	;;
*)
	echo "run.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
