#!/usr/bin/env bash
# HTTP with real curl: files (GET, HEAD, Range, If-Modified-Since, keep-alive,
# a 1 GiB sparse file), refused path escapes, per-host iPXE scripts, the
# booted callback, the JSON API.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need curl python3
d=$(lab_tmpdir)
mkdir -p "$d/http/images/live" "$d/outside"
head -c 1000 /dev/urandom > "$d/http/small.bin"
head -c 300000 /dev/urandom > "$d/http/images/live/vmlinuz"
echo secret > "$d/outside/secret"
ln -s "$d/outside/secret" "$d/http/escape"
truncate -s 1G "$d/http/big.img"
cat > "$d/conf" <<C
[server]
interface = br0
address = 198.18.21.1
state-dir = $d/state
[dhcp]
mode = off
range = 198.18.21.100 198.18.21.200
[tftp]
enable = no
[dns]
enable = no
[http]
root = $d/http
[boot]
image = live
[image "live"]
kernel = images/live/vmlinuz
initrd = images/live/initrd.img
cmdline = boot=live
[host "beta"]
mac = 52:54:00:21:00:01
ip = 198.18.21.12
[host "kiosk"]
mac = 52:54:00:21:00:02
menu = none
[host "custom"]
mac = 52:54:00:21:00:03
script = scripts/custom.ipxe
C
mkdir -p "$d/http/scripts"
printf '#!ipxe\necho hello {{hostname}} at {{mac}}\nchain {{url}}/other.ipxe\n' > "$d/http/scripts/custom.ipxe"
lab=lbhttp$$
lab_up "$lab" 198.18.21
lab_add_veth_host "$lab" hc$$
ip -n hc$$ addr add 198.18.21.50/24 dev eth0
t_labboot "$lab" "$d/conf" "$d/log"
c() { ip netns exec hc$$ curl -sS --max-time 20 "$@"; }
U=http://198.18.21.1

t_expect_eq "GET small file" "$(c "$U/small.bin" | sha256sum)" "$(sha256sum < "$d/http/small.bin")"
t_expect_eq "HEAD length" "$(c -I "$U/small.bin" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-length"{print $2}')" 1000
t_expect_eq "Range 206" "$(c -o /dev/null -w '%{http_code}' -r 100-199 "$U/small.bin")" 206
t_expect_eq "Range bytes" "$(c -r 100-199 "$U/small.bin" | sha256sum)" "$(tail -c +101 "$d/http/small.bin" | head -c 100 | sha256sum)"
t_expect_eq "suffix Range" "$(c -r -10 "$U/small.bin" | sha256sum)" "$(tail -c 10 "$d/http/small.bin" | sha256sum)"
t_expect_eq "Range 416" "$(c -o /dev/null -w '%{http_code}' -r 5000- "$U/small.bin")" 416
lm=$(c -I "$U/small.bin" | tr -d '\r' | awk -F': ' 'tolower($1)=="last-modified"{print $2}')
t_expect_eq "If-Modified-Since 304" "$(c -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $lm" "$U/small.bin")" 304
t_expect_eq "keep-alive reuses the connection" \
	"$(c -v -o /dev/null -o /dev/null "$U/small.bin" "$U/small.bin" 2>&1 | grep -c 'Re-using existing connection')" 1
t_expect_eq "1 GiB download size" "$(c -o /dev/null -w '%{size_download}' "$U/big.img")" 1073741824
t_expect_eq "missing 404" "$(c -o /dev/null -w '%{http_code}' "$U/nope")" 404
t_expect_eq "dot-dot refused" "$(c --path-as-is -o /dev/null -w '%{http_code}' "$U/../../etc/passwd")" 403
t_expect_eq "encoded dot-dot refused" "$(c --path-as-is -o /dev/null -w '%{http_code}' "$U/%2e%2e/%2e%2e/etc/passwd")" 403
t_expect_eq "symlink out of the root refused" "$(c -o /dev/null -w '%{http_code}' "$U/escape")" 403
t_expect_eq "iPXE binary served" "$(c -o /dev/null -w '%{http_code}' "$U/ipxe/snponly.efi")" 200
t_expect_eq "PUT refused" "$(c -o /dev/null -w '%{http_code}' -X PUT --data x "$U/small.bin")" 405

script=$(c "$U/boot.ipxe?mac=52:54:00:21:00:01")
# iPXE's connection closes after its script (a UEFI iPXE quirk); others keep it
c -D - -o /dev/null -A "iPXE/1.0.0" "$U/boot.ipxe?mac=52:54:00:21:00:02" | >/dev/null grep -i "^connection: close" ||
	t_fail "no Connection: close for iPXE"
c -D - -o /dev/null "$U/boot.ipxe?mac=52:54:00:21:00:02" | >/dev/null grep -i "^connection: close" &&
	t_fail "Connection: close for a client that is not iPXE"
t_ok "iPXE's script connection closes, others stay open"
echo "$script" | >/dev/null grep '^#!ipxe' || t_fail "script: $script"
echo "$script" | >/dev/null grep "choose --timeout 5000 --default image" || t_fail "no 5 s menu: $script"
echo "$script" | >/dev/null grep "kernel $U/images/live/vmlinuz initrd=initrd.img boot=live hostname=beta" || t_fail "kernel line: $script"
t_ok "beta's script has the menu, its kernel and hostname=beta"
script=$(c "$U/boot.ipxe?mac=52:54:00:21:00:02")
echo "$script" | >/dev/null grep "choose" && t_fail "menu = none still shows a menu"
echo "$script" | >/dev/null grep "hostname=kiosk" || t_fail "kiosk script: $script"
t_ok "menu = none skips the menu"
c "$U/boot.ipxe?mac=52:54:00:21:00:99" | >/dev/null grep "unknown host" || t_fail "unknown MAC script"
script=$(c "$U/boot.ipxe?mac=52:54:00:21:00:03")
echo "$script" | >/dev/null grep "echo hello custom at 52:54:00:21:00:03" || t_fail "template: $script"
echo "$script" | >/dev/null grep "chain $U/other.ipxe" || t_fail "template url: $script"
t_ok "a host's own script template is filled in"
t_ok "unknown machine gets the default menu"

c -o /dev/null "$U/images/live/vmlinuz?mac=52:54:00:21:00:01"
t_expect_eq "booted callback" "$(c "$U/booted?mac=52:54:00:21:00:01")" ok
c "$U/api/v1/hosts" | python3 -c 'import json,sys; h=json.load(sys.stdin); assert h[0]["name"]=="beta", h' \
	|| t_fail "hosts API"
c "$U/api/v1/hosts/beta/events" | python3 -c '
import json, sys
kinds = [e["kind"] for e in json.load(sys.stdin)]
assert kinds == ["script", "kernel", "booted"], kinds' || t_fail "events API"
t_ok "JSON API lists hosts and beta's boot events"
"$LABBOOT" hosts -c "$d/conf" | grep "booted" >/dev/null || t_fail "labboot hosts shows no booted event"
t_ok "labboot hosts shows the timeline"
kill -0 "$LABBOOT_PID" || t_fail "labboot died"
