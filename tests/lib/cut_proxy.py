#!/usr/bin/env python3
"""A TCP proxy in front of labboot's HTTP server that cuts one download
half-way, the way a flaky link or a restarted switch does.

  cut_proxy.py LISTEN_ADDR:PORT UPSTREAM_ADDR:PORT PATTERN CUT_BYTES

Every connection is forwarded as it is. The first request whose request
line contains PATTERN gets CUT_BYTES of its response, then both sides are
closed (the client sees a short body). Each request line is logged on
stdout as "request LINE", each cut as "cut PATH after N bytes"; later
requests for it pass through.
"""
import socket
import sys
import threading

lock = threading.Lock()
cut_done = False


def pipe(src, dst, limit=None):
    sent = 0
    try:
        while True:
            want = 65536 if limit is None else min(65536, limit - sent)
            if want <= 0:
                return sent
            data = src.recv(want)
            if not data:
                return sent
            dst.sendall(data)
            sent += len(data)
    except OSError:
        return sent
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(client, upstream_addr, pattern, cut_bytes):
    global cut_done
    up = socket.create_connection(upstream_addr)
    head = b""
    while b"\r\n" not in head:
        chunk = client.recv(4096)
        if not chunk:
            break
        head += chunk
    line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    cut = False
    with lock:
        if not cut_done and pattern in line:
            cut_done = cut = True
    print(f"request {line}", flush=True)
    up.sendall(head)
    threading.Thread(target=pipe, args=(client, up), daemon=True).start()
    n = pipe(up, client, cut_bytes if cut else None)
    if cut:
        print(f"cut {line.split(' ')[1] if ' ' in line else line} after {n} bytes", flush=True)
    client.close()
    up.close()


def main():
    listen, upstream, pattern, cut_bytes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    lh, lp = listen.rsplit(":", 1)
    uh, up = upstream.rsplit(":", 1)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((lh, int(lp)))
    srv.listen(64)
    print("listening", flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=handle, args=(c, (uh, int(up)), pattern, cut_bytes), daemon=True).start()


if __name__ == "__main__":
    main()
