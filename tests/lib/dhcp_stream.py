#!/usr/bin/env python3
"""A small scriptable DHCP client for tests that need exact control over
what is sent (many MACs, DECLINE, INIT-REBOOT, INFORM, garbage). It speaks
over a UDP socket on port 68 bound to one interface; replies are received
broadcast or unicast on that interface."""
import argparse, random, socket, struct, sys, time

OPT_END, OPT_TYPE, OPT_REQ_IP, OPT_SERVER = 255, 53, 50, 54
TYPES = {"DISCOVER": 1, "OFFER": 2, "REQUEST": 3, "DECLINE": 4, "ACK": 5, "NAK": 6, "RELEASE": 7, "INFORM": 8}
NAMES = {v: k for k, v in TYPES.items()}


def packet(mtype, mac, xid, ciaddr="0.0.0.0", opts=(), flags=0x8000):
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, flags,
                      socket.inet_aton(ciaddr), bytes(4), bytes(4), bytes(4),
                      mac + bytes(10), bytes(64), bytes(128))
    body = bytes([OPT_TYPE, 1, TYPES[mtype]])
    for code, val in opts:
        body += bytes([code, len(val)]) + val
    return hdr + b"\x63\x82\x53\x63" + body + bytes([OPT_END]) + bytes(max(0, 60 - len(body)))


def parse(data):
    if len(data) < 240 or data[236:240] != b"\x63\x82\x53\x63":
        return None
    xid = struct.unpack("!I", data[4:8])[0]
    yiaddr = socket.inet_ntoa(data[16:20])
    opts, i = {}, 240
    while i < len(data) and data[i] != OPT_END:
        if data[i] == 0:
            i += 1
            continue
        code, ln = data[i], data[i + 1]
        opts[code] = data[i + 2:i + 2 + ln]
        i += 2 + ln
    return {"xid": xid, "yiaddr": yiaddr, "type": NAMES.get(opts.get(OPT_TYPE, b"\0")[0], "?"), "opts": opts}


class Client:
    def __init__(self, iface, timeout=1.5):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        self.s.bind(("", 68))
        self.timeout = timeout

    def send(self, pkt, dest="255.255.255.255", port=67):
        self.s.sendto(pkt, (dest, port))

    def wait(self, xid):
        end = time.time() + self.timeout
        while time.time() < end:
            self.s.settimeout(max(0.01, end - time.time()))
            try:
                data, _ = self.s.recvfrom(2048)
            except socket.timeout:
                break
            r = parse(data)
            if r and r["xid"] == xid:
                return r
        return None

    def dora(self, mac):
        xid = random.getrandbits(32)
        self.send(packet("DISCOVER", mac, xid))
        offer = self.wait(xid)
        if not offer or offer["type"] != "OFFER":
            return None, None
        server = offer["opts"][OPT_SERVER]
        self.send(packet("REQUEST", mac, xid, opts=[(OPT_REQ_IP, socket.inet_aton(offer["yiaddr"])),
                                                    (OPT_SERVER, server)]))
        ack = self.wait(xid)
        return offer, ack


def mac_of(n):
    return bytes([0x02, 0x42, (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("cmd", choices=["dora-many", "init-reboot", "decline", "inform", "raw"])
    ap.add_argument("--start", type=int, default=1)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--ip", default="0.0.0.0")
    ap.add_argument("--server", default="0.0.0.0")
    ap.add_argument("--hex", default="")
    a = ap.parse_args()
    c = Client(a.iface)
    if a.cmd == "dora-many":
        # prints "MAC IP" for every ACK, as soon as it arrives; stops after
        # three clients in a row got nothing (the server is gone)
        misses = 0
        for n in range(a.start, a.start + a.count):
            mac = mac_of(n)
            _, ack = c.dora(mac)
            if ack and ack["type"] == "ACK":
                print(mac.hex(":"), ack["yiaddr"], flush=True)
                misses = 0
            else:
                misses += 1
                if misses == 3:
                    break
    elif a.cmd == "init-reboot":
        xid = random.getrandbits(32)
        c.send(packet("REQUEST", mac_of(a.start), xid, opts=[(OPT_REQ_IP, socket.inet_aton(a.ip))]))
        r = c.wait(xid)
        print(r["type"] if r else "none", r["yiaddr"] if r else "")
    elif a.cmd == "decline":
        xid = random.getrandbits(32)
        c.send(packet("DECLINE", mac_of(a.start), xid, opts=[(OPT_REQ_IP, socket.inet_aton(a.ip)),
                                                              (OPT_SERVER, socket.inet_aton(a.server))]))
        print("sent")
    elif a.cmd == "inform":
        xid = random.getrandbits(32)
        c.send(packet("INFORM", mac_of(a.start), xid, ciaddr=a.ip, flags=0), dest=a.server)
        r = c.wait(xid)
        print(r["type"] if r else "none", "lease-time" if r and 51 in r["opts"] else "no-lease-time")
    elif a.cmd == "raw":
        c.send(bytes.fromhex(a.hex))
        print("sent")


if __name__ == "__main__":
    sys.exit(main())
