#!/usr/bin/env bash
# The life of a lease against labboot: RENEW (udhcpc, unicast on SIGUSR1),
# INIT-REBOOT and RELEASE (ISC dhclient), DECLINE, NAK and INFORM (our python
# client: real clients do not send them on demand), a clean restart (SIGTERM)
# that keeps every lease and lets a renewing client keep its address, and
# kill -9 in the middle of a crowd of clients: every ACKed lease survives and
# no address is ever given to two clients. Subnet 198.18.11.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need dhclient busybox python3 sqlite3 jq

PYCLIENT=$ROOT/tests/lib/dhcp_client.py
NET=198.18.11
CRASH_ROUNDS=${CRASH_ROUNDS:-4}
CRASH_CLIENTS=${CRASH_CLIENTS:-30}

d=$(lab_tmpdir)
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d")
[dhcp]
mode = authoritative
range = $NET.100 $NET.250
lease-time = 1h
router = $NET.1
probe-time = 500ms
EOF

S=lcs$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" lcA$$ 52:54:00:11:00:01   # udhcpc, stays running and renews
lab_add_veth_host "$S" lcB$$ 52:54:00:11:00:02   # dhclient
lab_add_veth_host "$S" lcP$$ 52:54:00:11:00:03   # python client, any chaddr
LB=$(t_labboot "$S" "$d/conf" "$d/labboot.log")

py() { ip netns exec lcP$$ python3 "$PYCLIENT" -i eth0 "$@"; }
leases() { "$LABBOOT" leases -c "$d/conf"; }
lease_of() { leases | awk -v ip="$1" '$1 == ip {print $2, $3}'; }
log_count() { grep -c -- "$1" "$d/labboot.log" || true; }
wait_for() { # SECONDS CMD...: poll until CMD succeeds
	local n=$(($1 * 10)); shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
	return 1
}
restart_labboot() { # SIGNAL
	kill -"$1" "$LB"
	wait_for 10 sh -c "! kill -0 $LB 2>/dev/null" || t_fail "labboot did not stop on SIG$1"
	echo "---- restart after SIG$1" >>"$d/labboot.log"
	LB=$(t_labboot "$S" "$d/conf" "$d/labboot.log.new")
	cat "$d/labboot.log.new" >>"$d/labboot.log"
}
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || [ ! -f "$d/labboot.log" ] || { echo "---- labboot log"; cat "$d/labboot.log" "$d/labboot.log.new" 2>/dev/null | tail -80; }'

# ---- RENEW: udhcpc bound, then SIGUSR1 -> unicast REQUEST from ciaddr ----------
cat >"$d/udhcpc-hook" <<EOF
#!/bin/sh
case "\$1" in
bound|renew) ip addr replace "\$ip/24" dev "\$interface" ;;
deconfig) ip addr flush dev "\$interface" ;;
esac
echo "\$1 \$ip" >>"$d/udhcpc.events"
EOF
chmod +x "$d/udhcpc-hook"
UD=$(t_bg lcA$$ "$d/udhcpc.out" busybox udhcpc -f -i eth0 -t 5 -T 2 -s "$d/udhcpc-hook")
wait_for 20 grep -qs '^bound ' "$d/udhcpc.events" || { cat "$d/udhcpc.out"; t_fail "udhcpc not bound"; }
UD_IP=$(awk '$1 == "bound" {print $2}' "$d/udhcpc.events")
t_ok "udhcpc bound to $UD_IP"
acks_before=$(log_count "REQUEST 52:54:00:11:00:01 -> ACK $UD_IP")
kill -USR1 "$UD"
wait_for 10 grep -qs "^renew $UD_IP" "$d/udhcpc.events" || { cat "$d/udhcpc.out"; t_fail "udhcpc renew failed"; }
t_expect_eq "ACKs for the renewing client" "$(log_count "REQUEST 52:54:00:11:00:01 -> ACK $UD_IP")" $((acks_before + 1))
t_expect_eq "udhcpc still has its address" "$(ip -n lcA$$ -4 -o addr show eth0 | awk '{print $4}')" "$UD_IP/24"

# ---- INIT-REBOOT and RELEASE with ISC dhclient ----------------------------------
cat >"$d/dhclient-hook" <<'EOF'
#!/bin/sh
echo "$reason $new_ip_address" >>"$(dirname "$0")/dhclient.events"
case "$reason" in
BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/24" dev "$interface" ;;
RELEASE|EXPIRE|FAIL|STOP) ip addr flush dev "$interface" ;;
esac
EOF
chmod +x "$d/dhclient-hook"
dhc() { timeout 30 ip netns exec lcB$$ dhclient -v -cf /dev/null -sf "$d/dhclient-hook" -lf "$d/dhclient.leases" -pf "$d/dhclient.pid" "$@" eth0 >>"$d/dhclient.out" 2>&1; }
dhc -1 || { cat "$d/dhclient.out"; t_fail "dhclient got no lease"; }
lab_register_pid "$(cat "$d/dhclient.pid")"
DH_IP=$(awk '$1 == "BOUND" {print $2}' "$d/dhclient.events" | tail -1)
t_ok "dhclient bound to $DH_IP"
kill "$(cat "$d/dhclient.pid")"; sleep 0.3
ip -n lcB$$ addr flush dev eth0
discovers=$(log_count "DISCOVER 52:54:00:11:00:02")
dhc -1 || { cat "$d/dhclient.out"; t_fail "dhclient INIT-REBOOT failed"; }
lab_register_pid "$(cat "$d/dhclient.pid")"
t_expect_eq "dhclient INIT-REBOOT result" "$(tail -1 "$d/dhclient.events")" "REBOOT $DH_IP"
t_expect_eq "no DISCOVER on INIT-REBOOT" "$(log_count "DISCOVER 52:54:00:11:00:02")" "$discovers"
dhc -r || { cat "$d/dhclient.out"; t_fail "dhclient -r failed"; }
wait_for 5 sh -c "grep -q 'RELEASE 52:54:00:11:00:02 $DH_IP: released' '$d/labboot.log'" || t_fail "no RELEASE logged"
t_expect_eq "released lease" "$(lease_of "$DH_IP")" "52:54:00:11:00:02 released"

# ---- DECLINE: the address is quarantined, not offered to the next client ---------
py -m 02:11:00:00:00:d1 dora >"$d/decline.json" || t_fail "python client got no lease"
DC_IP=$(jq -r 'select(.type == "ACK") | .yiaddr' "$d/decline.json")
[ -n "$DC_IP" ] || t_fail "no ACK to decline"
py -m 02:11:00:00:00:d1 decline --addr "$DC_IP" --server "$NET.1"
wait_for 5 sh -c "grep -q 'DECLINE 02:11:00:00:00:d1 $DC_IP: address quarantined' '$d/labboot.log'" || t_fail "DECLINE not seen"
t_expect_eq "declined lease" "$(lease_of "$DC_IP")" "02:11:00:00:00:d1 declined"
got=$(py -m 02:11:00:00:00:d2 --request-ip "$DC_IP" discover | jq -r .yiaddr)
[ -n "$got" ] && [ "$got" != "$DC_IP" ] || t_fail "declined $DC_IP offered again to a client asking for it (got '$got')"
t_ok "a client asking for the declined address gets $got instead"
got=$(py -m 02:11:00:00:00:d1 discover | jq -r .yiaddr)
[ -n "$got" ] && [ "$got" != "$DC_IP" ] || t_fail "declined $DC_IP offered again to the decliner (got '$got')"
t_ok "the decliner gets $got instead"

# ---- NAK: INIT-REBOOT for an address of another subnet or another client ---------
t_expect_eq "INIT-REBOOT into another subnet" "$(py -m 02:11:00:00:00:e1 request --addr 198.18.99.5 | jq -r .type)" NAK
t_expect_eq "INIT-REBOOT into another client's address" "$(py -m 02:11:00:00:00:e2 request --addr "$UD_IP" | jq -r .type)" NAK
t_expect_eq "the other client's lease is untouched" "$(lease_of "$UD_IP")" "52:54:00:11:00:01 bound"
got=$(py -m 02:11:00:00:00:e3 --timeout 2 request --addr $NET.240 --server 198.18.11.77 || true)
t_expect_eq "REQUEST selecting another server's offer gets no answer" "$got" ""

# ---- INFORM: an ACK with parameters, no lease ----------------------------------------
ip -n lcP$$ addr add "$NET.60/24" dev eth0
py -m 52:54:00:11:00:03 inform --ciaddr "$NET.60" --server "$NET.1" >"$d/inform.json" || t_fail "no answer to INFORM"
t_expect_eq "INFORM answer" "$(jq -r '[.type, .yiaddr, (.lease_time // "none"), .routers[0], .subnet_mask] | join(" ")' "$d/inform.json")" \
	"ACK 0.0.0.0 none $NET.1 255.255.255.0"
t_expect_eq "INFORM answer has no T1/T2" "$(jq -r '.options | has("58") or has("59")' "$d/inform.json")" false
[ -z "$(lease_of "$NET.60")" ] || t_fail "INFORM created a lease"
ip -n lcP$$ addr flush dev eth0

# ---- clean restart: same leases, the renewing client keeps its address -------------
leases | sort >"$d/leases.before"
restart_labboot TERM
leases | sort >"$d/leases.after"
diff "$d/leases.before" "$d/leases.after" || t_fail "leases changed across a restart"
t_ok "$(($(wc -l <"$d/leases.after") - 1)) leases identical across SIGTERM + restart"
kill -USR1 "$UD"
wait_for 10 sh -c "[ \$(grep -c '^renew $UD_IP' '$d/udhcpc.events') -ge 2 ]" || { cat "$d/udhcpc.events"; t_fail "renew after restart failed"; }
t_ok "udhcpc renewed $UD_IP after the restart"
got=$(py -m 02:11:00:00:00:d3 --request-ip "$DC_IP" discover | jq -r .yiaddr)
[ -n "$got" ] && [ "$got" != "$DC_IP" ] || t_fail "quarantine of $DC_IP lost across the restart (got '$got')"
t_ok "quarantine survives the restart"

# ---- kill -9 in the middle of a crowd -------------------------------------------------
# Each round: CRASH_CLIENTS clients (one python process, retransmitting) start
# their DORA, labboot is killed -9 at a random moment and started again while
# they keep retrying. Every ACK any client saw must be in the store afterwards.
: >"$d/acks"
for round in $(seq "$CRASH_ROUNDS"); do
	py -m "$(printf '02:11:%02x:00:00:00' "$round")" --timeout 12 crowd --count "$CRASH_CLIENTS" --retry 1 --spread 1.5 \
		>"$d/crash.$round.json" 2>"$d/crash.$round.err" &
	crowd=$!
	sleep "$((RANDOM % 2)).$(printf '%03d' $((RANDOM % 1000)))"
	kill -9 "$LB"
	wait_for 5 sh -c "! kill -0 $LB 2>/dev/null" || t_fail "labboot survived kill -9"
	before=$(jq -r 'select(.type == "ACK") | "\(.chaddr) \(.yiaddr)"' "$d/crash.$round.json" | sort -u)
	echo "---- kill -9 (round $round)" >>"$d/labboot.log"
	LB=$(t_labboot "$S" "$d/conf" "$d/labboot.log.new")
	cat "$d/labboot.log.new" >>"$d/labboot.log"
	leases >"$d/leases.crash"
	missing=0
	while read -r mac ip; do
		[ -n "$mac" ] || continue
		[ "$(awk -v ip="$ip" '$1 == ip {print $2, $3}' "$d/leases.crash")" = "$mac bound" ] || {
			echo "ACKed lease $ip for $mac missing after kill -9" >&2; missing=$((missing + 1)); }
	done <<<"$before"
	[ "$missing" -eq 0 ] || t_fail "$missing lease(s) ACKed before kill -9 lost in round $round"
	wait "$crowd" || true
	jq -r 'select(.type == "ACK") | "\(.chaddr) \(.yiaddr)"' "$d/crash.$round.json" >>"$d/acks"
	t_expect_eq "round $round: NAKs" "$(jq -r 'select(.type == "NAK") | .chaddr' "$d/crash.$round.json" | wc -l)" 0
	t_ok "round $round: $(grep -c . <<<"$before") clients ACKed before kill -9, all in the store;" \
		"$(jq -r 'select(.type == "ACK")' "$d/crash.$round.json" | grep -c '"ACK"') of $CRASH_CLIENTS ACKed in the end"
done
leases >"$d/leases.final"
while read -r mac ip; do
	[ "$(awk -v ip="$ip" '$1 == ip {print $2, $3}' "$d/leases.final")" = "$mac bound" ] || t_fail "ACKed lease $ip for $mac not in the store"
done <"$d/acks"
{ echo "52:54:00:11:00:01 $UD_IP"; cat "$d/acks"; } | sort -u >"$d/acks.all"
dup=$(awk '{print $2}' "$d/acks.all" | sort | uniq -d)
[ -z "$dup" ] || { grep -F -w -- "$dup" "$d/acks.all" >&2; t_fail "address(es) handed to two clients: $dup"; }
dupmac=$(awk '{print $1}' "$d/acks.all" | sort | uniq -d)
[ -z "$dupmac" ] || t_fail "client(s) ACKed two different addresses: $dupmac"
t_ok "$(wc -l <"$d/acks.all") ACKed (client, address) pairs, every address unique"
echo PASS
