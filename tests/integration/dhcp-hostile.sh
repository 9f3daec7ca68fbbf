#!/usr/bin/env bash
# Hostile datagrams to labboot's port 67 (198.18.16.0/24): truncated, bad
# cookie, options running past the end, option overload (52) into file/sname
# full of garbage, RFC 3396 long-option concatenation, huge parameter request
# lists, hlen 16/0/255, op 2, 1500+ and 8000-byte datagrams, broken message
# types and random mutations. labboot must stay up, log the malformed ones
# rate-limited, and still serve a normal client afterwards.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need busybox python3

NET=198.18.16
d=$(lab_tmpdir)
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d")
[dhcp]
mode = authoritative
range = $NET.100 $NET.200
lease-time = 1h
router = $NET.1
probe-time = 300ms
[host "victim"]
mac = 52:54:00:16:00:01
ip = $NET.10
EOF
S=hos$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" hoa$$ 52:54:00:16:00:66   # attacker
lab_add_veth_host "$S" hob$$ 52:54:00:16:00:01   # normal client
ip -n hoa$$ addr add "$NET.66/24" dev eth0
LB=$(t_labboot "$S" "$d/conf" "$d/labboot.log")
# shellcheck disable=SC2016  # expanded at exit
lab_on_exit '[ "$LAB_RC" = 0 ] || { echo "---- labboot"; tail -60 "$d/labboot.log"; }'

cat >"$d/hostile.py" <<'EOF'
import os, random, socket, struct, sys, time
sys.path.insert(0, sys.argv[1])
from dhcp_client import build, opt, mac_bytes, MAGIC

server = sys.argv[2]
mac = mac_bytes("02:16:00:00:00:01")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, 25, b"eth0")
s.bind(("", 68))
sent = {"malformed": 0, "odd": 0}

def send(pkt, kind):
    for dest in ("255.255.255.255", server):
        s.sendto(pkt, (dest, 67))
    sent[kind] += 2
    time.sleep(0.001)

good = build(1, mac, 0x11223344)
def with_options(body, file_=bytes(128), sname=bytes(64), op=1, hlen=6, htype=1, cookie=MAGIC):
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", op, htype, hlen, 0, 0x5eed, 0, 0x8000,
                      bytes(4), bytes(4), bytes(4), bytes(4), mac + bytes(10), sname, file_, cookie)
    return hdr + body

dt = opt(53, b"\x01")
# --- malformed: the codec must refuse these
for n in (0, 1, 27, 100, 235, 236, 239, 240, 241):
    send(good[:n], "malformed")
send(with_options(dt + b"\xff", cookie=0xdeadbeef), "malformed")
send(with_options(dt + bytes([12, 200]) + b"abcde"), "malformed")                 # length past the end
send(with_options(dt + bytes([12])), "malformed")                                 # code, no length
send(with_options(dt + opt(52, b"\x03") + b"\xff", file_=bytes([12, 250]) + os.urandom(126)), "malformed")
send(with_options(dt + opt(52, b"\x03") + b"\xff", sname=bytes([43, 90]) + os.urandom(62)), "malformed")
send(with_options(dt + opt(52, b"\x03") + b"\xff", file_=bytes([52, 1, 3]) + bytes(125)), "malformed")  # overload in file
send(with_options(b"", op=2), "malformed")
send(with_options(dt + b"\xff", op=2), "malformed")                               # BOOTREPLY to a server
send(with_options(dt + b"\xff", op=0), "malformed")
send(with_options(dt + b"\xff", op=77), "malformed")
for _ in range(200):                                                             # overload into pure garbage
    send(with_options(dt + opt(52, bytes([random.randint(0, 255)])) + os.urandom(random.randint(0, 60)),
                      file_=os.urandom(128), sname=os.urandom(64)), "malformed")

# --- odd but parseable: anything goes except a crash
long_43 = b"".join(opt(43, os.urandom(255)) for _ in range(6))                    # 1530 bytes concatenated
send(with_options(dt + long_43 + b"\xff"), "odd")
send(with_options(dt + opt(52, b"\x03") + opt(12, b"a" * 200) + b"\xff",
                  file_=opt(12, b"b" * 126), sname=opt(12, b"c" * 62)), "odd")  # concatenation across fields
prl = b"".join(opt(55, bytes(range(1, 256))) for _ in range(5))                  # huge PRL, every code
send(with_options(dt + prl + b"\xff"), "odd")
send(with_options(dt + opt(55, b"") + b"\xff"), "odd")
for hlen in (16, 0, 255, 7):
    send(with_options(dt + b"\xff", hlen=hlen), "odd")
send(with_options(dt + b"\xff", htype=0), "odd")
send(with_options(dt + b"\0" * 1400 + b"\xff"), "odd")                          # 1640 bytes
send(with_options(dt + b"\0" * 7800 + b"\xff"), "odd")                          # fragmented, 8000+ bytes
send(with_options(dt + opt(57, b"\xff\xff") + prl + b"\xff"), "odd")             # max size 65535
send(with_options(dt + opt(57, b"\x00\x01") + prl + b"\xff"), "odd")             # max size 1
for t in (0, 9, 18, 255):
    send(with_options(opt(53, bytes([t])) + b"\xff"), "odd")
send(with_options(b"\xff"), "odd")                                               # no message type
send(with_options(opt(53, b"") + b"\xff"), "odd")
send(with_options(opt(53, b"\x01\x03") + b"\xff"), "odd")
send(with_options(dt + opt(53, b"\x03") + b"\xff"), "odd")                      # two types
send(with_options(dt), "odd")                                                    # no END
send(with_options(opt(53, b"\x03") + opt(50, b"\xff\xff\xff\xff") + b"\xff"), "odd")
send(with_options(opt(53, b"\x03") + opt(50, b"\x01\x02\x03") + opt(54, b"") + b"\xff"), "odd")
send(with_options(opt(53, b"\x04") + opt(50, bytes([198, 18, 16, 10])) + b"\xff"), "odd")  # DECLINE of the victim's address
send(with_options(opt(53, b"\x07") + b"\xff"), "odd")                          # RELEASE without ciaddr
send(with_options(opt(53, b"\x08") + b"\xff"), "odd")                          # INFORM without ciaddr
send(with_options(dt + opt(61, b"") + opt(12, b"\0\0..--") + opt(60, b"PXEClient") + opt(93, b"\x00") + opt(97, b"\x00") + b"\xff"), "odd")
for _ in range(300):                                                             # random mutations of a good DISCOVER
    p = bytearray(build(1, mac, random.getrandbits(32), options=opt(60, b"PXEClient:Arch:00007") + opt(93, b"\x00\x07") + opt(55, bytes(range(1, 80)))))
    for _ in range(random.randint(1, 12)):
        p[random.randrange(len(p))] = random.getrandbits(8)
    send(bytes(p[:random.randint(200, len(p))]), "odd")
print(sent["malformed"], sent["odd"])
EOF
read -r n_bad n_odd < <(ip netns exec hoa$$ python3 "$d/hostile.py" "$ROOT/tests/lib" "$NET.1")
t_ok "sent $n_bad malformed and $n_odd odd datagrams"
sleep 1
kill -0 "$LB" 2>/dev/null || t_fail "labboot died"
t_ok "labboot is still running"
logged=$(grep -c "dropped malformed datagram" "$d/labboot.log" || true)
last=$(grep "dropped malformed datagram" "$d/labboot.log" | tail -1)
echo "last: $last"
[ "$logged" -ge 1 ] || t_fail "malformed datagrams were not logged"
[ "$logged" -le 20 ] || t_fail "malformed datagrams not rate-limited: $logged lines for $n_bad datagrams"
t_ok "$logged log lines for $n_bad malformed datagrams (rate-limited)"
# After the rate-limit window, the next malformed datagram is logged again
# with the running count and how many lines were suppressed.
sleep 10.5
head -c 100 /dev/zero >"$d/short"
ip netns exec hoa$$ python3 "$ROOT/tests/lib/dhcp_client.py" -i eth0 raw "$d/short" --server "$NET.1"
for _ in $(seq 20); do [ "$(grep -c "dropped malformed datagram" "$d/labboot.log")" -gt "$logged" ] && break; sleep 0.1; done
last=$(grep "dropped malformed datagram" "$d/labboot.log" | tail -1)
echo "after the window: $last"
count=$(sed -n 's/.*(\([0-9]*\) so far).*/\1/p' <<<"$last")
suppressed=$(sed -n 's/.*(\([0-9]*\) similar suppressed).*/\1/p' <<<"$last")
[ "${count:-0}" -ge $((n_bad * 9 / 10)) ] || t_fail "malformed counter $count, sent $n_bad"
[ "${suppressed:-0}" -ge $((n_bad * 9 / 10 - 10)) ] || t_fail "suppressed count '$suppressed' does not add up"
t_ok "counter $count malformed so far, $suppressed lines suppressed"

printf '#!/bin/sh\n[ "$1" = bound ] && env | sort >"$0.bound"\nexit 0\n' >"$d/hook"
chmod +x "$d/hook"
timeout 30 ip netns exec hob$$ busybox udhcpc -i eth0 -n -q -t 4 -T 2 -s "$d/hook" >"$d/udhcpc.out" 2>&1 ||
	{ cat "$d/udhcpc.out"; t_fail "normal client got no lease after the attack"; }
t_expect_eq "normal client's reserved address after the attack" "$(sed -n 's/^ip=//p' "$d/hook.bound")" "$NET.10"
kill -0 "$LB" 2>/dev/null || t_fail "labboot died"
echo PASS
