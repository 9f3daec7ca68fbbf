#!/usr/bin/env bash
# TFTP with real clients (atftp, curl, busybox tftp): integrity of small and
# large files (block numbers roll over past 65535), options (blksize, tsize,
# windowsize), 1% packet loss, parallel transfers, and refusals (write,
# escapes, symlinks out of the root, missing files) answered with errors.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need atftp curl busybox nft
d=$(lab_tmpdir)
mkdir -p "$d/tftp/sub" "$d/outside"
head -c 100000 /dev/urandom > "$d/tftp/small.bin"
head -c $((40 * 1024 * 1024 + 123)) /dev/urandom > "$d/tftp/big.bin"
cp "$d/tftp/small.bin" "$d/tftp/sub/nested.bin"
echo secret > "$d/outside/secret"
ln -s "$d/outside/secret" "$d/tftp/escape"
cat > "$d/conf" <<C
[server]
interface = br0
address = 198.18.22.1
state-dir = $d/state
[dhcp]
mode = off
[http]
enable = no
[dns]
enable = no
[tftp]
root = $d/tftp
[boot]
bios = small.bin
efi64 = nothere.efi
C
lab=lbtftp$$
lab_up "$lab" 198.18.22
lab_add_veth_host "$lab" tc$$
ip -n tc$$ addr add 198.18.22.50/24 dev eth0
t_labboot "$lab" "$d/conf" "$d/log"
S=198.18.22.1
grep -q "efi64 = nothere.efi is in neither" "$d/log" || t_fail "no warning for a missing boot file"
grep -q "bios = small.bin is in neither" "$d/log" && t_fail "warned about a boot file that is there"
t_ok "a missing first-stage boot file is reported at start"
in_client() { ip netns exec tc$$ "$@"; }
sum() { sha256sum < "$1" | cut -d' ' -f1; }

get_atftp() { # remote local [options...]
	local remote=$1 local=$2
	shift 2
	local opts=()
	for o in "$@"; do opts+=(--option "$o"); done
	in_client timeout 120 atftp "${opts[@]}" -g -r "$remote" -l "$local" "$S" 69 2>&1
}

get_atftp small.bin "$d/a1" >/dev/null
t_expect_eq "atftp plain" "$(sum "$d/a1")" "$(sum "$d/tftp/small.bin")"
get_atftp big.bin "$d/a2" "blksize 1468" "tsize 0" >/dev/null
t_expect_eq "atftp 40 MiB blksize 1468" "$(sum "$d/a2")" "$(sum "$d/tftp/big.bin")"
get_atftp big.bin "$d/a3" "blksize 512" "windowsize 16" >/dev/null
t_expect_eq "atftp 40 MiB blksize 512 windowsize 16 (block rollover)" "$(sum "$d/a3")" "$(sum "$d/tftp/big.bin")"
get_atftp /sub/nested.bin "$d/a4" >/dev/null
t_expect_eq "leading slash stripped" "$(sum "$d/a4")" "$(sum "$d/tftp/small.bin")"
get_atftp undionly.kpxe "$d/a5" >/dev/null
t_expect_eq "iPXE binary from ipxe-dir" "$(sum "$d/a5")" "$(sum /usr/lib/ipxe/undionly.kpxe)"

in_client curl -sS --max-time 60 --tftp-blksize 8192 -o "$d/c1" "tftp://$S/big.bin"
t_expect_eq "curl blksize 8192" "$(sum "$d/c1")" "$(sum "$d/tftp/big.bin")"
(cd "$d" && in_client timeout 60 busybox tftp -g -r small.bin -l "$d/b1" -b 1024 "$S")
t_expect_eq "busybox tftp" "$(sum "$d/b1")" "$(sum "$d/tftp/small.bin")"

# parallel transfers
pids=()
for i in 1 2 3 4 5 6; do
	in_client curl -sS --max-time 120 --tftp-blksize 1468 -o "$d/p$i" "tftp://$S/big.bin" &
	pids+=($!)
done
wait "${pids[@]}"
for i in 1 2 3 4 5 6; do
	[ "$(sum "$d/p$i")" = "$(sum "$d/tftp/big.bin")" ] || t_fail "parallel transfer $i corrupt"
done
t_ok "6 parallel 40 MiB transfers intact"

# refusals: each answered with a TFTP error, and the server keeps serving
refused() { # remote expected-text
	local out
	out=$(get_atftp "$1" "$d/refused" || true)
	echo "$out" | >/dev/null grep -i "$2" || t_fail "$1: expected '$2', got: $out"
	t_ok "$1 refused ($2)"
}
refused nope.bin "not found"
refused ../../../etc/passwd "access violation\|not found"
refused escape "access violation"
refused sub "not a file\|not found"
out=$(cd "$d" && in_client timeout 20 atftp -p -r upload.bin -l "$d/tftp/small.bin" "$S" 69 2>&1 || true)
echo "$out" | >/dev/null grep -i "read-only" || t_fail "write not refused: $out"
t_ok "write refused"
[ ! -e "$d/tftp/upload.bin" ] || t_fail "upload created a file"

# 1% loss on everything the client receives
in_client nft add table inet loss
in_client nft add chain inet loss in '{ type filter hook input priority 0; }'
in_client nft add rule inet loss in meta l4proto udp numgen random mod 100 0 drop
get_atftp big.bin "$d/l1" "blksize 1468" "windowsize 16" "timeout 1" >/dev/null
t_expect_eq "40 MiB windowsize 16 with 1% loss" "$(sum "$d/l1")" "$(sum "$d/tftp/big.bin")"
# without the timeout option the server's own adaptive timeout resends
get_atftp big.bin "$d/l3" "blksize 1468" "windowsize 16" >/dev/null
t_expect_eq "40 MiB windowsize 16 with 1% loss, adaptive timeout" "$(sum "$d/l3")" "$(sum "$d/tftp/big.bin")"
get_atftp small.bin "$d/l4" "blksize 1468" >/dev/null
t_expect_eq "lock-step with 1% loss, adaptive timeout" "$(sum "$d/l4")" "$(sum "$d/tftp/small.bin")"
in_client curl -sS --max-time 300 --tftp-blksize 1468 -o "$d/l2" "tftp://$S/small.bin"
t_expect_eq "lock-step with 1% loss" "$(sum "$d/l2")" "$(sum "$d/tftp/small.bin")"
kill -0 "$LABBOOT_PID" || t_fail "labboot died"
grep -c "tftp: .*: ok" "$d/log" | >/dev/null grep -v '^0$' || t_fail "no transfer logged"
