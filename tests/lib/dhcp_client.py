#!/usr/bin/env python3
"""A small scriptable DHCPv4 client for integration tests.

Speaks the messages real clients rarely send on demand (DECLINE, INFORM,
INIT-REBOOT, PXE port 4011 requests) over an ordinary UDP socket bound to
port 68 (or any port) with SO_BINDTODEVICE. Run it inside a network namespace
the test created. Every reply received is printed as one JSON line; the exit
status is 0 if at least one reply matched, 1 if none, 2 on usage errors.

Examples:
  dhcp_client.py -i eth0 -m 52:54:00:aa:00:01 dora
  dhcp_client.py -i eth0 -m ... request --addr 198.18.11.50      # INIT-REBOOT
  dhcp_client.py -i eth0 -m ... decline --addr A --server S
  dhcp_client.py -i eth0 -m ... inform --ciaddr A --server S
  dhcp_client.py -i eth0 -m ... discover --vendor-class PXEClient:Arch:00000:UNDI:002001
  dhcp_client.py -i eth0 -m ... request --addr A --server S --port 4011 --ciaddr A
  dhcp_client.py -i eth0 raw FILE --server S      # send FILE's bytes, expect nothing
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

MAGIC = 0x63825363
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK",
         6: "NAK", 7: "RELEASE", 8: "INFORM"}
NAMES = {v: k for k, v in TYPES.items()}
SO_BINDTODEVICE = getattr(socket, "SO_BINDTODEVICE", 25)


def mac_bytes(text):
    b = bytes(int(x, 16) for x in text.split(":"))
    if len(b) != 6:
        raise ValueError("bad MAC " + text)
    return b


def opt(code, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= 255
    return bytes([code, len(data)]) + data


def build(msg_type, mac, xid, ciaddr="0.0.0.0", broadcast=True, options=b"",
          giaddr="0.0.0.0", secs=0):
    """A BOOTREQUEST with the given DHCP message type and extra options."""
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI",
                      1, 1, 6, 0, xid, secs, 0x8000 if broadcast else 0,
                      socket.inet_aton(ciaddr), socket.inet_aton("0.0.0.0"),
                      socket.inet_aton("0.0.0.0"), socket.inet_aton(giaddr),
                      mac + bytes(10), bytes(64), bytes(128), MAGIC)
    body = opt(53, bytes([msg_type])) + options + b"\xff"
    pkt = hdr + body
    return pkt + bytes(max(0, 300 - len(pkt)))


def parse_options(buf, out):
    i = 0
    while i < len(buf):
        code = buf[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            return
        if i + 1 >= len(buf) or i + 2 + buf[i + 1] > len(buf):
            raise ValueError("option %d runs past the end" % code)
        n = buf[i + 1]
        out[code] = out.get(code, b"") + buf[i + 2:i + 2 + n]  # RFC 3396 concatenation
        i += 2 + n


def parse(pkt):
    """A BOOTREPLY as a dict; raises ValueError on anything malformed."""
    if len(pkt) < 240:
        raise ValueError("short packet")
    (op, htype, hlen, hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr,
     chaddr, sname, file_, magic) = struct.unpack("!BBBBIHH4s4s4s4s16s64s128sI", pkt[:240])
    if magic != MAGIC:
        raise ValueError("bad magic cookie")
    options = {}
    parse_options(pkt[240:], options)
    overload = options.get(52, b"\x00")[0]
    if overload & 1:
        parse_options(file_, options)
    if overload & 2:
        parse_options(sname, options)
    r = {
        "op": op, "xid": xid, "flags": flags,
        "ciaddr": socket.inet_ntoa(ciaddr), "yiaddr": socket.inet_ntoa(yiaddr),
        "siaddr": socket.inet_ntoa(siaddr), "giaddr": socket.inet_ntoa(giaddr),
        "chaddr": ":".join("%02x" % b for b in chaddr[:hlen if hlen <= 16 else 6]),
        "sname": "" if overload & 2 else sname.split(b"\0")[0].decode("latin1"),
        "file": "" if overload & 1 else file_.split(b"\0")[0].decode("latin1"),
        "type": TYPES.get(options.get(53, b"\0")[0], "NONE"),
        "options": {str(k): v.hex() for k, v in sorted(options.items())},
    }
    for code, key in ((54, "server_id"), (1, "subnet_mask")):
        if len(options.get(code, b"")) == 4:
            r[key] = socket.inet_ntoa(options[code])
    for code, key in ((51, "lease_time"), (58, "t1"), (59, "t2")):
        if len(options.get(code, b"")) == 4:
            r[key] = struct.unpack("!I", options[code])[0]
    if options.get(3):
        r["routers"] = [socket.inet_ntoa(options[3][i:i + 4]) for i in range(0, len(options[3]) // 4 * 4, 4)]
    for code, key in ((12, "hostname"), (15, "domain"), (60, "vendor_class"), (56, "message"),
                      (67, "bootfile_opt")):
        if code in options:
            r[key] = options[code].decode("latin1")
    return r


class Client:
    def __init__(self, iface, mac, port=68, src=""):
        self.iface = iface
        self.mac = mac
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, iface.encode())
        self.sock.bind((src, port))

    def send(self, pkt, server="255.255.255.255", port=67):
        self.sock.sendto(pkt, (server, port))

    def collect(self, xid, timeout, want=None, first=False):
        """Replies to xid for `timeout` seconds (until the first wanted one if first)."""
        out = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return out
            rd, _, _ = select.select([self.sock], [], [], left)
            if not rd:
                return out
            pkt, frm = self.sock.recvfrom(4096)
            try:
                r = parse(pkt)
            except ValueError:
                continue
            if r["op"] != 2 or r["xid"] != xid or r["chaddr"] != ":".join("%02x" % b for b in self.mac):
                continue
            if want and r["type"] not in want:
                continue
            r["from"] = "%s:%d" % frm
            out.append(r)
            if first:
                return out

    def exchange(self, pkt, xid, timeout, want, server="255.255.255.255", port=67, first=True, tries=3):
        for _ in range(tries):
            self.send(pkt, server, port)
            got = self.collect(xid, timeout / tries, want, first)
            if got:
                return got
        return []


def crowd(c, a, opts):
    """Many clients at once over one socket: each does DISCOVER/REQUEST with
    retransmissions; every ACK or NAK is printed (and flushed) as it arrives."""
    base = a.mac
    clients = {}
    t0 = time.monotonic()
    for i in range(a.count):
        mac = base[:3] + bytes([(i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])
        xid = random.getrandbits(32)
        clients[xid] = {"mac": mac, "stage": 1, "sent": 0.0, "tries": 0, "offer": None,
                        "start": t0 + i * a.spread / max(1, a.count)}
    end = t0 + a.timeout
    got = 0
    while time.monotonic() < end:
        now = time.monotonic()
        for xid, cl in clients.items():
            if cl["stage"] and now >= cl["start"] and now - cl["sent"] > a.retry and cl["tries"] < 5:
                o = opts
                if cl["stage"] == 3:
                    o += opt(50, socket.inet_aton(cl["offer"]["yiaddr"]))
                    o += opt(54, socket.inet_aton(cl["offer"]["server_id"]))
                c.send(build(cl["stage"], cl["mac"], xid, options=o))
                cl["sent"], cl["tries"] = now, cl["tries"] + 1
        if not any(cl["stage"] for cl in clients.values()):
            break
        rd, _, _ = select.select([c.sock], [], [], 0.05)
        while rd:
            try:
                pkt = c.sock.recv(4096, socket.MSG_DONTWAIT)
                r = parse(pkt)
            except BlockingIOError:
                break
            except ValueError:
                continue
            cl = clients.get(r["xid"])
            if not cl or r["op"] != 2:
                continue
            if cl["stage"] == 1 and r["type"] == "OFFER":
                cl.update(stage=3, offer=r, sent=0.0, tries=0)
            elif cl["stage"] == 3 and r["type"] in ("ACK", "NAK"):
                cl["stage"] = 0
                got += 1
                print(json.dumps(r, sort_keys=True), flush=True)
    return 0 if got else 1


def common_options(a):
    o = b""
    if a.client_id:
        o += opt(61, bytes.fromhex(a.client_id))
    if a.vendor_class:
        o += opt(60, a.vendor_class)
    if a.user_class:
        o += opt(77, a.user_class)
    if a.arch is not None:
        o += opt(93, struct.pack("!H", a.arch))
        o += opt(94, b"\x01\x02\x01")
        o += opt(97, b"\x00" + a.mac[:6] * 2 + a.mac[:4])
    if a.hostname:
        o += opt(12, a.hostname)
    if a.max_size:
        o += opt(57, struct.pack("!H", a.max_size))
    o += opt(55, bytes(a.prl))
    return o


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-i", "--iface", required=True)
    p.add_argument("-m", "--mac", default="02:00:00:00:00:01", type=mac_bytes)
    p.add_argument("--client-id", help="option 61 as hex")
    p.add_argument("--vendor-class")
    p.add_argument("--user-class")
    p.add_argument("--arch", type=int, help="option 93 (and 94/97 like a PXE ROM)")
    p.add_argument("--hostname")
    p.add_argument("--max-size", type=int)
    p.add_argument("--request-ip", help="option 50 in DISCOVER (the address the client would like)")
    p.add_argument("--prl", type=lambda s: [int(x) for x in s.split(",")], default=[1, 3, 6, 12, 15, 28, 42, 66, 67])
    p.add_argument("--timeout", type=float, default=6.0)
    p.add_argument("--src-port", type=int, default=68)
    p.add_argument("--src-addr", default="")
    p.add_argument("--all", action="store_true", help="collect every reply for the whole timeout")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("discover")
    sub.add_parser("dora")
    for name in ("request", "decline", "release", "inform"):
        s = sub.add_parser(name)
        s.add_argument("--addr", default="", help="option 50 requested address")
        s.add_argument("--ciaddr", default="0.0.0.0")
        s.add_argument("--server", default="", help="option 54 and unicast destination")
        s.add_argument("--port", type=int, default=67)
        s.add_argument("--no-server-id", action="store_true", help="send to --server but without option 54")
    s = sub.add_parser("crowd", help="--count clients from MAC prefix -m (first 3 bytes)")
    s.add_argument("--count", type=int, default=50)
    s.add_argument("--retry", type=float, default=1.0)
    s.add_argument("--spread", type=float, default=0.0, help="start the clients evenly over this many seconds")
    s = sub.add_parser("raw")
    s.add_argument("file")
    s.add_argument("--server", default="255.255.255.255")
    a = p.parse_args()

    c = Client(a.iface, a.mac, a.src_port, a.src_addr)
    xid = random.getrandbits(32)
    opts = common_options(a)
    results = []
    if a.cmd == "crowd":
        return crowd(c, a, opts)
    if a.cmd == "raw":
        with open(a.file, "rb") as f:
            c.send(f.read(), a.server)
        return 0
    if a.cmd in ("discover", "dora"):
        dopts = opts + (opt(50, socket.inet_aton(a.request_ip)) if a.request_ip else b"")
        got = c.exchange(build(1, a.mac, xid, options=dopts), xid, a.timeout, {"OFFER"}, first=not a.all)
        results += got
        if a.cmd == "dora" and got:
            # Beside a proxyDHCP server the first OFFER may carry no address:
            # wait a moment for the others, take one with an address.
            if not a.all:
                got += c.collect(xid, 0.5, {"OFFER"})
                results[:] = got
            with_addr = [r for r in got if r["yiaddr"] != "0.0.0.0" and "server_id" in r]
            if not with_addr:
                for r in results:
                    print(json.dumps(r, sort_keys=True))
                return 1
            off = with_addr[0]
            o = opts + opt(50, socket.inet_aton(off["yiaddr"])) + opt(54, socket.inet_aton(off["server_id"]))
            results += c.exchange(build(3, a.mac, xid, options=o), xid, a.timeout, {"ACK", "NAK"})
    else:
        mtype = NAMES[a.cmd.upper()]
        o = opts if mtype in (3, 8) else b""
        if a.cmd in ("decline", "release") and a.client_id:
            o += opt(61, bytes.fromhex(a.client_id))
        if a.addr:
            o += opt(50, socket.inet_aton(a.addr))
        if a.server and not a.no_server_id:
            o += opt(54, socket.inet_aton(a.server))
        # RFC 2131 4.4: DECLINE and INIT-REBOOT/SELECTING REQUESTs are broadcast;
        # RELEASE, INFORM, RENEW (ciaddr set) and port 4011 requests go to the server.
        unicast = a.cmd in ("release", "inform") or a.ciaddr != "0.0.0.0" or a.port != 67
        dest = a.server if a.server and unicast else "255.255.255.255"
        pkt = build(mtype, a.mac, xid, ciaddr=a.ciaddr, options=o)
        if mtype in (4, 7):  # no reply is defined for DECLINE and RELEASE
            c.send(pkt, dest, a.port)
            return 0
        results += c.exchange(pkt, xid, a.timeout, {"ACK", "NAK", "OFFER"}, dest, a.port, first=not a.all)
    for r in results:
        print(json.dumps(r, sort_keys=True))
    sys.stdout.flush()
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
