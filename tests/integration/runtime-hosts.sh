#!/usr/bin/env bash
# Running labboot day to day, with real clients: a host added with
# `labboot host add` while labboot runs gets its reserved address and name
# from busybox udhcpc at once; `host set` changes its image, `next-boot`
# sends it to the local disk once, `explain` shows the answer and the
# script without the machine; a machine that netbooted without a
# reservation is listed by `discovered` and turned into a host; `wake`
# sends the magic packet on the bridge (caught by tcpdump); SIGHUP with a
# broken file is refused with FILE:LINE and the running configuration (and
# the lease) kept, a good one applied; runtime hosts survive a restart.
# Subnet 198.18.61.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox curl tcpdump python3

d=$(lab_tmpdir)
NET=198.18.61
write_conf() { # [EXTRA]
	cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" http)
[dhcp]
mode = authoritative
range = $NET.100 $NET.150
lease-time = 1h
router = $NET.1
[http]
root = $d/www
[boot]
menu-timeout = 5s
[image "tiny"]
kernel = vmlinuz
[image "other"]
kernel = vmlinuz-other
[host "alpha"]
mac = 52:54:00:61:00:10
ip = $NET.10
${1:-}
EOF
}
mkdir -p "$d/www"
write_conf
S=rhs$$ C=rhc$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C" 52:54:00:61:00:20
t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null
L() { "$LABBOOT" "$@" -c "$d/conf"; }

# --- a host added at runtime: applied at once ------------------------------
out=$(L host add gamma 52:54:00:61:00:20 $NET.20 image=tiny)
grep -q "applied by the running labboot" <<<"$out" || t_fail "host add not applied: $out"
t_ok "host add: $(tr '\n' ' ' <<<"$out")"
hl=$(L host ls)
grep -q "^gamma .*runtime .*52:54:00:61:00:20 $NET.20 .*tiny" <<<"$hl" || t_fail "host ls: $hl"
cat >"$d/hook" <<EOF
#!/bin/sh
if [ "\$1" = bound ]; then
	ip addr flush dev "\$interface"
	ip addr add "\$ip/\${mask:-24}" dev "\$interface"
	echo "\$ip \$hostname" >"$d/lease"
fi
exit 0
EOF
chmod +x "$d/hook"
timeout 30 ip netns exec "$C" busybox udhcpc -i eth0 -n -q -t 5 -T 2 -s "$d/hook" >"$d/udhcpc.out" 2>&1 ||
	{ cat "$d/udhcpc.out"; t_fail "udhcpc got no lease"; }
t_expect_eq "the runtime host's lease (address, name)" "$(cat "$d/lease")" "$NET.20 gamma"
grep -q "^$NET.20 .*52:54:00:61:00:20 bound" <<<"$(L leases)" || t_fail "lease not stored: $(L leases)"

# --- its script, host set, next-boot ---------------------------------------
script() { ip netns exec "$C" curl -sf "http://$NET.1/boot.ipxe?mac=52:54:00:61:00:20"; }
grep -q "kernel http://$NET.1/vmlinuz " <<<"$(script)" || t_fail "script does not boot tiny: $(script)"
grep -q "applied" <<<"$(L host set gamma image=other)" || t_fail "host set not applied"
grep -q "kernel http://$NET.1/vmlinuz-other " <<<"$(script)" || t_fail "host set image=other not in the script: $(script)"
t_ok "host set image=other applied at once"
grep -q "next boot local, once" <<<"$(L next-boot gamma local)" || t_fail "next-boot not set"
grep -q "next boot local" <<<"$(L next-boot gamma)" || t_fail "next-boot not shown"
first=$(script)
grep -q "^goto local$" <<<"$first" || t_fail "next boot not used: $first"
grep -q "^choose " <<<"$first" && t_fail "next boot still shows the menu"
second=$(script)
grep -q "^choose .*--default image" <<<"$second" || t_fail "next boot not cleared after one use: $second"
grep -q "no next boot set" <<<"$(L next-boot gamma)" || t_fail "next-boot still set after use"
grep -q "next-boot *local (used, cleared)" <<<"$(L hosts)" || t_fail "no next-boot event: $(L hosts)"
t_ok "next-boot local used once, then cleared"
L next-boot gamma no-such-image 2>/dev/null && t_fail "a next boot to a missing image accepted"

# --- explain ---------------------------------------------------------------
ex=$(L explain 52:54:00:61:00:20 --arch efi64)
grep -q "OFFER yiaddr $NET.20" <<<"$ex" || t_fail "explain: no OFFER of $NET.20: $ex"
grep -q "snponly.efi" <<<"$ex" || t_fail "explain: EFI boot file: $ex"
grep -q "host gamma, added at runtime" <<<"$ex" || t_fail "explain: no decision line: $ex"
grep -q "kernel http://$NET.1/vmlinuz-other" <<<"$ex" || t_fail "explain: script: $ex"
ex=$(L explain 52:54:00:61:00:99 --arch bios)
grep -q "no host has this MAC" <<<"$ex" && grep -q "OFFER yiaddr $NET.1[0-5][0-9]" <<<"$ex" ||
	t_fail "explain of an unknown MAC: $ex"
t_ok "explain shows the DHCP answers, the decisions and the script"
grep -q "52:54:00:61:00:99" <<<"$(L leases)" && t_fail "explain stored a lease"

# --- discovered, then made a host ------------------------------------------
ip netns exec "$C" python3 "$ROOT/tests/lib/dhcp_client.py" -i eth0 -m 52:54:00:61:00:77 --arch 7 \
	--vendor-class PXEClient:Arch:00007:UNDI:003016 discover >/dev/null || t_fail "PXE discover got no offer"
disc=$(L discovered)
grep -q "^52:54:00:61:00:77 .* 7 *PXEClient:Arch:00007:UNDI:003016" <<<"$disc" || t_fail "discovered: $disc"
grep -q "52:54:00:61:00:20" <<<"$disc" && t_fail "a host is listed as discovered"
L host add delta 52:54:00:61:00:77 >/dev/null
grep -q "52:54:00:61:00:77" <<<"$(L discovered)" && t_fail "still discovered after host add"
t_ok "a discovered machine listed (arch, vendor) and turned into a host"

# --- a clash is refused with its reason ------------------------------------
err=$(L host add epsilon 52:54:00:61:00:10 2>&1) && t_fail "a MAC of the file's host accepted"
grep -q "is also host alpha's" <<<"$err" || t_fail "clash message: $err"
err=$(L host set alpha image=other 2>&1) && t_fail "the file's host changed at runtime"
grep -q "is in $d/conf:[0-9]*" <<<"$err" || t_fail "file host message: $err"
t_ok "clashes refused with their reason"

# --- wake ------------------------------------------------------------------
lab_spawn "$S" tcpdump -i br0 -n -U -c 1 -w "$d/wol.pcap" udp port 9 >"$d/tcpdump.log" 2>&1
tcpdump_pid=$LAB_PID
for _ in $(seq 50); do grep -q "listening" "$d/tcpdump.log" && break; sleep 0.1; done
grep -q "sent on br0" <<<"$(ip netns exec "$S" "$LABBOOT" wake gamma -c "$d/conf")" || t_fail "wake: not sent"
for _ in $(seq 50); do kill -0 "$tcpdump_pid" 2>/dev/null || break; sleep 0.1; done
python3 - "$d/wol.pcap" <<'PY' || t_fail "no magic packet for gamma on br0"
import sys
data = open(sys.argv[1], "rb").read()
mac = bytes.fromhex("525400610020")
sys.exit(0 if b"\xff" * 6 + mac * 16 in data else 1)
PY
t_ok "wake gamma: magic packet on br0"

# --- SIGHUP: a broken file refused, a good one applied ----------------------
write_conf '[host "zeta"]
mac = not-a-mac'
kill -HUP "$LABBOOT_PID"
for _ in $(seq 50); do grep -q "running one is kept" "$d/labboot.log" && break; sleep 0.1; done
grep -q "$d/conf:[0-9]*: invalid mac" "$d/labboot.log" || t_fail "broken reload: no FILE:LINE in the log"
grep -q "running one is kept" "$d/labboot.log" || t_fail "broken reload not refused"
grep -q "vmlinuz-other" <<<"$(script)" || t_fail "the running configuration was not kept"
kill -0 "$LABBOOT_PID" || t_fail "labboot died on a broken reload"
out=$(L reload 2>&1) && t_fail "labboot reload accepted a broken file"
grep -q "invalid mac" <<<"$out" || t_fail "labboot reload: the reason not shown: $out"
write_conf '[host "zeta"]
mac = 52:54:00:61:00:30
ip = '"$NET"'.30'
out=$(L reload 2>&1) || t_fail "good reload refused: $out"
grep -q "reloaded: 4 hosts" <<<"$out" || t_fail "good reload: $out"
grep -q "^zeta .*file" <<<"$(L host ls)" || t_fail "zeta not in host ls after reload"
grep -q "^$NET.20 .*bound" <<<"$(L leases)" || t_fail "the lease was lost in the reloads"
t_ok "SIGHUP/reload: broken file refused (FILE:LINE), good one applied, lease kept"

# --- runtime hosts survive a restart, host rm --------------------------------
kill "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done
t_labboot "$S" "$d/conf" "$d/labboot2.log" >/dev/null
grep -q "vmlinuz-other" <<<"$(script)" || t_fail "runtime host lost in the restart"
grep -q "applied" <<<"$(L host rm gamma)" || t_fail "host rm not applied"
grep -q "unknown host" <<<"$(script)" || t_fail "removed host still served: $(script)"
grep -q "^gamma" <<<"$(L host ls)" && t_fail "gamma still listed"
t_ok "runtime hosts persist across a restart; host rm applied at once"
echo "all runtime host checks passed"
