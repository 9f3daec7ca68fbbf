#!/usr/bin/env bash
# `labboot import dnsmasq` against real clients: the dnsmasq.conf of the
# reference notes (/work/shared/reference/homelab-provisioning.md, "DHCP,
# DNS, TFTP", extracted here at test time; its 192.168.10.0/24 moved to
# 198.18.30.0/24, its upstreams to dead 198.18.31.x addresses) and
# tests/import/wild.conf (the forms seen in the wild, with a fake /etc in
# tests/import/root) are converted; each result must pass `labboot check`
# and, served by labboot in a namespace, answer as dnsmasq would: busybox
# udhcpc with a reserved MAC and a firmware's option 93 gets the reserved
# address, lease time and boot file; dig resolves the names. For the
# reference file dnsmasq 2.90 itself then serves the same clients, and
# labboot's answers must equal its. The exit code says whether everything
# was translated (0) or the notes list what was not (1).
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox dig curl dnsmasq

d=$(lab_tmpdir)
REF=${REFERENCE_NOTES:-/work/shared/reference/homelab-provisioning.md}
fails=0
check() { # WHAT GOT WANT
	if [ "$2" = "$3" ]; then t_ok "$1 = $3"; else echo "FAIL: $1: got '$2', want '$3'" >&2; fails=$((fails + 1)); fi
}

# ---- the reference notes' dnsmasq.conf -----------------------------------
[ -r "$REF" ] || { echo "SKIP: $REF not here"; exit 77; }
NET=198.18.30
mkdir -p "$d/tftp" "$d/tftp2"
awk '/^## DHCP, DNS, TFTP/ {f = 1} f && /^```/ {n++; next} f && n == 1' "$REF" |
	sed -e "s/192\.168\.10\./$NET./g" -e 's/=8\.8\.8\.8/=198.18.31.53/' -e 's/=8\.8\.4\.4/=198.18.31.54/' \
	    -e "s|^tftp-root=.*|tftp-root=$d/tftp|" >"$d/dnsmasq.conf"
grep -q '^dhcp-host=9c:5c:8e:bb:bb:54,id:\*' "$d/dnsmasq.conf" || t_fail "no dnsmasq.conf in $REF"
rc=0
"$LABBOOT" import dnsmasq "$d/dnsmasq.conf" --root "$d/emptyroot" --interface br0 --address "$NET.10" \
	-o "$d/ref.conf" 2>"$d/ref.notes" || rc=$?
cat "$d/ref.notes"
check "reference: exit code (all translated)" "$rc" 0
check "reference: nothing listed as not translated" "$(grep -c 'not translated' "$d/ref.notes")" 0
"$LABBOOT" check -c "$d/ref.conf" >/dev/null || t_fail "labboot check rejects the converted reference"
t_ok "labboot check accepts the converted reference"
printf '[server]\nstate-dir = %s/state\n' "$d" >>"$d/ref.conf"

S=imr$$
lab_up "$S" "$NET"
ip -n "$S" addr add "$NET.10/24" dev br0
lab_add_veth_host "$S" irA$$ 9c:5c:8e:bb:bb:54      # beta, BIOS
lab_add_veth_host "$S" irB$$ 3c:ec:ef:de:a5:85      # zeta's second NIC, UEFI
lab_add_veth_host "$S" irC$$ 52:54:00:30:00:99      # no reservation
t_labboot "$S" "$d/ref.conf" "$d/ref.log" >/dev/null

hook() { # FILE: a udhcpc script saving its environment
	printf '#!/bin/sh\n[ "$1" = bound ] && env | sort >"%s"\nexit 0\n' "$1.env" >"$1"
	chmod +x "$1"
}
dhcp() { # NS NAME ARCH(hex, or -) [udhcpc args]: env of the bound lease in $d/NAME.env
	local ns=$1 name=$2 arch=$3
	shift 3
	local a=()
	[ "$arch" = - ] || a=(-V "$(printf 'PXEClient:Arch:%05d:UNDI:002001' $((16#$arch)))" -x "0x5d:$arch")
	hook "$d/$name"
	timeout 30 ip netns exec "$ns" busybox udhcpc -i eth0 -n -q -t 5 -T 2 "${a[@]}" "$@" -O bootfile -O lease \
		-s "$d/$name" >"$d/$name.out" 2>&1 || { cat "$d/$name.out"; echo "FAIL: $name got no lease" >&2; fails=$((fails + 1)); }
}
envv() { # NAME KEY; "boot": the file field, or option 67 (dnsmasq moves it there when asked)
	if [ "$2" = boot ]; then
		envv "$1" boot_file | grep . || envv "$1" bootfile
		return 0
	fi
	sed -n "s/^$2=//p" "$d/$1.env" 2>/dev/null
}

dhcp irA$$ beta 0000
check "reference: beta address" "$(envv beta ip)" "$NET.12"
check "reference: beta host name" "$(envv beta hostname)" beta
check "reference: beta lease (30d)" "$(envv beta lease)" 2592000
check "reference: beta BIOS boot file" "$(envv beta boot_file)" netboot.xyz.kpxe
check "reference: router" "$(envv beta router)" "$NET.1"
check "reference: DNS server" "$(envv beta dns)" "$NET.10"
check "reference: domain" "$(envv beta domain)" lab
dhcp irB$$ zeta 0007
check "reference: zeta's second NIC address" "$(envv zeta ip)" "$NET.17"
check "reference: zeta UEFI boot file" "$(envv zeta boot_file)" netboot.xyz.efi
dhcp irC$$ pool -
ip -n irC$$ addr add "$(envv pool ip)/24" dev eth0
n=$(envv pool ip); n=${n##*.}
[ "${n:-0}" -ge 100 ] && [ "$n" -le 200 ] && t_ok "reference: pool address $(envv pool ip)" ||
	{ echo "FAIL: pool address '$(envv pool ip)'" >&2; fails=$((fails + 1)); }
check "reference: pool lease (48h)" "$(envv pool lease)" 172800

DNS_NS=irC$$
D() { ip netns exec "$DNS_NS" dig @"$1" +short +time=3 +tries=1 "${@:2}" | sort | tr '\n' ' ' | sed 's/ $//'; }
check "reference: dig beta.lab" "$(D $NET.10 beta.lab)" "$NET.12"
check "reference: dig bare eta (expand-hosts)" "$(D $NET.10 eta)" "$NET.19"
check "reference: dig zeta.lab (two NICs)" "$(D $NET.10 zeta.lab)" "$NET.16 $NET.17"
check "reference: dig -x zeta-bmc" "$(D $NET.10 -x $NET.20)" "zeta-bmc.lab."
kill "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done

# The same clients against dnsmasq itself with the original file: what
# labboot answered must be what dnsmasq answers.
t_bg "$S" "$d/dnsmasq.log" dnsmasq --conf-file="$d/dnsmasq.conf" --keep-in-foreground --pid-file= --user=root \
	--dhcp-leasefile="$d/dnsmasq.leases" --log-facility=- --log-dhcp >/dev/null
DNSMASQ_PID=$T_LAST_PID
for _ in $(seq 50); do grep -q 'DHCP, IP range' "$d/dnsmasq.log" 2>/dev/null && break; sleep 0.1; done
ip -n irC$$ addr flush dev eth0
dhcp irA$$ dm-beta 0000
dhcp irB$$ dm-zeta 0007
dhcp irC$$ dm-pool -
ip -n irC$$ addr add "$(envv dm-pool ip)/24" dev eth0
for k in ip hostname lease boot router dns domain subnet; do
	check "reference: beta's $k as dnsmasq gives it" "$(envv beta $k)" "$(envv dm-beta $k)"
	check "reference: zeta's $k as dnsmasq gives it" "$(envv zeta $k)" "$(envv dm-zeta $k)"
done
for k in lease boot router dns domain subnet; do
	check "reference: a pool client's $k as dnsmasq gives it" "$(envv pool $k)" "$(envv dm-pool $k)"
done
check "reference: dig beta.lab as dnsmasq answers" "$(D $NET.1 beta.lab)" "$NET.12"
check "reference: dig bare beta as dnsmasq answers" "$(D $NET.1 beta)" "$NET.12"
kill "$DNSMASQ_PID"
lab_down "$S"

# ---- the forms seen in the wild -----------------------------------------
W=198.18.21
sed "s|^tftp-root=.*|tftp-root=$d/tftp2|" "$ROOT/tests/import/wild.conf" >"$d/wild.conf"
rc=0
"$LABBOOT" import dnsmasq "$d/wild.conf" --root "$ROOT/tests/import/root" -o "$d/wild.out" 2>"$d/wild.notes" || rc=$?
cat "$d/wild.notes"
check "wild: exit code (some not translated)" "$rc" 1
for want in "wild.conf:12: not translated: server=/corp.example/" "wild.conf:26: not translated: dhcp-host=52:54:00:21:00:04,ignore (ignore" \
	"wild.conf:38: not translated: pxe-prompt" "10-more.conf:3: not translated: /etc/dnsmasq.d/10-more.conf (includes itself)"; do
	grep -qF "$want" "$d/wild.notes" && t_ok "wild: notes '$want'" || { echo "FAIL: no note '$want'" >&2; fails=$((fails + 1)); }
done
grep -q 'skipped' "$d/wild.out" && { echo "FAIL: conf-dir read a file *.conf excludes" >&2; fails=$((fails + 1)); }
"$LABBOOT" check -c "$d/wild.out" >/dev/null || t_fail "labboot check rejects the converted wild forms"
t_ok "labboot check accepts the converted wild forms"
printf '[server]\nstate-dir = %s/state2\n' "$d" >>"$d/wild.out"

S=imw$$
lab_up "$S" "$W"
lab_add_veth_host "$S" iwA$$ 52:54:00:21:00:01     # alpha: id:*, infinite, BIOS
lab_add_veth_host "$S" iwB$$ 52:54:00:21:00:02     # bravo: set:special -> own boot file, root-path
lab_add_veth_host "$S" iwC$$ 52:54:00:21:00:03     # charlie: address from addn-hosts
lab_add_veth_host "$S" iwD$$ 52:54:00:21:00:07     # from /etc/ethers
lab_add_veth_host "$S" iwE$$ 52:54:00:21:00:06     # from dhcp-hostsfile, as iPXE
t_labboot "$S" "$d/wild.out" "$d/wild.log" >/dev/null

dhcp iwA$$ alpha 0000
check "wild: alpha address" "$(envv alpha ip)" "$W.11"
check "wild: alpha BIOS file (tag:bios)" "$(envv alpha boot_file)" undionly.kpxe
check "wild: alpha infinite lease" "$(envv alpha lease)" 4294967295
check "wild: router 0.0.0.0 = dnsmasq's address" "$(envv alpha router)" "$W.1"
dhcp iwB$$ bravo 0009 -O rootpath -O mtu
check "wild: bravo address" "$(envv bravo ip)" "$W.12"
check "wild: bravo's tagged boot file" "$(envv bravo boot_file)" special.efi
check "wild: bravo's tagged root-path" "$(envv bravo rootpath)" /srv/nfs/bravo
check "wild: mtu of the set:lan range (2 bytes)" "$(envv bravo mtu)" 1400
dhcp iwC$$ charlie -
check "wild: charlie's address from addn-hosts" "$(envv charlie ip)" "$W.13"
dhcp iwD$$ ethers 0000
check "wild: /etc/ethers reservation" "$(envv ethers ip)" "$W.18"
dhcp iwE$$ foxtrot - -V PXEClient:Arch:00007:UNDI:003016 -x 0x4d:69505845
check "wild: dhcp-hostsfile reservation" "$(envv foxtrot ip)" "$W.16"
ip -n iwE$$ addr add "$W.16/24" dev eth0
script=$(ip netns exec iwE$$ curl -fsS --max-time 5 "$(envv foxtrot boot_file)" || true)
grep -q "chain http://$W.1/menu.ipxe" <<<"$script" && t_ok "wild: iPXE chains what dhcp-boot=tag:ipxe gave" ||
	{ echo "FAIL: iPXE script: $script (boot file $(envv foxtrot boot_file))" >&2; fails=$((fails + 1)); }

DNS_NS=iwE$$
check "wild: dig golf.wild (addn-hosts, expand-hosts)" "$(D $W.1 golf.wild)" "$W.17"
check "wild: dig bare golf" "$(D $W.1 golf)" "$W.17"
check "wild: dig -x golf" "$(D $W.1 -x $W.17)" "golf.wild."
check "wild: host-record" "$(D $W.1 nas.wild)" "$W.240"
check "wild: cname" "$(D $W.1 files.wild)" "$W.240 nas.wild."
check "wild: address=/printer.example.org/" "$(D $W.1 printer.example.org)" "$W.250"
check "wild: dhcp-host name in DNS" "$(D $W.1 echo.wild)" "$W.15"
QUERIES=(golf.wild golf "-x $W.17" nas.wild files.wild printer.example.org alpha.wild)
declare -A labboot_answer
for q in "${QUERIES[@]}"; do
	# shellcheck disable=SC2086
	labboot_answer[$q]=$(D $W.1 $q)
done
kill "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done

# dnsmasq itself on the wild forms: its files moved into a copy of the fake
# tree; without read-ethers (dnsmasq reads the real /etc/ethers), the
# self-include and the PXE prompt (both not translated).
cp -r "$ROOT/tests/import/root" "$d/root"
sed -i -e "s|=/etc/|=$d/root/etc/|" -e '/^conf-file=/d' "$d/root/etc/dnsmasq.d/10-more.conf"
sed -e "s|=/etc/|=$d/root/etc/|" -e '/^read-ethers/d' -e '/^pxe-prompt/d' "$d/wild.conf" >"$d/wild-dnsmasq.conf"
t_bg "$S" "$d/dnsmasq2.log" dnsmasq --conf-file="$d/wild-dnsmasq.conf" --keep-in-foreground --pid-file= --user=root \
	--dhcp-leasefile="$d/dnsmasq2.leases" --log-facility=- --log-dhcp >/dev/null
DNSMASQ_PID=$T_LAST_PID
for _ in $(seq 50); do grep -q 'DHCP, IP range' "$d/dnsmasq2.log" 2>/dev/null && break; sleep 0.1; done
ip -n iwE$$ addr flush dev eth0
dhcp iwA$$ dm-alpha 0000
dhcp iwB$$ dm-bravo 0009 -O rootpath -O mtu
dhcp iwC$$ dm-charlie -
dhcp iwE$$ dm-foxtrot - -V PXEClient:Arch:00007:UNDI:003016 -x 0x4d:69505845
ip -n iwE$$ addr add "$W.16/24" dev eth0
for k in ip hostname lease boot router dns domain subnet ntpsrv mtu rootpath; do
	for h in alpha bravo charlie foxtrot; do
		[ "$h/$k" != foxtrot/boot ] || continue # labboot's iPXE script chains dnsmasq's file (above)
		check "wild: $h's $k as dnsmasq gives it" "$(envv $h $k)" "$(envv dm-$h $k)"
	done
done
for q in "${QUERIES[@]}"; do
	# shellcheck disable=SC2086
	check "wild: dig $q as dnsmasq answers" "${labboot_answer[$q]}" "$(D $W.1 $q)"
done
kill "$DNSMASQ_PID"

[ "$fails" -eq 0 ] || t_fail "$fails check(s) failed"
echo "all import checks passed"
