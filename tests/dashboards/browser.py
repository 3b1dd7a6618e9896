"""A served dashboard and a headless Chromium driven over the DevTools protocol (a websocket, no
browser download): open a page, wait until Streamlit has finished running it, read the DOM, take a
screenshot. Both processes bind to 127.0.0.1 and are stopped on exit."""

import base64
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from websockets.sync.client import connect

from sahara_dao.core.nodes import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                  "--disable-dev-shm-usage"]  # fmt: skip


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _wait_http(url: str, timeout: float, what: str, process: subprocess.Popen) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout and process.poll() is not None else ""
                raise RuntimeError(f"{what} did not answer on {url}: {output}") from None
            time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def served_app(env: dict[str, str]):
    """``streamlit run dashboards/streamlit_app.py`` headless on a free 127.0.0.1 port; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboards" / "streamlit_app.py"),
               "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/_stcore/health", 60, "streamlit", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, websocket):
        self.ws, self.ids = websocket, itertools.count(1)
        self.bindings: dict = {}  # name -> handler(payload) -> JavaScript to evaluate in reply (or None)

    def send(self, method: str, **params) -> int:
        message_id = next(self.ids)
        self.ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        return message_id

    def call(self, method: str, **params):
        message_id = self.send(method, **params)
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("method") == "Runtime.bindingCalled":
                self._binding(reply["params"])
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def bind(self, name: str, handler) -> None:
        """Expose ``window.<name>(payload)`` to the page; ``handler(payload)`` answers with JavaScript."""
        self.bindings[name] = handler
        self.call("Runtime.addBinding", name=name)

    def _binding(self, params: dict) -> None:
        script = self.bindings[params["name"]](params["payload"])
        if script:
            self.send("Runtime.evaluate", expression=script)  # its reply is skipped by call()

    def click(self, text: str) -> None:
        """Click the first button whose text starts with ``text``."""
        found = self.evaluate(
            f"(() => {{ const b = [...document.querySelectorAll('button')].find(b => b.innerText.trim().startsWith({json.dumps(text)}));"
            " if (!b) return false; b.click(); return true; })()"
        )
        if not found:
            raise AssertionError(f"no button {text!r} on the page: {self.text()[:2000]}")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """Wait until the page shows ``text`` (and Streamlit is idle); returns the page's text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.text()
            if text in body and not self.evaluate("!!document.querySelector('[data-testid=\"stStatusWidget\"]')"):
                return body
            time.sleep(0.3)
        raise TimeoutError(f"the page never showed {text!r}: {self.text()[:3000]}")

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, timeout: float = 90) -> None:
        """Navigate and wait until Streamlit has rendered a title and stopped running the script."""
        self.call("Page.navigate", url=url)
        deadline, quiet_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            ready = self.evaluate(
                "!!document.querySelector('h1') && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                " && !document.querySelector('[data-testid=\"stSkeleton\"]')"
            )
            if ready:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 2.0:  # charts render after the script ends
                    return
            else:
                quiet_since = None
            time.sleep(0.25)
        raise TimeoutError(f"{url} did not finish rendering in {timeout} s")

    def text(self) -> str:
        return self.evaluate("document.body.innerText")

    def exceptions(self) -> list[str]:
        """The text of every Streamlit exception box on the page."""
        return self.evaluate("[...document.querySelectorAll('[data-testid=\"stException\"]')].map(e => e.innerText)")

    def screenshot(self, path: Path, width: int = 1400) -> None:
        """The whole page: the viewport is grown to the main block's height first."""
        height = self.evaluate(
            "Math.max(900, (document.querySelector('[data-testid=\"stMainBlockContainer\"]')||document.body).scrollHeight + 160)"
        )
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=int(height), deviceScaleFactor=1, mobile=False)
        time.sleep(1.0)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)


@contextmanager
def browser(init_script: str | None = None, bindings: dict | None = None):
    """A headless Chromium on a free 127.0.0.1 DevTools port with a fresh profile; yields a :class:`Page`.
    ``init_script`` runs in every document before the page's own scripts (an injected wallet)."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("Chromium is not installed: apt-get install chromium")
    port = free_port()
    profile = tempfile.mkdtemp(prefix="sahara-chromium-")
    process = subprocess.Popen([binary, *CHROMIUM_FLAGS, f"--remote-debugging-port={port}",
                                "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
                                "--window-size=1400,900", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        targets = json.loads(_wait_http(f"http://127.0.0.1:{port}/json/list", 30, "chromium", process))
        page_target = next(t for t in targets if t["type"] == "page")
        with connect(page_target["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as ws:
            page = Page(ws)
            page.call("Page.enable")
            page.call("Runtime.enable")
            for name, handler in (bindings or {}).items():
                page.bind(name, handler)
            if init_script:
                page.call("Page.addScriptToEvaluateOnNewDocument", source=init_script)
            yield page
    finally:
        _stop(process)
        shutil.rmtree(profile, ignore_errors=True)
