#!/usr/bin/env bash
# The demo: the whole homelab in a private network namespace. labboot
# builds a Debian live image from the example recipe (tests/image/
# vm-test.recipe: debootstrap'd root, cached in /var/cache/labboot-test),
# keeps NFS-Ganesha's exports (the image versions read-only, /home
# read-write) and serves DHCP, DNS for .lab, the 5-second iPXE menu, the
# kernel, initrds and root. A BIOS VM boots with its root over NFS and a
# UEFI VM with its root fetched into RAM over HTTP, at once. Each comes up
# with its reserved hostname, resolves the other's NAME.lab, writes a file
# in its /home on NFS; both boot again and find the file. Then labboot
# prints each machine's boot timeline, split into phases.
#   MENU=5s (the iPXE menu's wait)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "demo: run as root (network namespaces, QEMU on a tap, NFS-Ganesha)"; exit 1; }
export MENU=${MENU:-5s} HOMELAB_DEMO=1
exec "$ROOT/tests/integration/vm-homelab.sh"
