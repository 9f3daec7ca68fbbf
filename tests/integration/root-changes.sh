#!/usr/bin/env bash
# Files changed under the HTTP and TFTP roots in the middle of a transfer,
# with real clients: a file truncated while curl (rate-limited) or atftp
# reads it ends that transfer with an error, never a hang, a crash or bytes
# that were not in the file; a file removed while it is read is sent whole
# (the open file stays); labboot stays up and the next client of the same
# path gets the file as it is now. Subnet 198.18.67.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need atftp curl

d=$(lab_tmpdir)
NET=198.18.67
mkdir -p "$d/www" "$d/tftp"
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" http tftp)
[dhcp]
mode = off
[http]
root = $d/www
[tftp]
root = $d/tftp
EOF
S=rcs$$ C=rcc$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C"
ip -n "$C" addr add "$NET.5/24" dev eth0
LB=$(t_labboot "$S" "$d/conf" "$d/labboot.log")
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || { echo "---- labboot"; tail -40 "$d/labboot.log"; }'
in_client() { ip netns exec "$C" "$@"; }
alive() { kill -0 "$LB" 2>/dev/null || t_fail "labboot died ($1)"; }
# A prefix of the original: what a client got must be bytes of the file.
is_prefix() { # GOT ORIGINAL
	local n
	n=$(stat -c %s "$1")
	cmp -s -n "$n" "$1" "$2"
}
wait_for_size() { # FILE BYTES: until the client has read that much (max 20 s)
	for _ in $(seq 200); do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.1
	done
	t_fail "the client read nothing of $1"
}

head -c $((32 << 20)) /dev/urandom >"$d/orig.bin"

# --- HTTP: truncated ---------------------------------------------------------
cp "$d/orig.bin" "$d/www/cut.bin"
in_client timeout 60 curl -s --limit-rate 4M -o "$d/h1" "http://$NET.1/cut.bin" &
cpid=$!
wait_for_size "$d/h1" $((2 << 20))
truncate -s $((8 << 20)) "$d/www/cut.bin"
rc=0; wait "$cpid" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || t_fail "HTTP truncated: curl exit $rc (want an error, not success or a hang)"
is_prefix "$d/h1" "$d/orig.bin" || t_fail "HTTP truncated: bytes that were not in the file"
t_ok "HTTP truncated mid-transfer: curl ended with error $rc after $(stat -c %s "$d/h1") bytes, all from the file"
alive "HTTP truncated"
in_client curl -sf -o "$d/h2" "http://$NET.1/cut.bin" || t_fail "HTTP: the truncated file is not served"
t_expect_eq "HTTP: the next client gets the file as it is now" "$(stat -c %s "$d/h2")" $((8 << 20))

# --- HTTP: removed -----------------------------------------------------------
cp "$d/orig.bin" "$d/www/gone.bin"
in_client timeout 60 curl -sf --limit-rate 8M -o "$d/h3" "http://$NET.1/gone.bin" &
cpid=$!
wait_for_size "$d/h3" $((2 << 20))
rm "$d/www/gone.bin"
wait "$cpid" || t_fail "HTTP removed: curl failed"
cmp -s "$d/h3" "$d/orig.bin" || t_fail "HTTP removed: not the whole file"
t_ok "HTTP removed mid-transfer: the whole file was sent"
st=$(in_client curl -s -o /dev/null -w '%{http_code}' "http://$NET.1/gone.bin")
t_expect_eq "HTTP: a removed file is then 404" "$st" 404

# --- TFTP: truncated ---------------------------------------------------------
cp "$d/orig.bin" "$d/tftp/cut.bin"
# blksize 512 with a window of 1: 65536 round trips for 32 MiB, time enough
in_client timeout 120 atftp --option "blksize 512" -g -r cut.bin -l "$d/t1" "$NET.1" 69 >"$d/atftp1.out" 2>&1 &
cpid=$!
wait_for_size "$d/t1" $((1 << 20))
truncate -s $((4 << 20)) "$d/tftp/cut.bin"
rc=0; wait "$cpid" || rc=$?
[ "$rc" -ne 124 ] || t_fail "TFTP truncated: atftp hung"
got=$(stat -c %s "$d/t1")
if [ "$got" -eq $((32 << 20)) ]; then
	t_fail "TFTP truncated: atftp got the whole original file (it was cut)"
fi
is_prefix "$d/t1" "$d/orig.bin" || t_fail "TFTP truncated: bytes that were not in the file"
grep -qi "error\|abort\|fail" "$d/atftp1.out" || t_fail "TFTP truncated: atftp was not told: $(cat "$d/atftp1.out")"
t_ok "TFTP truncated mid-transfer: atftp told ($(tr '\n' ' ' <"$d/atftp1.out" | cut -c1-100)) after $got bytes"
alive "TFTP truncated"
in_client timeout 60 atftp --option "blksize 1468" -g -r cut.bin -l "$d/t2" "$NET.1" 69 >/dev/null 2>&1 ||
	t_fail "TFTP: the truncated file is not served"
t_expect_eq "TFTP: the next client gets the file as it is now" "$(stat -c %s "$d/t2")" $((4 << 20))

# --- TFTP: removed -----------------------------------------------------------
cp "$d/orig.bin" "$d/tftp/gone.bin"
in_client timeout 120 atftp --option "blksize 512" -g -r gone.bin -l "$d/t3" "$NET.1" 69 >/dev/null 2>&1 &
cpid=$!
wait_for_size "$d/t3" $((1 << 20))
rm "$d/tftp/gone.bin"
wait "$cpid" || t_fail "TFTP removed: atftp failed"
cmp -s "$d/t3" "$d/orig.bin" || t_fail "TFTP removed: not the whole file"
t_ok "TFTP removed mid-transfer: the whole file was sent"
alive "the end"
echo PASS
