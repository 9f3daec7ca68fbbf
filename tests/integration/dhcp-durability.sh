#!/usr/bin/env bash
# Leases survive restart and kill -9 at any moment; no address is ever given
# to two clients; renewing clients keep their address after a restart;
# DECLINE quarantines; INFORM gets no lease; NAK for foreign addresses;
# garbage on port 67 is survived.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need python3
d=$(lab_tmpdir)
cat > "$d/conf" <<C
$(t_conf_server 198.18.24.1 "$d")
[dhcp]
range = 198.18.0.10 198.18.31.250
netmask = 255.255.224.0
lease-time = 1h
force = yes
C
lab=lbdur$$
lab_up "$lab" 198.18.24
lab_add_veth_host "$lab" cl$$
ip -n cl$$ addr add 198.18.24.5/24 dev eth0
client() { ip netns exec cl$$ python3 "$ROOT/tests/lib/dhcp_stream.py" eth0 "$@"; }
start() { t_labboot "$lab" "$d/conf" "$d/log.$1"; }

# kill -9 in the middle of a stream of DORAs, three times. Client numbers:
# the rounds use 10000.., 20000.., 30000..; the checks below use < 10000.
acked="$d/acked"
: > "$acked"
next=10000
for round in 1 2 3; do
	start "k$round"
	before=$(wc -l < "$acked")
	client dora-many --start "$next" --count 2500 >> "$acked" &
	cpid=$!
	# kill at a random moment once clients are being served
	for _ in $(seq 200); do [ "$(wc -l < "$acked")" -gt "$((before + 10))" ] && break; sleep 0.05; done
	sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
	kill -9 "$LABBOOT_PID"
	wait "$cpid" || true
	next=$((next + 10000))
done
n=$(wc -l < "$acked")
[ "$n" -gt 0 ] || t_fail "no client got an ACK before the kills"
start final
"$LABBOOT" leases -c "$d/conf" > "$d/leases"
while read -r mac ip; do
	grep -q "^$ip  *$mac  *bound" "$d/leases" || t_fail "ACKed lease $ip $mac lost after kill -9"
done < "$acked"
t_ok "all $n ACKed leases survived three kill -9"
dups=$(awk '{print $2}' "$acked" | sort | uniq -d)
[ -z "$dups" ] || t_fail "addresses given twice: $dups"
t_ok "no address given to two clients"

# more clients after the restart never get an address already leased
client dora-many --start 5000 --count 20 > "$d/more"
[ "$(wc -l < "$d/more")" -eq 20 ] || t_fail "new clients after restart: $(cat "$d/more")"
dups=$(cat "$acked" "$d/more" | awk '{print $2}' | sort | uniq -d)
[ -z "$dups" ] || t_fail "address reused across restart: $dups"
t_ok "20 new clients got fresh addresses"

# graceful restart; a rebooting client (INIT-REBOOT) keeps its address
read -r mac1 ip1 < "$acked"
kill "$LABBOOT_PID"
wait "$LABBOOT_PID" 2>/dev/null || true
start graceful
n1=$(( $(printf '%d' "0x$(echo "$mac1" | tr -d : | cut -c5-)") ))
t_expect_eq "INIT-REBOOT after restart" "$(client init-reboot --start "$n1" --ip "$ip1")" "ACK $ip1"
t_expect_eq "someone else's address" "$(client init-reboot --start 9999 --ip "$ip1")" "NAK 0.0.0.0"
t_expect_eq "other network" "$(client init-reboot --start 9999 --ip 198.18.99.9)" "NAK 0.0.0.0"

# DECLINE: the address rests; the next client gets another
read -r macm ipm < "$d/more"
nm=$(( $(printf '%d' "0x$(echo "$macm" | tr -d : | cut -c5-)") ))
client decline --start "$nm" --ip "$ipm" --server 198.18.24.1 >/dev/null
sleep 0.5
# not "| grep -q": grep leaves at the first match and labboot, still writing
# thousands of leases, dies of SIGPIPE, which pipefail makes a failure
"$LABBOOT" leases -c "$d/conf" > "$d/leases.declined"
grep -q "^$ipm .*declined" "$d/leases.declined" || t_fail "declined address not quarantined"
client dora-many --start 7000 --count 5 | awk '{print $2}' | >/dev/null grep -x "$ipm" && t_fail "declined address handed out"
t_ok "declined $ipm is quarantined"

t_expect_eq "INFORM" "$(client inform --start 42 --ip 198.18.24.5 --server 198.18.24.1)" "ACK no-lease-time"

# garbage: truncated, bad cookie, option past the end, overload loop, huge
good=$(python3 - <<'P'
import struct
b = bytearray(240); b[0]=1; b[1]=1; b[2]=6; b[28:34]=bytes.fromhex("024200000001"); b[236:240]=bytes.fromhex("63825363")
print(bytes(b).hex())
P
)
for h in "01" "${good:0:400}" "${good/63825363/deadbeef}35010135ff" "${good}350101" "${good}34010335010101ff" \
	"${good}3501010cff6162" "$(printf 'ff%.0s' $(seq 1600))"; do
	client raw --hex "$h" >/dev/null
done
t_expect_eq "still serving after garbage" "$(client dora-many --start 8000 --count 1 | wc -l)" 1
grep -q "dropped malformed datagram" "$d/log.graceful" || t_fail "malformed datagrams not logged"
t_ok "malformed datagrams dropped and logged"
