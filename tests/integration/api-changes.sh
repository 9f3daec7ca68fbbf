#!/usr/bin/env bash
# The JSON API's credential: reads and the boot endpoints iPXE needs are
# open; every change (POST/PUT/DELETE) without the token, or with a wrong
# one, is refused with 401 and changes nothing; with the token (the state
# directory's api-token, 0600, or [http] api-token) a host is added, changed,
# sent to a next boot and removed, and `labboot host ls` sees each change.
# Subnet 198.18.63.0/24.
source "$(dirname "$0")/../lib/common.sh"
t_need_root
t_need curl python3

d=$(lab_tmpdir)
NET=198.18.63
mkdir -p "$d/www"
cat >"$d/conf" <<EOF
$(t_conf_server $NET.1 "$d" http)
[dhcp]
mode = authoritative
range = $NET.100 $NET.150
[http]
root = $d/www
[image "tiny"]
kernel = vmlinuz
[host "alpha"]
mac = 52:54:00:63:00:10
ip = $NET.10
EOF
S=aps$$ C=apc$$
lab_up "$S" "$NET"
lab_add_veth_host "$S" "$C" 52:54:00:63:00:99
ip -n "$C" addr add $NET.99/24 dev eth0
t_labboot "$S" "$d/conf" "$d/labboot.log" >/dev/null
U=http://$NET.1
token=$(cat "$d/state/api-token")
t_expect_eq "api-token mode" "$(stat -c %a "$d/state/api-token")" "600"
[ ${#token} = 64 ] || t_fail "token length ${#token}"
code() { ip netns exec "$C" curl -s -o "$d/body" -w '%{http_code}' "$@"; }
hostls() { "$LABBOOT" host ls -c "$d/conf"; }

# reads and boot endpoints: open
t_expect_eq "GET /api/v1/hosts" "$(code "$U/api/v1/hosts")" 200
t_expect_eq "GET /api/v1/discovered" "$(code "$U/api/v1/discovered")" 200
t_expect_eq "GET /api/v1/log" "$(code "$U/api/v1/log")" 200
t_expect_eq "GET /boot.ipxe" "$(code "$U/boot.ipxe?mac=52:54:00:63:00:10")" 200

# changes without the token, or with a wrong one: 401, nothing changed
new='{"name": "gamma", "mac": "52:54:00:63:00:20", "ip": "'$NET'.20", "set": {"image": "tiny"}}'
for auth in "" "Authorization: Bearer wrong" "Authorization: Bearer ${token}x" "Cookie: labboot_token=nope"; do
	h=(); [ -n "$auth" ] && h=(-H "$auth")
	t_expect_eq "POST hosts (${auth:-no credential})" "$(code "${h[@]}" -X POST -d "$new" "$U/api/v1/hosts")" 401
	t_expect_eq "PUT hosts/alpha (${auth:-no credential})" "$(code "${h[@]}" -X PUT -d '{"set":{"image":"x"}}' "$U/api/v1/hosts/alpha")" 401
	t_expect_eq "DELETE hosts/alpha (${auth:-no credential})" "$(code "${h[@]}" -X DELETE "$U/api/v1/hosts/alpha")" 401
	for p in hosts/alpha/next-boot hosts/alpha/wake images/tiny/current reload; do
		t_expect_eq "POST $p (${auth:-no credential})" "$(code "${h[@]}" -X POST -d '{"entry":"local","version":"v"}' "$U/api/v1/$p")" 401
	done
done
grep -q "^gamma" <<<"$(hostls)" && t_fail "a refused change was made"
grep -q "next boot local" <<<"$("$LABBOOT" next-boot alpha -c "$d/conf")" && t_fail "a refused next boot was set"

# with the token
A=(-H "Authorization: Bearer $token")
t_expect_eq "POST hosts with the token" "$(code "${A[@]}" -X POST -d "$new" "$U/api/v1/hosts")" 200
grep -q '"applied": true' "$d/body" || t_fail "not applied: $(cat "$d/body")"
grep -q "^gamma .*runtime .*52:54:00:63:00:20 $NET.20 .*tiny" <<<"$(hostls)" || t_fail "host ls: $(hostls)"
t_expect_eq "the same again" "$(code "${A[@]}" -X POST -d "$new" "$U/api/v1/hosts")" 409
t_expect_eq "a clash" "$(code "${A[@]}" -X POST -d '{"name":"delta","mac":"52:54:00:63:00:10"}' "$U/api/v1/hosts")" 400
grep -q "is also host alpha's" "$d/body" || t_fail "clash message: $(cat "$d/body")"
t_expect_eq "PUT a file host" "$(code "${A[@]}" -X PUT -d '{"set":{"menu":"none"}}' "$U/api/v1/hosts/alpha")" 403
t_expect_eq "PUT gamma" "$(code "${A[@]}" -X PUT -d '{"set":{"menu":"none","image":""}}' "$U/api/v1/hosts/gamma")" 200
ip netns exec "$C" curl -s "$U/boot.ipxe?mac=52:54:00:63:00:20" | >/dev/null grep "^choose" && t_fail "menu = none not applied"
t_expect_eq "malformed body" "$(code "${A[@]}" -X PUT -d '{"set":' "$U/api/v1/hosts/gamma")" 400
t_expect_eq "next boot" "$(code "${A[@]}" -X POST -d '{"entry":"local"}' "$U/api/v1/hosts/gamma/next-boot")" 200
grep -q "next boot local" <<<"$("$LABBOOT" next-boot gamma -c "$d/conf")" || t_fail "next boot not stored"
t_expect_eq "next boot to nothing" "$(code "${A[@]}" -X POST -d '{"entry":"nothing-here"}' "$U/api/v1/hosts/gamma/next-boot")" 400
t_expect_eq "a body too large" "$(head -c 70000 /dev/zero | tr '\0' x | code "${A[@]}" -X PUT --data-binary @- "$U/api/v1/hosts/gamma")" 413
t_expect_eq "DELETE gamma" "$(code "${A[@]}" -X DELETE "$U/api/v1/hosts/gamma")" 200
grep -q "^gamma" <<<"$(hostls)" && t_fail "gamma not removed"
t_expect_eq "DELETE it again" "$(code "${A[@]}" -X DELETE "$U/api/v1/hosts/gamma")" 404
t_expect_eq "reload" "$(code "${A[@]}" -X POST "$U/api/v1/reload")" 200
t_ok "every change works with the token, and says why when it cannot"

# a token from the configuration replaces the file's
kill "$LABBOOT_PID"
for _ in $(seq 50); do kill -0 "$LABBOOT_PID" 2>/dev/null || break; sleep 0.1; done
sed -i "s|^root = $d/www|root = $d/www\napi-token = from-the-config-0123456789|" "$d/conf"
t_labboot "$S" "$d/conf" "$d/labboot2.log" >/dev/null
t_expect_eq "the file's token after [http] api-token" "$(code "${A[@]}" -X POST "$U/api/v1/reload")" 401
t_expect_eq "[http] api-token" "$(code -H "Authorization: Bearer from-the-config-0123456789" -X POST "$U/api/v1/reload")" 200
echo "all API credential checks passed"
