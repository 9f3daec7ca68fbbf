#!/usr/bin/env bash
# The soak of bench/soak/run.sh, short: 90 s of DHCP (a stream client and
# perfdhcp), TFTP, HTTP and DNS load with hostile clients, SIGHUP every 7 s
# and kill -9 every 30 s. Fails if an ACKed lease is lost, an address is
# given twice, labboot dies by itself, or a service served nothing.
exec env DURATION=90 KILL_EVERY=30 HUP_EVERY=7 "$(dirname "$0")/../../bench/soak/run.sh"
