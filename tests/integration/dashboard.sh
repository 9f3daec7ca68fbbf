#!/usr/bin/env bash
# The dashboard (/ui) in a real browser: headless Chromium driven over
# WebDriver (chromedriver) from a client namespace. Its pages show the
# hosts with their last boot (a good one, a failed one), the discovered
# machines, leases and pools, images, the log; a wrong token is refused and
# sets no cookie; logged in, adding a host, a next boot, turning a discovered
# machine into a host and rolling an image back each show in the labboot CLI;
# a change from the CLI appears in the open page by itself. Then with curl:
# a change without the cookie (401), with a wrong one (401), from another
# origin or none (403) changes nothing, nor does a cookie-authorized API
# change from another origin; the CSP and cookie flags are as documented.
# Screenshots go to $LOGDIR/dashboard-shots (else a directory it prints).
# Subnet 198.18.64.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need curl python3 chromium chromedriver

d=$(lab_tmpdir)
NET=198.18.64
SHOTS=${LOGDIR:+$LOGDIR/dashboard-shots}
SHOTS=${SHOTS:-$(mktemp -d /tmp/labboot-dashboard-shots.XXXXXX)}
mkdir -p "$SHOTS" "$d/www/images/tiny" "$d/images/live/2026-12-01" "$d/images/live/2026-12-05" "$d/home"
ln -s 2026-12-05 "$d/images/live/current"
head -c 4096 /dev/zero >"$d/www/images/tiny/vmlinuz"
cat >"$d/conf" <<CONF
$(t_conf_server $NET.1 "$d" http)
[dhcp]
mode = authoritative
range = $NET.100 $NET.150
[http]
root = $d/www
[images]
root = $d/images
[image "tiny"]
kernel = images/tiny/vmlinuz
[image "broken"]
kernel = images/broken/vmlinuz
[host "alpha"]
mac = 52:54:00:64:00:10
ip = $NET.10
image = tiny
[host "beta"]
mac = 52:54:00:64:00:11
image = broken
CONF
S=dbs$$ C=dbc$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C" 52:54:00:64:00:99
ip -n "$C" addr add $NET.99/24 dev eth0
t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null
U=http://$NET.1
token=$(cat "$d/state/api-token")
in_c() { ip netns exec "$C" "$@"; }
dhcp() { in_c python3 "$ROOT/tests/lib/dhcp_client.py" -i eth0 "$@" >/dev/null; }

# ---- something to show: alpha boots, beta's kernel is missing, one stranger
PXE=(--arch 7 --vendor-class PXEClient:Arch:00007:UNDI:003016)
boot() { # MAC: the firmware's DHCP, iPXE's, the script
	dhcp -m "$1" "${PXE[@]}" dora || t_fail "firmware DHCP of $1"
	dhcp -m "$1" "${PXE[@]}" --user-class iPXE dora || t_fail "iPXE's DHCP of $1"
	in_c curl -sf -o /dev/null "$U/boot.ipxe?mac=$1" || t_fail "script of $1"
}
boot 52:54:00:64:00:10
in_c curl -sf -o /dev/null "$U/images/tiny/vmlinuz?mac=52:54:00:64:00:10" || t_fail "alpha's kernel"
sleep 1 # the callback's clock: the kernel started 0.6 s ago, after its download (the bar shows each phase)
in_c curl -sf -o /dev/null "$U/booted?mac=52:54:00:64:00:10&up_ms=600&userspace_ms=300&ready_ms=500" ||
	t_fail "alpha's callback"
boot 52:54:00:64:00:11
in_c curl -s -o /dev/null "$U/images/broken/vmlinuz?mac=52:54:00:64:00:11"
dhcp -m 52:54:00:64:00:77 "${PXE[@]}" discover || t_fail "the stranger's discover"
hosts=$("$LABBOOT" hosts -c "$d/conf")
grep -q "up after" <<<"$hosts" || t_fail "labboot hosts: $hosts"

# ---- the browser
chrome=()
for f in --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
	--disable-component-update --disable-sync --disable-dev-shm-usage "--user-data-dir=$d/chrome"; do
	chrome+=("--chrome-arg=$f")
done
lab_spawn "$C" env HOME="$d/home" chromedriver --port=9515 >"$d/chromedriver.log" 2>&1
in_c env HOME="$d/home" python3 "$ROOT/tests/lib/dashboard_flow.py" --base "$U" --token "$token" \
	--labboot "$LABBOOT" --conf "$d/conf" --shots "$SHOTS" --images "$d/images" "${chrome[@]}" ||
	{ tail -n 20 "$d/chromedriver.log"; t_fail "the browser checks"; }
t_ok "screenshots in $SHOTS"

# ---- without the browser: refusals change nothing
code() { in_c curl -s -o "$d/body" -D "$d/headers" -w '%{http_code}' "$@"; }
hostls() { "$LABBOOT" host ls -c "$d/conf"; }
O=(-H "Origin: $U")
K=(-b "labboot_token=$token")
add='do=host-add&back=/ui/hosts&name=zeta&mac=52:54:00:64:00:30'
t_expect_eq "an add without the cookie" "$(code "${O[@]}" -d "$add" "$U/ui/action")" 401
t_expect_eq "an add with a wrong cookie" "$(code "${O[@]}" -b "labboot_token=${token}x" -d "$add" "$U/ui/action")" 401
t_expect_eq "an add from another origin" "$(code -H "Origin: http://198.18.65.1" "${K[@]}" -d "$add" "$U/ui/action")" 403
t_expect_eq "an add with no Origin nor Referer" "$(code "${K[@]}" -d "$add" "$U/ui/action")" 403
t_expect_eq "an add with a foreign Referer" \
	"$(code -H "Referer: http://$NET.1.evil/ui/hosts" "${K[@]}" -d "$add" "$U/ui/action")" 403
t_expect_eq "a next boot without the cookie" "$(code "${O[@]}" -d 'do=next-boot&host=beta&entry=local' "$U/ui/action")" 401
t_expect_eq "the API with the cookie from another origin" "$(code -H "Origin: http://198.18.65.1" "${K[@]}" \
	-X POST -d '{"name":"zeta","mac":"52:54:00:64:00:30"}' "$U/api/v1/hosts")" 401
if grep -q "^zeta" <<<"$(hostls)"; then t_fail "a refused change was made"; fi
if "$LABBOOT" next-boot beta -c "$d/conf" | grep -q local; then t_fail "a refused next boot was set"; fi
t_ok "nothing changed by the refused requests"
t_expect_eq "a login with a wrong token" "$(code "${O[@]}" -d 'token=wrong' "$U/ui/login")" 403
if grep -qi '^set-cookie' "$d/headers"; then t_fail "a wrong token got a cookie"; fi
t_expect_eq "a login from another origin" "$(code -H "Origin: http://198.18.65.1" -d "token=$token" "$U/ui/login")" 403
t_expect_eq "a login" "$(code "${O[@]}" -d "token=$token" "$U/ui/login")" 303
grep -qi "^set-cookie: labboot_token=$token; Path=/; HttpOnly; SameSite=Strict" "$d/headers" ||
	t_fail "cookie: $(cat "$d/headers")"
t_expect_eq "an add with the cookie from a page of the server" \
	"$(code -H "Referer: $U/ui/hosts" "${K[@]}" -d "$add" "$U/ui/action")" 303
grep -q "^zeta .*runtime" <<<"$(hostls)" || t_fail "zeta not added: $(hostls)"
t_expect_eq "a page" "$(code "$U/ui/hosts")" 200
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'" "$d/headers" ||
	t_fail "CSP: $(cat "$d/headers")"
if grep -qi '<script>\| style=\| on[a-z]*="' "$d/body"; then t_fail "inline script or style in a page"; fi
t_expect_eq "the script" "$(code "$U/ui/static/ui.js")" 200
grep -qi "^content-type: text/javascript" "$d/headers" || t_fail "ui.js type: $(cat "$d/headers")"
t_expect_eq "an unknown page" "$(code "$U/ui/nothing")" 404
t_expect_eq "a host that is not" "$(code "$U/ui/hosts/nobody")" 404
t_expect_eq "GET /ui/action" "$(code "$U/ui/action")" 405
echo "all dashboard checks passed"
