#!/usr/bin/env python3
"""The misbehaving client of tests/integration/fair-share.sh: one address
that tries to take more than its share of each labboot service. Every mode
is bounded in counts and time and prints its findings as one JSON line.

  hostile_client.py http-hold SERVER N HOLD_S   # N half-sent requests, held
  hostile_client.py http-slow SERVER PATH PAUSE_S  # a GET read after a pause
  hostile_client.py tcp-hold SERVER PORT N HOLD_S  # N idle connections
  hostile_client.py tftp-flood SERVER FILE N    # N RRQs, never acknowledged
  hostile_client.py dns-flood SERVER NAME N     # N UDP queries at once
  hostile_client.py dhcp-flood IFACE SERVER N RESERVED  # DISCOVERs, random MACs
"""
import json
import os
import random
import resource
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def out(**kw):
    print(json.dumps(kw), flush=True)


def still_open(s):
    """True while the server has not closed the connection."""
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def http_hold(server, n, hold_s):
    """Keeps as many half-sent requests open as the server lets it for
    hold_s seconds, opening new ones as old ones are closed; reports after
    the first n tries, then at the end how long the server took to close
    the last ones once it stopped."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * n), hard))
    held, tried, refused, max_held, reported = [], 0, 0, 0, False
    t0 = time.monotonic()
    while time.monotonic() - t0 < hold_s and tried < 4 * n:
        for _ in range(100):
            s = socket.socket()
            s.settimeout(2)
            tried += 1
            try:
                s.connect((server, 80))
                s.sendall(b"GET /boot.ipxe HT")  # half a request line, then nothing
                s.settimeout(None)  # so that still_open() never waits
                held.append(s)
            except OSError:
                refused += 1
                s.close()
        time.sleep(0.05)  # the server closes the ones over the limit
        for s in held:
            if not still_open(s):
                s.close()
        held = [s for s in held if s.fileno() >= 0]
        max_held = max(max_held, len(held))
        if tried >= n and not reported:
            out(event="held", tried=tried, held=max_held, refused=refused,
                opened_s=round(time.monotonic() - t0, 2))
            reported = True
    out(event="attack", tried=tried, held=max_held, seconds=round(time.monotonic() - t0, 2))
    t1 = time.monotonic()
    while held and time.monotonic() - t1 < 15:
        time.sleep(0.1)
        for s in held:
            if not still_open(s):
                s.close()
        held = [s for s in held if s.fileno() >= 0]
    out(event="released", left=len(held), after_s=round(time.monotonic() - t1, 2))


def http_slow(server, path, pause_s):
    s = socket.create_connection((server, 80), timeout=10)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, server)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1024)
    header, body = head.split(b"\r\n\r\n", 1)
    length = 0
    for line in header.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    time.sleep(pause_s)  # the server's socket buffer fills, sendfile() waits
    got = len(body)
    s.settimeout(10)
    try:
        while got < length:
            b = s.recv(1 << 20)
            if not b:
                break
            got += len(b)
    except OSError:
        pass
    out(event="slow", length=length, got=got)


def tcp_hold(server, port, n, hold_s):
    """N connections that never send a byte, held hold_s seconds."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect((server, port))
            s.settimeout(None)
            socks.append(s)
        except OSError:
            s.close()
    time.sleep(0.3)
    out(event="held", tried=n, held=sum(still_open(s) for s in socks))
    time.sleep(hold_s)


def tftp_flood(server, name, n):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
    rrq = b"\x00\x01" + name.encode() + b"\x00octet\x00"
    data_from, errors, busy = set(), 0, 0
    t0 = time.monotonic()

    def drain(timeout):
        nonlocal errors, busy
        r, _, _ = select.select(socks, [], [], timeout)
        for s in r:
            try:
                pkt, addr = s.recvfrom(2048)
            except OSError:
                continue
            if pkt[:2] == b"\x00\x03":
                data_from.add(addr)          # a transfer started: never ACKed
            elif pkt[:2] == b"\x00\x05":
                errors += 1
                busy += b"busy" in pkt
    for i in range(n):
        socks[i % len(socks)].sendto(rrq, (server, 69))
        if i % 64 == 63:
            drain(0.002)
    flood_s = time.monotonic() - t0
    end = time.monotonic() + 1
    while time.monotonic() < end:
        drain(0.1)
    out(event="flood", sent=n, transfers=len(data_from), errors=errors, busy=busy,
        flood_s=round(flood_s, 2))
    # slots come back once the unanswered transfers are given up
    t1 = time.monotonic()
    back = None
    while back is None and time.monotonic() - t1 < 20:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(rrq, (server, 69))
        r, _, _ = select.select([s], [], [], 0.5)
        if r and s.recv(2048)[:2] == b"\x00\x03":
            back = time.monotonic() - t1
        s.close()
        time.sleep(0.2)
    out(event="back", after_s=None if back is None else round(back, 2))


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack("!HH", 1, 1)


def dns_flood(server, name, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    answered = truncated = other = 0
    t0 = time.monotonic()

    def drain(timeout):
        nonlocal answered, truncated, other
        while select.select([s], [], [], timeout)[0]:
            pkt = s.recv(4096)
            flags, ancount = struct.unpack("!H", pkt[2:4])[0], struct.unpack("!H", pkt[6:8])[0]
            if flags & 0x0200:
                truncated += 1
            elif ancount:
                answered += 1
            else:
                other += 1
            timeout = 0
    for i in range(n):
        s.sendto(dns_query(i & 0xffff, name), (server, 53))
        if i % 32 == 31:
            drain(0)
            time.sleep(0.001)  # within the server's socket buffer
    flood_s = time.monotonic() - t0
    drain(1)
    out(event="dns", sent=n, answered=answered, truncated=truncated, other=other,
        flood_s=round(flood_s, 2))


def dhcp_flood(iface, server, n, reserved):
    from dhcp_client import build, opt
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, 25, iface.encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("", 68))
    want = socket.inet_aton(reserved)
    offers, acks, got_reserved, addrs = 0, 0, 0, set()

    def drain(timeout):
        nonlocal offers, acks, got_reserved
        while select.select([s], [], [], timeout)[0]:
            pkt = s.recv(4096)
            timeout = 0
            if len(pkt) < 240:
                continue
            yiaddr = pkt[16:20]
            kind = pkt[pkt.find(b"\x35\x01", 240) + 2] if b"\x35\x01" in pkt[240:] else 0
            offers += kind == 2
            acks += kind == 5
            if kind in (2, 5):
                addrs.add(socket.inet_ntoa(yiaddr))
                got_reserved += yiaddr == want
    for i in range(n):
        mac = bytes([0x02]) + os.urandom(5)
        opts = b""
        if i % 2:  # ask for the reserved address outright
            opts = opt(50, want)
        kind = 3 if i % 5 == 4 else 1  # some REQUESTs (INIT-REBOOT) for it too
        if kind == 3:
            opts = opt(50, want)
        pkt = build(kind, mac, random.getrandbits(32), options=opts)
        s.sendto(pkt, ("255.255.255.255", 67))
        if i % 32 == 31:
            drain(0.005)
    drain(2)
    out(event="dhcp", sent=n, offers=offers, acks=acks, reserved_given=got_reserved, addresses=len(addrs))


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "http-hold":
        http_hold(args[0], int(args[1]), float(args[2]))
    elif mode == "http-slow":
        http_slow(args[0], args[1], float(args[2]))
    elif mode == "tcp-hold":
        tcp_hold(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif mode == "tftp-flood":
        tftp_flood(args[0], args[1], int(args[2]))
    elif mode == "dns-flood":
        dns_flood(args[0], args[1], int(args[2]))
    elif mode == "dhcp-flood":
        dhcp_flood(args[0], args[1], int(args[2]), args[3])
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
