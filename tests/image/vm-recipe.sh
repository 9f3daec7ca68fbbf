# Sourceable: vm_test_recipe DIR writes DIR/vmimg.recipe, the image the VM
# tests and bench/image/boot.sh boot (tests/image/vm-test.recipe FROM the
# Debian live ISO of inputs.sh), with the files it copies beside it. Needs
# LIVE_ISO, LIVE_ISO_SHA256 and HELLO_DEB (eval "$(tests/image/inputs.sh)").
# shellcheck shell=bash
vm_test_recipe() {
	local r=$1 here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	mkdir -p "$r/files"
	ln -sf "$LIVE_ISO" "$r/debian-live.iso"
	cp "$HELLO_DEB" "$r/hello.deb"
	cp "$here/files/labboot-test.service" "$here/files/labboot-test-report" "$r/files/"
	{ echo "FROM ./debian-live.iso sha256:$LIVE_ISO_SHA256"; cat "$here/vm-test.recipe"; } >"$r/vmimg.recipe"
}
