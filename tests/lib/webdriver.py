"""A small W3C WebDriver client (chromedriver) on the standard library only,
for browser tests: a session, navigation, elements by CSS selector, clicks,
typing, cookies, screenshots, waiting for a condition.

    wd = WebDriver(9515)
    wd.start(["--headless", ...])
    wd.get("http://198.18.64.1/ui/hosts")
    wd.click(wd.find("#login"))
"""
import base64
import http.client
import json
import time

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    pass


class WebDriver:
    def __init__(self, port, host="127.0.0.1"):
        self.host, self.port, self.session = host, port, None

    def _req(self, method, path, body=None, timeout=60):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            reply = json.loads(r.read() or b"{}")
        finally:
            conn.close()
        value = reply.get("value")
        if r.status != 200:
            msg = value.get("message", "") if isinstance(value, dict) else value
            raise WebDriverError(f"{method} {path}: {r.status} {msg}")
        return value

    def _s(self, method, path="", body=None):
        return self._req(method, f"/session/{self.session}{path}", body)

    def wait_ready(self, timeout=30):
        end = time.monotonic() + timeout
        while True:
            try:
                if self._req("GET", "/status", timeout=5).get("ready"):
                    return
            except (OSError, WebDriverError, ValueError):
                pass
            if time.monotonic() > end:
                raise WebDriverError("chromedriver did not become ready")
            time.sleep(0.2)

    def start(self, args, binary=None):
        opts = {"args": args}
        if binary:
            opts["binary"] = binary
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": opts}}}
        self.session = self._req("POST", "/session", caps, timeout=120)["sessionId"]

    def quit(self):
        if self.session:
            try:
                self._s("DELETE")
            finally:
                self.session = None

    def get(self, url):
        self._s("POST", "/url", {"url": url})

    def url(self):
        return self._s("GET", "/url")

    def title(self):
        return self._s("GET", "/title")

    def source(self):
        return self._s("GET", "/source")

    def find_all(self, css, within=None):
        path = f"/element/{within}/elements" if within else "/elements"
        return [e[ELEMENT] for e in self._s("POST", path, {"using": "css selector", "value": css})]

    def find(self, css, within=None):
        found = self.find_all(css, within)
        if not found:
            raise WebDriverError(f"no element {css}")
        return found[0]

    def text(self, el):
        return self._s("GET", f"/element/{el}/text")

    def prop(self, el, name):
        return self._s("GET", f"/element/{el}/property/{name}")

    def click(self, el):
        self._s("POST", f"/element/{el}/click", {})

    def type(self, el, text):
        self._s("POST", f"/element/{el}/clear", {})
        self._s("POST", f"/element/{el}/value", {"text": text})

    def execute(self, script, *args):
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def cookies(self):
        return self._s("GET", "/cookie")

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self._s("GET", "/screenshot")))

    def window_size(self, width, height):
        self._s("POST", "/window/rect", {"width": width, "height": height})

    def wait(self, what, cond, timeout=30, step=0.25):
        """cond() until it is true (returned); WebDriverError after timeout."""
        end = time.monotonic() + timeout
        while True:
            try:
                v = cond()
                if v:
                    return v
            except WebDriverError:
                pass
            if time.monotonic() > end:
                raise WebDriverError(f"timed out waiting for {what}")
            time.sleep(step)
