#!/usr/bin/env python3
"""The browser half of tests/integration/dashboard.sh: drives headless
Chromium through chromedriver over the dashboard and checks what a user
sees and what each click changes (through the labboot CLI).

dashboard_flow.py --base URL --token T --labboot BIN --conf FILE --shots DIR
  [--port 9515] [--chrome-arg ARG ...]
Prints "ok: ..." per check; exits 1 with "FAIL: ..." at the first failure.
"""
import argparse
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webdriver import WebDriver, WebDriverError  # noqa: E402

a = None
wd = None


def fail(msg):
    raise WebDriverError(msg)


def ok(msg):
    print(f"ok: {msg}", flush=True)


def cli(*args):
    return subprocess.run([a.labboot, *args, "-c", a.conf], capture_output=True, text=True, check=False).stdout


def shot(name):
    path = os.path.join(a.shots, f"{name}.png")
    wd.screenshot(path)
    ok(f"screenshot {path}")


def page(path):
    wd.get(a.base + path)
    return wd.find("main")


def main_text():
    return wd.text(wd.find("main"))


def expect_in(what, needle, text):
    if needle not in text:
        fail(f"{what}: no '{needle}' in:\n{text}")
    ok(f"{what}: '{needle}'")


def message():
    return wd.text(wd.find("#message"))


def host_row(name):
    rows = wd.find_all(f'tr.host[data-host="{name}"]')
    return wd.text(rows[0]) if rows else ""


def submit(el):
    """Clicks el and waits for the page its form leads to (a new document)."""
    wd.execute("window.labbootOld = true;")
    wd.click(el)
    wd.wait("the next page", lambda: wd.execute(
        "return !window.labbootOld && document.readyState === 'complete';"))


def submit_in(row_css, button_text):
    """Clicks the button labelled button_text inside the element row_css."""
    row = wd.find(row_css)
    for b in wd.find_all("button", row):
        if wd.text(b) == button_text:
            submit(b)
            return
    fail(f"no button '{button_text}' in {row_css}")


def read_only_pages():
    page("/ui/hosts")
    if "Hosts" not in wd.title():
        fail(f"title {wd.title()}")
    expect_in("hosts page", "alpha", host_row("alpha"))
    expect_in("alpha's last boot", "up after", host_row("alpha"))
    expect_in("beta's failed boot", "failed: http-error", host_row("beta"))
    expect_in("the read-only note", "Read-only", main_text())
    if wd.find_all('form[action="/ui/action"]'):
        fail("forms that change things shown before the login")
    ok("no change forms before the login")
    wd.wait("the live script", lambda: "live" in wd.text(wd.find("#live-status")), timeout=20)
    ok("the script runs (CSP allows /ui/static/ui.js)")
    shot("1-hosts-read-only")
    page("/ui/hosts/alpha")
    expect_in("alpha's events", "booted", main_text())
    expect_in("alpha's events", "kernel", main_text())
    page("/ui/discovered")
    expect_in("discovered", "52:54:00:64:00:77", main_text())
    page("/ui/leases")
    expect_in("pools", "198.18.64.100 - 198.18.64.150", main_text())
    expect_in("leases", "52:54:00:64:00:10", main_text())
    page("/ui/images")
    expect_in("images", "2026-12-05", main_text())
    expect_in("images", "[image] section", main_text())
    page("/ui/log")
    expect_in("log", "http: serving", main_text())


def login(token):
    page("/ui/login")
    wd.type(wd.find("#token"), token)
    submit(wd.find("#login"))


def logins():
    login("not-the-token")
    expect_in("a wrong token", "That is not the token", main_text())
    if any(c["name"] == "labboot_token" for c in wd.cookies()):
        fail("a wrong token set the cookie")
    ok("a wrong token sets no cookie")
    login(a.token)
    wd.wait("the hosts page after the login", lambda: wd.url().endswith("/ui/hosts"))
    wd.find("#logout")
    c = [c for c in wd.cookies() if c["name"] == "labboot_token"]
    if not c or not c[0].get("httpOnly") or c[0].get("sameSite") != "Strict":
        fail(f"cookie {c}")
    ok("logged in: cookie labboot_token HttpOnly SameSite=Strict")
    if wd.execute("return document.cookie;"):
        fail("the page's script can read the cookie")
    ok("the script cannot read the cookie")


def changes():
    page("/ui/hosts")
    wd.type(wd.find("#add-name"), "gamma")
    wd.type(wd.find("#add-mac"), "52:54:00:64:00:20")
    wd.type(wd.find("#add-ip"), "198.18.64.20")
    wd.type(wd.find("#add-image"), "tiny")
    submit(wd.find("#add-submit"))
    expect_in("adding gamma", "host gamma added", message())
    expect_in("gamma in the page", "runtime", host_row("gamma"))
    ls = cli("host", "ls")
    if not any(ln.startswith("gamma ") and "52:54:00:64:00:20" in ln and "tiny" in ln for ln in ls.splitlines()):
        fail(f"labboot host ls after the page's add:\n{ls}")
    ok("labboot host ls has gamma (runtime, its MAC, image tiny)")
    shot("2-host-added")

    # a host from the file: next boot from its row
    row = 'tr.host[data-host="alpha"]'
    for o in wd.find_all(f'{row} select[name="entry"] option'):
        if wd.text(o) == "netboot.xyz":
            wd.click(o)
    submit_in(row, "Next boot")
    expect_in("next boot", "alpha: next boot netbootxyz, once", message())
    out = cli("next-boot", "alpha")
    if "netbootxyz" not in out:
        fail(f"labboot next-boot alpha: {out}")
    ok(f"labboot next-boot alpha: {out.strip()}")

    # wake: the magic packet reaches this namespace's eth0 (broadcast, port 9)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("", 9))
        rx.settimeout(10)
        submit_in('tr.host[data-host="alpha"]', "Wake")
        expect_in("wake", "magic packet for 52:54:00:64:00:10 sent on br0", message())
        want = b"\xff" * 6 + bytes.fromhex("525400640010") * 16
        got = rx.recv(200)
        if got != want:
            fail(f"magic packet {got.hex()}")
    ok("the magic packet for alpha arrived")

    # the discovered machine becomes a host
    page("/ui/discovered")
    row = 'tr.machine[data-mac="52:54:00:64:00:77"]'
    wd.type(wd.find(f'{row} input[name="name"]'), "delta")
    submit_in(row, "Add")
    expect_in("adopting", "host delta added", message())
    if "52:54:00:64:00:77" in main_text().split("host delta added", 1)[1]:
        fail("still listed as discovered")
    if not any(ln.startswith("delta ") for ln in cli("host", "ls").splitlines()):
        fail("delta not in labboot host ls")
    ok("the discovered machine is host delta")

    # roll the built image back to its older version
    page("/ui/images")
    submit_in('tr.image[data-image="live"]', "Roll back to it")
    expect_in("rollback", "live@2026-12-01 is now the default", message())
    shot("4-images")
    cur = os.readlink(os.path.join(a.images, "live", "current"))
    if cur != "2026-12-01":
        fail(f"current is {cur}")
    ok("images/live/current -> 2026-12-01")

    # a refusal is shown, not hidden
    page("/ui/hosts")
    wd.type(wd.find("#add-name"), "epsilon")
    wd.type(wd.find("#add-mac"), "52:54:00:64:00:10")  # alpha's
    submit(wd.find("#add-submit"))
    expect_in("a clash", "alpha", message())
    if "bad" not in wd.prop(wd.find("#message"), "className"):
        fail("a refusal shown as a success")
    ok("a refused change is shown as refused")


def next_cell(name):
    return wd.text(wd.find(f'tr.host[data-host="{name}"] td.next'))


def live_update():
    page("/ui/hosts")
    before = next_cell("gamma")
    if before != "-":
        fail(f"gamma's next boot: {before}")
    out = subprocess.run([a.labboot, "next-boot", "gamma", "local", "-c", a.conf], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"labboot next-boot gamma local: {out.stderr}")
    wd.wait("the page to show the CLI's next boot", lambda: next_cell("gamma") == "local", timeout=30)
    ok("the page shows a change made by the CLI without a reload")
    shot("3-hosts-live")
    page("/ui/hosts/beta")
    expect_in("beta's page", "http-error", main_text())
    shot("5-host-beta")


def main():
    global a, wd
    p = argparse.ArgumentParser()
    for k in ("base", "token", "labboot", "conf", "shots", "images"):
        p.add_argument(f"--{k}", required=True)
    p.add_argument("--port", type=int, default=9515)
    p.add_argument("--chrome-arg", action="append", default=[])
    a = p.parse_args()
    wd = WebDriver(a.port)
    wd.wait_ready()
    wd.start(a.chrome_arg, binary="/usr/bin/chromium")
    try:
        wd.window_size(1400, 1000)
        read_only_pages()
        logins()
        changes()
        live_update()
        submit(wd.find("#logout"))
        wd.wait("the login link", lambda: wd.find_all("#login-link"))
        ok("logged out")
    except WebDriverError as e:
        try:
            shot("failure")
        except Exception:  # noqa: BLE001 - the screenshot is a bonus
            pass
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    finally:
        wd.quit()
    print("browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
