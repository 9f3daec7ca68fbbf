#!/usr/bin/env bash
# NFS-Ganesha as the lab's NFS server (tests/lib/ganesha.sh), checked with
# real userspace clients (libnfs's nfs-cat/nfs-cp/nfs-ls, showmount,
# rpcinfo, and tests/lib/nfs_mount3.py doing klibc nfsmount's rpcbind +
# MOUNT v3 steps; this kernel has no NFS client) from a client namespace:
#  - an image-like RO export and a /home-like RW export, both limited to
#    198.18.0.0/24, in an include file such as labboot writes: listed,
#    read over NFSv3 and NFSv4, MOUNT v3 over UDP and TCP (also of a
#    subdirectory), writes refused on RO, landing on the server's disk (as
#    root: no root squash) on RW;
#  - a client outside the subnet (198.19.0.50, via a second address on the
#    lab bridge) refused everywhere;
#  - the include file rewritten, SIGHUP: a third export served, a removed
#    one gone, the others served throughout;
#  - stopped: NFS and rpcbind ports closed; started again: serving.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need ganesha.nfsd rpcbind rpcinfo showmount nfs-cat nfs-cp nfs-ls python3 unshare nsenter sha256sum
# shellcheck source-path=SCRIPTDIR source=../lib/ganesha.sh
. "$ROOT/tests/lib/ganesha.sh"

d=$(lab_tmpdir)
S=198.18.0.1
lab=nfs$$ C=nfc$$ X=nfx$$
inc=$d/exports.conf            # labboot's part: EXPORT blocks only
img=$d/srv/image home=$d/srv/home extra=$d/srv/extra
mkdir -p "$img/live/casper" "$home" "$extra"
head -c 300000 /dev/urandom >"$img/live/filesystem.squashfs"
echo "kernel" >"$img/live/casper/vmlinuz"
echo "root only" >"$img/secret" && chmod 600 "$img/secret"
echo "third export" >"$extra/hello"

lab_up "$lab"                                   # br0 198.18.0.1/24
ip -n "$lab" addr add 198.19.0.1/24 dev br0     # the outside client's gateway
lab_add_veth_host "$lab" "$C"
ip -n "$C" addr add 198.18.0.50/24 dev eth0
lab_add_veth_host "$lab" "$X"
ip -n "$X" addr add 198.19.0.50/24 dev eth0
ip -n "$X" route add default via 198.19.0.1
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || { echo "---- ganesha.log"; tail -n 40 "$d/ganesha/ganesha.log"; }'

# export_block ID PATH RO|RW: what labboot generates for one export.
export_block() {
	cat <<-EOF
	EXPORT {
		Export_Id = $1;
		Path = "$2";
		Pseudo = "$2";
		Protocols = 3, 4;
		Transports = TCP, UDP;
		SecType = sys;
		Access_Type = None;
		Squash = No_Root_Squash;
		FSAL { Name = VFS; }
		CLIENT {
			Clients = 198.18.0.0/24;
			Access_Type = $3;
		}
	}
	EOF
}
# Atomically: Ganesha re-reads the whole file on SIGHUP, and a half-written
# one (a syntax error) would unexport everything.
write_exports() { cat >"$inc.new" && mv "$inc.new" "$inc"; }

in_c() { ip netns exec "$C" timeout 20 "$@"; }
in_x() { ip netns exec "$X" timeout 20 "$@"; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
exports_of() { in_c showmount -e --no-headers "$S" | awk '{print $1}' | sort | tr '\n' ' '; }
nfs_url() { echo "nfs://$S$1"; }

# ---- start ------------------------------------------------------------------------------
{ export_block 1 "$img" RO; export_block 2 "$home" RW; } | write_exports
t0=$(date +%s%N)
ganesha_start "$lab" "$d/ganesha" "$inc"
t_ok "ganesha (pid $GANESHA_PID) and rpcbind answer after $(ms "$t0") ms"
rpcs=$(in_c rpcinfo -p "$S")
for want in "100003 3 tcp 2049" "100003 3 udp 2049" "100003 4 tcp 2049" "100005 3 tcp 20048" \
	"100005 3 udp 20048" "100021 4 tcp 32803"; do
	awk '{print $1, $2, $3, $4}' <<<"$rpcs" | >/dev/null grep -x "$want" || t_fail "rpcbind lacks '$want': $rpcs"
done
t_ok "rpcbind: nfs v3/v4 on 2049, mountd v3 on 20048 (TCP, UDP), nlockmgr on 32803"
t_expect_eq "showmount -e" "$(exports_of)" "$(printf '%s\n' "$home" "$img" | sort | tr '\n' ' ')"
in_c showmount -e --no-headers "$S" | >/dev/null grep "^$img  *198.18.0.0/24$" || t_fail "client list not shown"

# ---- reading: NFSv3, NFSv4, MOUNT v3 like klibc -----------------------------------------
in_c nfs-cat "$(nfs_url "$img/live/filesystem.squashfs")" >"$d/v3.out" || t_fail "nfs-cat over NFSv3"
t_expect_eq "NFSv3 read (nfs-cat, under /tmp with FSAL VFS)" "$(sum "$d/v3.out")" "$(sum "$img/live/filesystem.squashfs")"
in_c nfs-cat "$(nfs_url "$img/live/filesystem.squashfs")?version=4" >"$d/v4.out" || t_fail "nfs-cat over NFSv4"
t_expect_eq "NFSv4 read (nfs-cat ?version=4)" "$(sum "$d/v4.out")" "$(sum "$img/live/filesystem.squashfs")"
t_expect_eq "NFSv3 read of a 0600 root file (no root squash)" "$(in_c nfs-cat "$(nfs_url "$img/secret")")" "root only"
# nfs-cat mounts the URL's directory: this is a v3 MOUNT of a subdirectory.
t_expect_eq "NFSv3 read through a MOUNT of a subdirectory" \
	"$(in_c nfs-cat "$(nfs_url "$img/live/casper/vmlinuz")")" "kernel"
t_expect_eq "nfs-ls" "$(in_c nfs-ls "$(nfs_url "$img/live")" | awk '{print $NF}' | sort | tr '\n' ' ')" "casper filesystem.squashfs "
for proto in udp tcp; do
	for p in "$img" "$img/live/casper"; do
		out=$(in_c python3 "$ROOT/tests/lib/nfs_mount3.py" "$S" "$p" "$proto") || t_fail "MOUNT v3/$proto $p: $out"
		[[ "$out" == "ok mountd=20048 nfs=2049 fh="* ]] || t_fail "MOUNT v3/$proto $p: $out"
	done
	out=$(in_c python3 "$ROOT/tests/lib/nfs_mount3.py" "$S" "$d/srv" "$proto") && t_fail "MOUNT of a non-export: $out"
	t_expect_eq "MOUNT v3/$proto of a path above the exports" "$out" "mount status 13"
done
t_ok "MOUNT v3 over UDP and TCP (rpcbind GETPORT, MNT) of an export and of its subdirectory"

# ---- writing: refused on RO, on the server's disk for RW --------------------------------
# libnfs 4.0.0 cannot send an NFSv4 WRITE of 4096 bytes or more ("ZDR error:
# Failed to encode COMPOUND4args", client side): small files over v4.
head -c 100000 /dev/urandom >"$d/upload"
head -c 3000 /dev/urandom >"$d/upload.small"
in_c nfs-cp "$d/upload" "$(nfs_url "$img/upload")" >"$d/ro.out" 2>&1 && t_fail "NFSv3 write to the RO export succeeded"
grep -q NFS3ERR_ROFS "$d/ro.out" || t_fail "RO write, NFSv3: not NFS3ERR_ROFS: $(cat "$d/ro.out")"
in_c nfs-cp "$d/upload.small" "$(nfs_url "$img/upload4")?version=4" >"$d/ro4.out" 2>&1 &&
	t_fail "NFSv4 write to the RO export succeeded"
grep -q NFS4ERR_ROFS "$d/ro4.out" || t_fail "RO write, NFSv4: not NFS4ERR_ROFS: $(cat "$d/ro4.out")"
if [ -e "$img/upload" ] || [ -e "$img/upload4" ]; then t_fail "a refused write left a file"; fi
t_ok "writes to the RO export refused (NFS3ERR_ROFS, NFS4ERR_ROFS)"
in_c nfs-cp "$d/upload" "$(nfs_url "$home/upload")" >/dev/null || t_fail "NFSv3 write to the RW export"
t_expect_eq "NFSv3 write lands on the server" "$(sum "$home/upload")" "$(sum "$d/upload")"
t_expect_eq "owner of the written file (No_Root_Squash)" "$(stat -c %u:%g "$home/upload")" "0:0"
in_c nfs-cp "$d/upload.small" "$(nfs_url "$home/upload4")?version=4" >/dev/null || t_fail "NFSv4 write to the RW export"
t_expect_eq "NFSv4 write lands on the server" "$(sum "$home/upload4")" "$(sum "$d/upload.small")"

# ---- a client outside 198.18.0.0/24 -----------------------------------------------------
in_x rpcinfo -t "$S" nfs 3 >/dev/null || t_fail "the outside client cannot reach the server at all"
t_expect_eq "showmount -e from outside (Ganesha lists only a client's exports)" \
	"$(in_x showmount -e --no-headers "$S")" ""
in_x nfs-cat "$(nfs_url "$img/live/casper/vmlinuz")" >"$d/x.out" 2>&1 && t_fail "outside client read over NFSv3"
grep -q MNT3ERR_ACCES "$d/x.out" || t_fail "outside client, NFSv3: not MNT3ERR_ACCES: $(cat "$d/x.out")"
# NFSv4: the pseudo fs does not show a client the exports it may not use.
in_x nfs-cat "$(nfs_url "$img/live/casper/vmlinuz")?version=4" >"$d/x4.out" 2>&1 && t_fail "outside client read over NFSv4"
grep -q NFS4ERR_NOENT "$d/x4.out" || t_fail "outside client, NFSv4: not NFS4ERR_NOENT: $(cat "$d/x4.out")"
in_x nfs-cp "$d/upload" "$(nfs_url "$home/intruder")" >/dev/null 2>&1 && t_fail "outside client wrote over NFSv3"
in_x nfs-cp "$d/upload.small" "$(nfs_url "$home/intruder4")?version=4" >/dev/null 2>&1 && t_fail "outside client wrote over NFSv4"
if [ -e "$home/intruder" ] || [ -e "$home/intruder4" ]; then t_fail "the outside client left a file"; fi
for proto in udp tcp; do
	out=$(in_x python3 "$ROOT/tests/lib/nfs_mount3.py" "$S" "$img" "$proto") && t_fail "outside MOUNT: $out"
	[ "$out" = "mount status 13" ] || t_fail "outside MOUNT v3/$proto: $out"
done
t_ok "client 198.19.0.50 refused: MOUNT (MNT3ERR_ACCES, UDP and TCP), NFSv4 (NOENT), v3 and v4 writes"

# ---- reload: add an export, then remove one ---------------------------------------------
{ export_block 1 "$img" RO; export_block 2 "$home" RW; export_block 3 "$extra" RO; } | write_exports
t0=$(date +%s%N)
ganesha_reload "$d/ganesha"
t_ok "reload (SIGHUP until 'Reread exports complete', + 0.1 s for errors) took $(ms "$t0") ms"
t_expect_eq "showmount after adding an export" "$(exports_of)" "$(printf '%s\n' "$home" "$img" "$extra" | sort | tr '\n' ' ')"
t_expect_eq "new export, NFSv3" "$(in_c nfs-cat "$(nfs_url "$extra/hello")")" "third export"
t_expect_eq "new export, NFSv4" "$(in_c nfs-cat "$(nfs_url "$extra/hello")?version=4")" "third export"

{ export_block 1 "$img" RO; export_block 3 "$extra" RO; } | write_exports
ganesha_reload "$d/ganesha"
t_expect_eq "showmount after removing the RW export" "$(exports_of)" "$(printf '%s\n' "$img" "$extra" | sort | tr '\n' ' ')"
in_c nfs-ls "$(nfs_url "$home")" >/dev/null 2>&1 && t_fail "the removed export still mounts over NFSv3"
in_c nfs-cat "$(nfs_url "$home/upload")?version=4" >/dev/null 2>&1 && t_fail "the removed export is still served over NFSv4"
in_c nfs-cp "$d/upload.small" "$(nfs_url "$home/late")" >/dev/null 2>&1 && t_fail "the removed export still takes writes"
t_expect_eq "the kept export, NFSv3" "$(in_c nfs-cat "$(nfs_url "$img/live/casper/vmlinuz")")" "kernel"
t_ok "removed export gone (MOUNT, NFSv4, writes); the others still served"

# ---- stop, start again ------------------------------------------------------------------
ganesha_stop "$d/ganesha"
port_open() { ip netns exec "$C" timeout 2 bash -c ": </dev/tcp/$S/$1" 2>/dev/null; }
port_open 2049 && t_fail "port 2049 still open after ganesha_stop"
port_open 111 && t_fail "rpcbind still answers after ganesha_stop"
in_c nfs-cat "$(nfs_url "$img/live/casper/vmlinuz")" >/dev/null 2>&1 && t_fail "served while stopped"
t_ok "stopped: NFS (2049) and rpcbind (111) closed"
t0=$(date +%s%N)
ganesha_start "$lab" "$d/ganesha" "$inc"
t_ok "started again on the same dir in $(ms "$t0") ms"
t_expect_eq "after the restart, NFSv3" "$(in_c nfs-cat "$(nfs_url "$extra/hello")")" "third export"
in_c nfs-cat "$(nfs_url "$img/live/filesystem.squashfs")?version=4" >"$d/v4b.out" || t_fail "NFSv4 after the restart"
t_expect_eq "after the restart, NFSv4" "$(sum "$d/v4b.out")" "$(sum "$img/live/filesystem.squashfs")"
t_expect_eq "exports after the restart" "$(exports_of)" "$(printf '%s\n' "$img" "$extra" | sort | tr '\n' ' ')"

errs=$(ganesha_log_errors "$d/ganesha")
[ -z "$errs" ] || t_fail "ganesha logged errors: $errs"
t_ok "no FATAL/CRIT/MAJ lines in ganesha.log"
