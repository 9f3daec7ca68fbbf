#!/usr/bin/env bash
# The wall clock is set while labboot runs (libfaketime in front of it,
# moved through its timestamp file; the monotonic clock stays real): a
# lease granted for an hour keeps the rest of its hour. The pool has one
# address; client A holds it. Two days forward: labboot says so, A's lease
# moves with the clock (in the store too), and client B gets no address
# (with lease times read off the wall clock, A's lease would have expired
# and B would get A's address). One day back: the same the other way.
# After a restart under the new time, A renews and B still gets nothing.
# Subnet 198.18.68.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox sqlite3
FT=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[ -f "$FT" ] || t_fail "missing $FT (run scripts/install-deps.sh)"

d=$(lab_tmpdir)
NET=198.18.68
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d")
[dhcp]
mode = authoritative
range = $NET.100 $NET.100
lease-time = 1h
router = $NET.1
EOF
echo "+0" >"$d/faketime"
cat >"$d/labboot-faked" <<EOF
#!/bin/sh
export LD_PRELOAD=$FT FAKETIME_TIMESTAMP_FILE=$d/faketime FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1
exec "$LABBOOT" "\$@"
EOF
chmod +x "$d/labboot-faked"
S=cjs$$ A=cja$$ B=cjb$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$A" 52:54:00:68:00:0a
lab_add_veth_host "$S" "$B" 52:54:00:68:00:0b
start() {
	LABBOOT=$d/labboot-faked t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null
	LB=$LABBOOT_PID
}
start
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || { echo "---- labboot"; tail -30 "$d/labboot.log"; }'
cat >"$d/hook" <<EOF
#!/bin/sh
[ "\$1" = bound ] && echo "\$ip" >"$d/got"
exit 0
EOF
chmod +x "$d/hook"
dhcp() { # NS: true if the client got a lease
	rm -f "$d/got"
	timeout 30 ip netns exec "$1" busybox udhcpc -i eth0 -n -q -t 3 -T 1 -s "$d/hook" >"$d/udhcpc.out" 2>&1
}
# seconds from the real now to the expiry of A's lease in the store
left_s() {
	sqlite3 "$d/state/labboot.db" \
		"SELECT expires - CAST(strftime('%s','now') AS INTEGER) FROM leases WHERE hex(mac) = '52540068000A'"
}
expect_left() { # WHAT SECONDS
	local got
	got=$(left_s)
	[ -n "$got" ] && [ "$got" -gt $(($2 - 120)) ] && [ "$got" -le $(($2 + 5)) ] ||
		t_fail "$1: A's lease ends in '$got' s from now, want about $2"
	t_ok "$1: A's lease ends in $got s (about $2)"
}
wait_jump() { # TEXT (the expiry scan runs every 15 s)
	for _ in $(seq 300); do
		if grep -q "wall clock jumped $1" "$d/labboot.log"; then
			t_ok "labboot: $(grep -m1 "jumped $1" "$d/labboot.log")"
			return
		fi
		sleep 0.1
	done
	t_fail "no jump $1 logged"
}
b_gets_nothing() { # WHAT
	! dhcp "$B" || t_fail "$1: client B got $(cat "$d/got"): A's lease was given away"
	t_ok "$1: client B gets no address (the pool's one address is A's)"
}

dhcp "$A" || t_fail "client A got no lease"
t_expect_eq "client A's address" "$(cat "$d/got")" "$NET.100"
expect_left "granted" 3600
b_gets_nothing "before"

echo "+2d" >"$d/faketime"
wait_jump "+172800s"
expect_left "two days forward" $((172800 + 3600))
b_gets_nothing "two days forward"

echo "+1d" >"$d/faketime"
wait_jump "-86400s"
expect_left "one day back" $((86400 + 3600))
b_gets_nothing "one day back"

lab_kill "$LB"
start
b_gets_nothing "after a restart"
dhcp "$A" || t_fail "client A could not renew after the restart"
t_expect_eq "client A renews" "$(cat "$d/got")" "$NET.100"
expect_left "renewed" $((86400 + 3600))
echo PASS
