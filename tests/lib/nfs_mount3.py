#!/usr/bin/env python3
"""What an initramfs's klibc nfsmount does before the kernel mounts an NFSv3
root, without a kernel NFS client: ask rpcbind (port 111, portmapper v2
GETPORT) for the MOUNT v3 port, call MOUNTPROC3_MNT for PATH with AUTH_SYS
root credentials, and ask rpcbind for the NFS v3 port.

  nfs_mount3.py SERVER PATH [udp|tcp]

Prints "ok mountd=PORT nfs=PORT fh=HEX" and exits 0 when the MOUNT call
returns MNT3_OK; prints "mount status N" (13: MNT3ERR_ACCES, 2: NOENT) and
exits 2 when the server answers with an error; exits 1 when it does not
answer (timeout, refused, no such program).
"""
import os
import socket
import struct
import sys

PMAP_PROG, PMAP_VERS, PMAPPROC_GETPORT = 100000, 2, 3
MOUNT_PROG, MOUNT_VERS, MOUNTPROC3_MNT = 100005, 3, 1
NFS_PROG, NFS_VERS = 100003, 3
IPPROTO = {"udp": 17, "tcp": 6}


def xdr_opaque(b):
    return struct.pack(">I", len(b)) + b + b"\0" * (-len(b) % 4)


def auth_sys():
    body = struct.pack(">I", 0) + xdr_opaque(b"labboot") + struct.pack(">III", 0, 0, 0)
    return struct.pack(">I", 1) + xdr_opaque(body)


def call(server, port, proto, prog, vers, proc, args, timeout=3.0):
    xid = struct.unpack(">I", os.urandom(4))[0]
    msg = struct.pack(">IIIIII", xid, 0, 2, prog, vers, proc) + auth_sys() + struct.pack(">II", 0, 0) + args
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            s.sendto(msg, (server, port))
            while True:
                data = s.recv(65536)
                if struct.unpack(">I", data[:4])[0] == xid:
                    break
        finally:
            s.close()
    else:
        s = socket.create_connection((server, port), timeout=timeout)
        try:
            s.sendall(struct.pack(">I", 0x80000000 | len(msg)) + msg)
            data = b""
            last = False
            while not last:
                hdr = recv_exact(s, 4)
                (mark,) = struct.unpack(">I", hdr)
                last = bool(mark & 0x80000000)
                data += recv_exact(s, mark & 0x7FFFFFFF)
        finally:
            s.close()
    xid_r, mtype, reply_stat = struct.unpack(">III", data[:12])
    if mtype != 1 or reply_stat != 0:
        raise RuntimeError("rpc call denied (reply_stat %d)" % reply_stat)
    _flavor, vlen = struct.unpack(">II", data[12:20])
    off = 20 + vlen + (-vlen % 4)
    (accept_stat,) = struct.unpack(">I", data[off:off + 4])
    if accept_stat != 0:
        raise RuntimeError("rpc call not accepted (accept_stat %d)" % accept_stat)
    return data[off + 4:]


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise RuntimeError("connection closed")
        b += chunk
    return b


def getport(server, proto, prog, vers):
    res = call(server, 111, proto, PMAP_PROG, PMAP_VERS, PMAPPROC_GETPORT,
               struct.pack(">IIII", prog, vers, IPPROTO[proto], 0))
    return struct.unpack(">I", res[:4])[0]


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 1
    server, path = sys.argv[1], sys.argv[2]
    proto = sys.argv[3] if len(sys.argv) == 4 else "udp"
    try:
        mport = getport(server, proto, MOUNT_PROG, MOUNT_VERS)
        if mport == 0:
            print("no MOUNT v3 over %s registered" % proto)
            return 1
        res = call(server, mport, proto, MOUNT_PROG, MOUNT_VERS, MOUNTPROC3_MNT, xdr_opaque(path.encode()))
        (status,) = struct.unpack(">I", res[:4])
        if status != 0:
            print("mount status %d" % status)
            return 2
        (fhlen,) = struct.unpack(">I", res[4:8])
        fh = res[8:8 + fhlen].hex()
        nport = getport(server, proto, NFS_PROG, NFS_VERS)
    except (OSError, RuntimeError) as e:
        print("no answer: %s" % e)
        return 1
    print("ok mountd=%d nfs=%d fh=%s" % (mport, nport, fh))
    return 0


if __name__ == "__main__":
    sys.exit(main())
