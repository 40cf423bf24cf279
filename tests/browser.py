"""Headless Chromium for tests: open a page offline, wait for Leaflet, look at the DOM.

Uses the system's Chromium (`apt-get install chromium`, or CUNRONG_CHROMIUM=/path) driven
by Playwright; `playwright install` is never needed. Every request that leaves the machine
is refused and recorded, so a page that needs a CDN fails its test.

    with Browser() as browser:
        page = browser.open(path)          # a local file, or http://127.0.0.1:… of a test server
        browser.wait_for_map(page)         # Leaflet up, every cunrong layer drawn
        page.locator("path.cr-village").count()
        browser.screenshot(page, tmp_path / "map.png")
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Browser as PwBrowser
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Playwright, Request, Route, sync_playwright

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
"""Chromium switches besides --headless (Playwright adds it) and a fresh profile per launch."""

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "testserver"}

_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI || '(inline)'} ${where}`);
});
"""
"""Recorded in every frame of every page, before the page's own scripts run."""
VIEWPORT = {"width": 1280, "height": 860}


def chromium_path() -> str:
    """The Chromium executable: CUNRONG_CHROMIUM, else chromium on PATH, else a clear error."""
    path = os.environ.get("CUNRONG_CHROMIUM") or shutil.which("chromium")
    path = path or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not path:
        raise RuntimeError(
            "Chromium is needed for the browser tests: `apt-get install chromium "
            "fonts-noto-cjk` (or `make browser`), or set CUNRONG_CHROMIUM"
        )
    return path


def is_local(url: str) -> bool:
    """Whether a request stays on this machine (file, data, blob, a local test server)."""
    parsed = urlparse(url)
    if parsed.scheme in {"file", "data", "blob", "about"}:
        return True
    return parsed.scheme in {"http", "https", "ws"} and parsed.hostname in LOCAL_HOSTS


@dataclass
class PageLog:
    """What a page did: requests refused because they left the machine, and script errors."""

    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)


class Browser:
    """One headless Chromium for a test session; pages are opened with the network cut off."""

    def __init__(self, *, executable: str | None = None):
        self.executable = executable or chromium_path()
        self._pw: Playwright | None = None
        self._browser: PwBrowser | None = None
        self._profile = tempfile.mkdtemp(prefix="cunrong-chromium-")
        self.logs: dict[int, PageLog] = {}

    def __enter__(self) -> Browser:
        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(
            executable_path=self.executable,
            headless=True,
            args=[*FLAGS, f"--disk-cache-dir={self._profile}/cache"],
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._pw is not None:
            self._pw.stop()
        shutil.rmtree(self._profile, ignore_errors=True)

    @property
    def version(self) -> str:
        """The Chromium version string."""
        assert self._browser is not None
        return self._browser.version

    def open(
        self, target: str | Path, *, viewport: dict[str, int] | None = None, **options: Any
    ) -> Page:
        """Open a local file or a local URL in a new page; outside requests are refused.

        `options` go to Playwright's new_context (e.g. geolocation, permissions,
        extra_http_headers); the page's context is `page.context`.
        """
        assert self._browser is not None, "use Browser as a context manager"
        context = self._browser.new_context(
            viewport=viewport or VIEWPORT, locale="zh-CN", **options
        )
        page = context.new_page()
        log = PageLog()
        self.logs[id(page)] = log

        def route(r: Route, request: Request) -> None:
            if is_local(request.url):
                r.continue_()
            else:
                log.refused.append(request.url)
                r.abort("internetdisconnected")

        context.route("**/*", route)
        context.add_init_script(_WATCH_CSP)
        page.on("pageerror", lambda exc: log.errors.append(str(exc)))
        page.on("console", lambda msg: log.console.append(f"{msg.type}: {msg.text}"))
        url = target if isinstance(target, str) else Path(target).resolve().as_uri()
        page.goto(url, wait_until="load")
        return page

    def log(self, page: Page) -> PageLog:
        """The requests refused and the errors raised on a page."""
        return self.logs[id(page)]

    def csp_violations(self, page: Page) -> list[str]:
        """What the page's Content-Security-Policy refused, in any of its frames: the
        `securitypolicyviolation` events and console messages naming the policy."""
        found = [m for m in self.log(page).console if "Content Security Policy" in m]
        for frame in page.frames:
            try:
                found += frame.evaluate("() => window.__cspViolations || []")
            except PlaywrightError:  # a frame navigating or gone meanwhile has nothing to say
                continue
        return found

    def wait_for_map(self, page: Page, *, timeout_ms: float = 30_000) -> float:
        """Wait until Leaflet has drawn the map and every cunrong layer; ms since navigation."""
        page.wait_for_function("() => window.L && document.querySelector('.leaflet-container')")
        page.wait_for_function("() => window.cunrongReady === true", timeout=timeout_ms)
        self.settle(page)
        errors = self.log(page).errors
        if errors:
            raise AssertionError(f"script errors on the page: {errors}")
        return float(
            page.evaluate("() => performance.getEntriesByName('cunrong-ready')[0]?.startTime ?? -1")
        )

    def settle(self, page: Page) -> None:
        """Wait until no zoom or cluster animation is running."""
        page.wait_for_timeout(50)
        page.wait_for_function(
            "() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')"
        )
        page.wait_for_timeout(50)

    def screenshot(self, page: Page, path: Path, *, full_page: bool = False) -> Path:
        """Save what a person would see (or the whole page's length); returns the file's path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(150)  # let the last animation frame land
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def close_page(self, page: Page) -> None:
        """Close a page and its context."""
        self.logs.pop(id(page), None)
        page.context.close()
