# Sourceable bash library: an NFS server (NFS-Ganesha, userspace: this
# kernel has neither nfsd nor an NFS client) with its own rpcbind and
# rpc.statd inside a lab's network namespace, serving the EXPORT blocks that
# someone else (labboot) writes to an include file. Source tests/lib/netns.sh
# first: the processes are registered there and killed by its EXIT trap.
#
#   . tests/lib/ganesha.sh
#   ganesha_start NS DIR INCLUDE  # rpcbind, rpc.statd, ganesha.nfsd -F in ns NS (made by the
#                                 # caller, e.g. lab_up); config, logs, recovery state in DIR;
#                                 # %include INCLUDE (created empty if missing). Returns once
#                                 # NFS v3, v4 and MOUNT v3 answer NULL calls over TCP and UDP
#                                 # at $GANESHA_ADDR; else prints the logs' tails, returns 1.
#                                 # Sets GANESHA_PID (the one to SIGHUP), GANESHA_RPCBIND_PID.
#   ganesha_reload [DIR]          # SIGHUP; returns when the new exports are served (below);
#                                 # 2 if the reload logged errors (printed), 1 if it failed
#   ganesha_stop [DIR]            # stop all three (TERM: ganesha unregisters, ~0.1 s); a later
#                                 # ganesha_start on the same DIR starts afresh
#   ganesha_log_errors [DIR]      # FATAL/CRIT/MAJ lines of DIR/ganesha.log (known noise left out)
# DIR defaults to the last ganesha_start's (GANESHA_DIR). The PIDs are kept
# in DIR/pids with their start times (a reused PID is never signalled), so
# $(...) and several servers at once work; nothing is shared outside DIR.
# Ports: NFS 2049, MOUNT $GANESHA_MNT_PORT (20048), NLM $GANESHA_NLM_PORT
# (32803), statd $GANESHA_STATD_PORT (32765, outgoing 32766), rpcbind 111;
# RQUOTA off. GANESHA_ADDR defaults to $LAB_SERVER_IP (198.18.0.1).
#
# What was learned (NFS-Ganesha 4.3, Debian 12; rpcbind 1.2.6, libnfs 4.0):
# - rpcbind and its clients meet on the unix socket /run/rpcbind.sock
#   (ganesha's ntirpc: /var/run/rpcbind.sock), which no network namespace
#   separates; rpcbind also takes /run/rpcbind.lock, /run/rpcbind/ (and runs
#   as _rpc), rpc.statd /run/rpc.statd.pid and /var/lib/nfs; ganesha writes
#   /run/blkid/blkid.tab, /var/run/ganesha, RecoveryRoot (/var/lib/nfs/
#   ganesha) and dials /run/dbus/system_bus_socket. So the three share one
#   mount namespace of their own (unshare -m --propagation slave, anchored by
#   rpcbind; the others join with nsenter --mount) in which DIR/run is
#   bind-mounted over /run; statd state is DIR/statd, RecoveryRoot
#   DIR/recovery. No clash with a host rpcbind or DBus (checked with an
#   rpcbind owning the host's /run/rpcbind.sock) or another lab; nothing
#   written to the host's /run.
# - No DBus: ganesha works, but logs CRITs unless LOG COMPONENTS DBUS = FATAL.
#   NFS_KRB5 { Active_krb5 = false; } drops the "Cannot acquire credentials"
#   CRIT, NFS_CB = MAJ the krb5 keytab CRIT of every start, TIRPC = CRIT the
#   line per client disconnect. Without rpc.statd, NLM is registered but
#   logs "connect to statd failed" and locks fail (klibc uses nolock anyway).
#   Left: two WARNs at start (RADOS URLs library, gssd_refresh_krb5_...).
# - EXPORT: Clients is valid only in a CLIENT {} block; at EXPORT level it is
#   a WARN ("Unknown parameter (Clients)") and the export is open to all.
#   The EXPORT-level Access_Type applies to every client no CLIENT block
#   matches (checked: RO there + CLIENT 198.18.0.0/24 = readable from
#   198.19.0.50): keep it None, grant RO/RW inside CLIENT.
# - Reload (SIGHUP): the sigmgr thread re-parses the whole config, swaps in
#   the new export list, rebuilds the pseudo fs and then logs "Reread exports
#   complete" (under the export lock): its count going up means the new
#   exports are served, 6-20 ms after the signal (1 to 50 exports). Errors
#   of the reload follow that line (ganesha_reload gives them 0.1 s). A
#   syntax error in the include file still ends in "complete" but leaves NO
#   export: write the file atomically (temp file + rename). An export whose
#   Path is missing is skipped (CRIT), the others stay.
# - Start to answering: 0.15-0.6 s (Graceless = true: no 90 s v4 grace).
# - mount_path_pseudo = true: v3 MOUNT paths are the Pseudo paths (Pseudo =
#   Path: v3 and v4 agree). A v3 MOUNT of a subdirectory of an export works
#   (own file handle); a missing path, or one above the exports, gets
#   MNT3ERR_ACCES, not NOENT. showmount -e lists a client only the exports
#   it may use; NFSv4 hides the others (NFS4ERR_NOENT).
# - FSAL VFS serves directories under /tmp on this ext4 root, and tmpfs.
#   Attributes are cached (Attr_Expiration_Time, 60 s): a file rewritten
#   in place on the server reads with its old size for ~60 s; new files show
#   at once. Publish new files or directories, do not rewrite exported ones.
# - libnfs 4.0 cannot send an NFSv4 WRITE of >= 4096 bytes ("ZDR error:
#   Failed to encode COMPOUND4args", client side); v3 writes are fine.
# shellcheck shell=bash

GANESHA_MNT_PORT=${GANESHA_MNT_PORT:-20048}
GANESHA_NLM_PORT=${GANESHA_NLM_PORT:-32803}
GANESHA_STATD_PORT=${GANESHA_STATD_PORT:-32765}
GANESHA_STATD_OUT_PORT=${GANESHA_STATD_OUT_PORT:-32766}
GANESHA_START_TIMEOUT=${GANESHA_START_TIMEOUT:-20}   # seconds
GANESHA_RELOAD_TIMEOUT=${GANESHA_RELOAD_TIMEOUT:-10}
GANESHA_PID=''
GANESHA_RPCBIND_PID=''
GANESHA_DEADLINE=0
GANESHA_DIR=''

ganesha_log() { echo "ganesha: $*" >&2; }

# ganesha_config DIR INCLUDE: the server's configuration on stdout.
ganesha_config() {
	local dir=$1 include=$2
	cat <<-EOF
	# Written by tests/lib/ganesha.sh; the exports are in the %include at the end.
	NFS_CORE_PARAM {
		Protocols = 3, 4;           # NFSv3 (+ MOUNT, NLM) and NFSv4; no 9P
		mount_path_pseudo = true;   # v3 MOUNT paths = Pseudo paths, as in v4
		MNT_Port = $GANESHA_MNT_PORT;
		NLM_Port = $GANESHA_NLM_PORT;
		Enable_RQUOTA = false;
	}
	NFSv4 {
		Graceless = true;           # no 90 s grace period at start
		RecoveryRoot = "$dir/recovery";
	}
	NFS_KRB5 {
		Active_krb5 = false;
	}
	LOG {
		Default_Log_Level = EVENT;
		COMPONENTS {
			DBUS = FATAL;       # no system bus in our mount namespace
			NFS_CB = MAJ;       # no krb5 keytab (a CRIT at every start)
			TIRPC = CRIT;       # ntirpc errors only: no line per client disconnect
		}
	}
	%include "$include"
	EOF
}

# ganesha_pid_of DIR NAME: the PID of NAME (rpcbind, statd, ganesha) as recorded
# in DIR/pids ("NAME PID STARTTIME") if that very process still runs.
ganesha_pid_of() {
	local name pid start
	[ -f "$1/pids" ] || return 0
	while read -r name pid start; do
		[ "$name" = "$2" ] && [ -n "$start" ] && [ "$(lab_starttime "$pid")" = "$start" ] && echo "$pid"
	done <"$1/pids"
	return 0
}

ganesha_record_pid() { # DIR NAME PID
	echo "$2 $3 $(lab_starttime "$3")" >>"$1/pids"
}

# ganesha_answers NS ADDR: rpcbind knows NFS v3/v4 and MOUNT v3, and each
# answers a NULL call over TCP and UDP.
ganesha_answers() {
	local ns=$1 addr=$2 p
	for p in "nfs 3" "nfs 4" "mountd 3"; do
		# shellcheck disable=SC2086  # "program version"
		timeout 2 ip netns exec "$ns" rpcinfo -t "$addr" $p >/dev/null 2>&1 || return 1
		# shellcheck disable=SC2086
		timeout 2 ip netns exec "$ns" rpcinfo -u "$addr" $p >/dev/null 2>&1 || return 1
	done
}

ganesha_fail_start() { # DIR WHAT
	ganesha_log "$2; ganesha.log:"
	tail -n 30 "$1/ganesha.log" >&2 2>/dev/null
	[ -s "$1/ganesha.out" ] && { ganesha_log "ganesha stdout/stderr:"; tail -n 10 "$1/ganesha.out" >&2; }
	[ -s "$1/statd.log" ] && { ganesha_log "rpc.statd:"; tail -n 10 "$1/statd.log" >&2; }
	[ -s "$1/rpcbind.log" ] && { ganesha_log "rpcbind:"; tail -n 10 "$1/rpcbind.log" >&2; }
	ganesha_stop "$1"
	return 1
}

# ganesha_wait DIR NAME PID WHAT CMD...: poll CMD until it succeeds; fail
# the start if process PID (NAME) exits or the start's deadline passes.
ganesha_wait() {
	local dir=$1 name=$2 pid=$3 what=$4
	shift 4
	until "$@"; do
		kill -0 "$pid" 2>/dev/null || { ganesha_fail_start "$dir" "$name exited"; return 1; }
		[ $SECONDS -lt "$GANESHA_DEADLINE" ] || {
			ganesha_fail_start "$dir" "$what within ${GANESHA_START_TIMEOUT}s"
			return 1
		}
		sleep 0.05
	done
}

ganesha_registered() { # NS PROGRAM: rpcbind in NS knows PROGRAM (a number)
	timeout 2 ip netns exec "$1" rpcinfo -p 127.0.0.1 2>/dev/null | awk -v p="$2" '$1 == p {f = 1} END {exit !f}'
}

ganesha_start() {
	local ns=$1 dir=$2 include=$3 addr=${GANESHA_ADDR:-$LAB_SERVER_IP} c mnt
	for c in ganesha.nfsd rpcbind rpc.statd rpcinfo unshare nsenter; do
		command -v "$c" >/dev/null 2>&1 || { ganesha_log "missing $c (scripts/install-deps.sh)"; return 1; }
	done
	mkdir -p "$dir"
	dir=$(realpath "$dir")
	[ -e "$include" ] || : >"$include"
	include=$(realpath "$include")
	if [ -n "$(ganesha_pid_of "$dir" ganesha)$(ganesha_pid_of "$dir" statd)$(ganesha_pid_of "$dir" rpcbind)" ]; then
		ganesha_log "a server of $dir still runs"
		return 1
	fi
	rm -rf "$dir/run" "$dir/ganesha.pid" "$dir/pids"
	mkdir -p "$dir/run" "$dir/recovery" "$dir/statd/sm" "$dir/statd/sm.bak"
	chmod 755 "$dir/run"   # rpcbind runs as _rpc: it must reach its /run/rpcbind
	ganesha_config "$dir" "$include" >"$dir/ganesha.conf"
	GANESHA_DIR=$dir
	GANESHA_DEADLINE=$((SECONDS + GANESHA_START_TIMEOUT))

	# rpcbind anchors the mount namespace: the ip netns exec, unshare and sh
	# exec into it, so LAB_PID is rpcbind. Slave propagation: the host's
	# unmounts (ip netns del) still reach us, our mounts never leave.
	# shellcheck disable=SC2016  # $1 is sh's
	lab_spawn "$ns" unshare -m --propagation slave \
		sh -c 'mount --bind "$1" /run && exec rpcbind -f' sh "$dir/run" >>"$dir/rpcbind.log" 2>&1
	GANESHA_RPCBIND_PID=$LAB_PID
	ganesha_record_pid "$dir" rpcbind "$GANESHA_RPCBIND_PID"
	ganesha_wait "$dir" rpcbind "$GANESHA_RPCBIND_PID" "rpcbind did not answer" \
		ganesha_registered "$ns" 100000 || return 1
	# The others join its mount namespace: its /run (rpcbind.sock) is theirs.
	mnt=/proc/$GANESHA_RPCBIND_PID/ns/mnt

	# rpc.statd (NSM), which ganesha's NLM needs for locks; root-owned state
	# dir: it stays root. -L: no reboot notifications to send.
	lab_spawn "$ns" nsenter --mount="$mnt" rpc.statd -F -d -L -p "$GANESHA_STATD_PORT" \
		-o "$GANESHA_STATD_OUT_PORT" -P "$dir/statd" >>"$dir/statd.log" 2>&1
	ganesha_record_pid "$dir" statd "$LAB_PID"
	ganesha_wait "$dir" rpc.statd "$LAB_PID" "rpc.statd did not register" \
		ganesha_registered "$ns" 100024 || return 1

	# No DBus address from our environment (there is no bus in our /run).
	lab_spawn "$ns" env -u DBUS_SYSTEM_BUS_ADDRESS nsenter --mount="$mnt" \
		ganesha.nfsd -F -f "$dir/ganesha.conf" -L "$dir/ganesha.log" -p "$dir/ganesha.pid" \
		>>"$dir/ganesha.out" 2>&1
	GANESHA_PID=$LAB_PID
	ganesha_record_pid "$dir" ganesha "$GANESHA_PID"
	ganesha_wait "$dir" ganesha.nfsd "$GANESHA_PID" "NFS did not answer at $addr" \
		ganesha_answers "$ns" "$addr"
}

# ganesha_log_errors [DIR]: FATAL, CRIT and MAJ lines of DIR/ganesha.log,
# except during shutdowns (from "NFS EXIT: stopping" to the next start:
# 4.3 logs "Extra references (N) hanging around to FSAL VFS", CRIT, there)
# and ntirpc's (TIRPC, all at the component's level: CRIT here), which
# reports connection-level events such as a client's reset racing a reply
# ("svc_rqst_xprt_send_complete: ... has no attached sr_rec").
ganesha_log_errors() {
	awk '/NFS EXIT: stopping NFS service/ {stop = 1} /nfs-ganesha Starting:/ {stop = 0}
		!stop && / :(FATAL|CRIT|MAJ) :/ && !/ :TIRPC :/' "${1:-$GANESHA_DIR}/ganesha.log" 2>/dev/null || true
}

# ganesha_reload [DIR]: SIGHUP, then wait until the log's "Reread exports
# complete" count goes up: from then on the new export list is served.
# Errors of that reload (logged by the sigmgr thread right after the line;
# given 0.1 s) are printed and make it return 2; 1 if ganesha died or the
# reload did not finish within GANESHA_RELOAD_TIMEOUT.
ganesha_reload() {
	local dir=${1:-$GANESHA_DIR} pid n0 lines0 deadline errs
	pid=$(ganesha_pid_of "$dir" ganesha)
	[ -n "$pid" ] || { ganesha_log "no ganesha runs for $dir"; return 1; }
	n0=$(grep -c 'Reread exports complete' "$dir/ganesha.log" || true)
	lines0=$(wc -l <"$dir/ganesha.log")
	kill -HUP "$pid"
	deadline=$((SECONDS + GANESHA_RELOAD_TIMEOUT))
	while [ "$(grep -c 'Reread exports complete' "$dir/ganesha.log" || true)" -le "$n0" ]; do
		kill -0 "$pid" 2>/dev/null || { ganesha_log "ganesha.nfsd died on reload"; tail -n 20 "$dir/ganesha.log" >&2; return 1; }
		[ $SECONDS -lt $deadline ] || { ganesha_log "reload did not finish"; tail -n 20 "$dir/ganesha.log" >&2; return 1; }
		sleep 0.01
	done
	sleep 0.1
	errs=$(tail -n +"$((lines0 + 1))" "$dir/ganesha.log" | grep -E '\[sigmgr\].* :(FATAL|CRIT|MAJ|WARN) :' || true)
	[ -z "$errs" ] || { ganesha_log "reload of $dir logged errors:"; echo "$errs" >&2; return 2; }
	return 0
}

# ganesha_stop [DIR]: TERM (ganesha unregisters from rpcbind and exits in
# ~0.1 s), KILL after 3 s; then rpcbind. Idempotent.
ganesha_stop() {
	local dir=${1:-$GANESHA_DIR} pid
	pid=$(ganesha_pid_of "$dir" ganesha)
	[ -z "$pid" ] || lab_kill "$pid"
	pid=$(ganesha_pid_of "$dir" statd)
	[ -z "$pid" ] || lab_kill "$pid"
	pid=$(ganesha_pid_of "$dir" rpcbind)
	[ -z "$pid" ] || lab_kill "$pid"
	rm -f "$dir/pids"
}
