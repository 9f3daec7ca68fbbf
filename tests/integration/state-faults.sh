#!/usr/bin/env bash
# The state disk fails under a running labboot, with real clients: the state
# directory is a small tmpfs, filled to the last byte. Then busybox udhcpc
# gets no lease (nothing is ACKed that was not stored), the boot script is
# still served over HTTP (its boot event is lost, not the answer), a change
# through the API is refused with 507 and the reason, `labboot host add`
# fails with the reason, the store's errors are logged rate-limited, and
# labboot stays up. With the space back, all of it works again and the
# lease is stored. A start on a read-only state disk is refused with the
# reason (a tmpfs with files open for writing cannot be remounted read-only
# under a running labboot: EBUSY), and so is a start on a damaged database
# or one stamped by a newer labboot; the leases survive all of it. Last,
# `labboot image build` onto a full image store fails with the reason and
# publishes nothing, leaves no temp directory, mount or loop device, and
# succeeds once there is space.
# Subnet 198.18.66.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox curl python3 sqlite3 unsquashfs
eval "$("$ROOT/tests/image/inputs.sh" --tiny)"

d=$(lab_tmpdir)
NET=198.18.66
mkdir -p "$d/state" "$d/www"
mkdir -p "$d/images"
mount -t tmpfs -o size=4m,mode=0750 labboot-test "$d/state"
mount -t tmpfs -o size=24m,mode=0755 labboot-test "$d/images"
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit 'umount -l "$d/state" 2>/dev/null || true; umount -l "$d/images" 2>/dev/null || true'
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" http)
[dhcp]
mode = authoritative
range = $NET.100 $NET.150
lease-time = 1h
router = $NET.1
[http]
root = $d/www
[images]
root = $d/images
[image "tiny"]
kernel = vmlinuz
[host "alpha"]
mac = 52:54:00:66:00:10
ip = $NET.10
EOF
S=sfs$$ C=sfc$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C" 52:54:00:66:00:20
ip -n "$C" addr add "$NET.5/24" dev eth0   # for HTTP; udhcpc's lease is only reported
LB=$(t_labboot "$S" "$d/conf" "$d/labboot.log")
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || { echo "---- labboot"; tail -40 "$d/labboot.log"; }'
L() { "$LABBOOT" "$@" -c "$d/conf"; }
token=$(cat "$d/state/api-token")

cat >"$d/hook" <<EOF
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" >"$d/lease"
exit 0
EOF
chmod +x "$d/hook"
dhcp() { # true if the client got a lease
	rm -f "$d/lease"
	timeout 30 ip netns exec "$C" busybox udhcpc -i eth0 -n -q -t 3 -T 1 -s "$d/hook" >"$d/udhcpc.out" 2>&1
}
script_status() {
	ip netns exec "$C" curl -s -o /dev/null -w '%{http_code}' "http://$NET.1/boot.ipxe?mac=52:54:00:66:00:10"
}
api_add() { # NAME MAC: the status of POST /api/v1/hosts; the body in $d/api.out
	ip netns exec "$C" curl -s -o "$d/api.out" -w '%{http_code}' -H "Authorization: Bearer $token" \
		-d "{\"name\":\"$1\",\"mac\":\"$2\"}" "http://$NET.1/api/v1/hosts"
}
store_errors() { grep -c "^error store: " "$d/labboot.log" || true; }

# The disk is broken in one of two ways; everything that needs a write must
# fail visibly, everything else must go on.
broken_disk_checks() { # WHAT WANT_STATUS
	local what=$1 want=$2 st out before
	before=$(store_errors)
	# each script's boot event needs room in the WAL: the first writes
	# take its last free bytes, the rest fail
	for _ in $(seq 50); do
		st=$(script_status)
		[ "$st" = 200 ] || t_fail "$what: boot script status $st"
	done
	t_ok "$what: 50 boot scripts served"
	! dhcp || t_fail "$what: udhcpc got a lease that could not be stored: $(cat "$d/lease")"
	t_ok "$what: no lease ACKed (udhcpc: $(tail -1 "$d/udhcpc.out"))"
	st=$(api_add beta 52:54:00:66:00:30)
	t_expect_eq "$what: API host add" "$st" "$want"
	grep -qi "space\|read-only" "$d/api.out" || t_fail "$what: API reply without the reason: $(cat "$d/api.out")"
	if out=$(L host add gamma 52:54:00:66:00:31 2>&1); then
		t_fail "$what: host add succeeded: $out"
	fi
	grep -qi "full\|space\|read-only\|cannot" <<<"$out" || t_fail "$what: host add without the reason: $out"
	t_ok "$what: host add refused: $(head -1 <<<"$out")"
	kill -0 "$LB" 2>/dev/null || t_fail "$what: labboot died"
	n=$(( $(store_errors) - before ))
	[ "$n" -ge 1 ] && [ "$n" -le 25 ] || t_fail "$what: $n store error lines (want 1..25: logged, rate-limited)"
	t_ok "$what: $n store error lines logged, labboot up"
}

healthy_checks() { # WHAT NAME MAC
	local what=$1
	dhcp || { cat "$d/udhcpc.out"; t_fail "$what: udhcpc got no lease"; }
	grep -q "^$(cat "$d/lease") .*52:54:00:66:00:20 bound" <<<"$(L leases)" || t_fail "$what: lease not stored: $(L leases)"
	t_ok "$what: lease $(cat "$d/lease") ACKed and stored"
	t_expect_eq "$what: API host add" "$(api_add "$2" "$3")" 200
	grep -q "^$2 " <<<"$(L host ls)" || t_fail "$what: $2 not in host ls"
}

healthy_checks "before" delta 52:54:00:66:00:40
# the client's lease was stored; a new MAC now asks for a new one
ip -n "$C" link set eth0 address 52:54:00:66:00:21

# --- full ------------------------------------------------------------------
dd if=/dev/zero of="$d/state/fill" bs=64k status=none 2>/dev/null || true
[ "$(df --output=avail "$d/state" | tail -1)" -eq 0 ] || t_fail "the tmpfs is not full"
broken_disk_checks "disk full" 507
rm -f "$d/state/fill"
ip -n "$C" link set eth0 address 52:54:00:66:00:20
healthy_checks "space back" epsilon 52:54:00:66:00:41

# --- read-only -------------------------------------------------------------
# A mounted file system with files open for writing cannot be remounted
# read-only (EBUSY), so this is the start on a read-only state disk: it is
# refused with the reason, and with the disk writable again, it starts with
# the leases it had.
lab_kill "$LB"
mount -o remount,ro "$d/state"
rc=0
timeout 20 ip netns exec "$S" "$LABBOOT" serve -c "$d/conf" >"$d/start.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] || t_fail "read-only: serve exited $rc: $(cat "$d/start.log")"
grep -qi "read-only" "$d/start.log" || t_fail "read-only: no reason: $(cat "$d/start.log")"
t_ok "read-only state disk: start refused ($rc): $(grep -m1 -i 'read-only' "$d/start.log")"
mount -o remount,rw "$d/state"
LB=$(t_labboot "$S" "$d/conf" "$d/labboot.log")
grep -q "^$NET.100 .*52:54:00:66:00:20 bound" <<<"$(L leases)" || t_fail "leases lost: $(L leases)"
healthy_checks "writable again" zeta 52:54:00:66:00:42

# --- damaged or newer database at start: refused, with the file named -------
lab_kill "$LB"
cp "$d/state/labboot.db" "$d/good.db"
rm -f "$d/state/labboot.db-wal" "$d/state/labboot.db-shm"
python3 - "$d/state/labboot.db" <<'EOF'
import sys
p = sys.argv[1]
with open(p, "r+b") as f:       # keep the header, overwrite the b-tree pages
    f.seek(4096)
    f.write(b"\xa5" * 8192)
EOF
for what in damaged newer; do
	if [ $what = newer ]; then
		cp "$d/good.db" "$d/state/labboot.db"
		sqlite3 "$d/state/labboot.db" "PRAGMA user_version = 99"
	fi
	rc=0
	timeout 20 ip netns exec "$S" "$LABBOOT" serve -c "$d/conf" >"$d/start.log" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] || t_fail "$what database: serve exited $rc: $(cat "$d/start.log")"
	grep -q "$d/state/labboot.db\|state-dir" "$d/start.log" || t_fail "$what database: no file named: $(cat "$d/start.log")"
	t_ok "$what database: start refused ($rc): $(grep -m1 '^error store' "$d/start.log")"
done

# --- image publishing on a full disk: fails whole, leaves nothing -----------
mkdir -p "$d/recipe"
cp "$TINY_ISO" "$d/recipe/live.iso"
printf 'FROM ./live.iso sha256:%s\nRUN echo full > /etc/motd\n' "$TINY_ISO_SHA256" >"$d/recipe/disk.recipe"
dd if=/dev/zero of="$d/images/fill" bs=64k status=none 2>/dev/null || true
if L image build "$d/recipe/disk.recipe" >"$d/build.out" 2>&1; then
	t_fail "an image build on a full disk succeeded"
fi
grep -qi "space" "$d/build.out" || t_fail "image build on a full disk: no reason: $(tail -5 "$d/build.out")"
t_expect_eq "versions published on a full disk" "$(L image ls disk 2>/dev/null | wc -l)" 0
left=$(find "$d/images" -mindepth 1 -maxdepth 3 -name '.tmp*' | head -3)
[ -z "$left" ] || t_fail "a failed build left $left"
grep -qF "$d" /proc/self/mountinfo && grep -F "$d" /proc/self/mountinfo | grep -v "$d/state\|$d/images " &&
	t_fail "a failed build left mounts"
! losetup -a | >/dev/null grep -F "$d" || t_fail "a failed build left loop devices"
t_ok "image build on a full disk: refused ($(grep -i -m1 space "$d/build.out" | cut -c1-100)), nothing published or left"
rm -f "$d/images/fill"
L image build "$d/recipe/disk.recipe" >"$d/build2.out" 2>&1 || t_fail "build with space back: $(tail -5 "$d/build2.out")"
t_expect_eq "versions published with space back" "$(L image ls disk | wc -l)" 1
echo "PASS"
