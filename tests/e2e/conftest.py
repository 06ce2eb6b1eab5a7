"""End-to-end fixtures: the demo city with two hostile firm names, the API on loopback, and a
real headless Chromium driven by Playwright.

The browser is Debian's ``chromium`` package at /usr/bin/chromium, launched by Playwright with
``executable_path`` (Playwright's own browser downloads are never used). Without that binary the
tests skip, saying so. Every page a test opens goes through :class:`Recorder`: it keeps every
request the page makes, aborts any that would leave loopback or the local disk, and keeps every
dialog, console error and page error, so tests can assert that none happened.

Screenshots for people to look at land in ``artifacts/`` at the repository root (not in git).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
VIEWER_KEY = "e2e-viewer-key"
HOME = "349900"
COMPARE = "320500"
CHAIN = "nev"

#: Names no page may ever run as markup or script.
IMG_NAME = "<img src=x onerror=alert(1)>"
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_ID = "E2E-HOSTILE-IMG"
SCRIPT_ID = "E2E-HOSTILE-SCRIPT"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"end-to-end tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    )
    for item in items:
        if "/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)


def _hostile_firms(store: Any) -> list[Any]:
    """A local firm in a strong segment whose name is an <img onerror> payload, among the
    largest of its segment, and an outside firm in a missing segment named as a <script>
    element that supplies it and the largest local cell makers (so it ranks near the top of its
    segment, with an introducer path through the <img> firm)."""
    import numpy as np

    from chainscout.graph.model import Enterprise, InSegment, Supplies

    view = store.view(CHAIN, HOME)
    cells = view.firms_in_segment(view.segment_index("nev.battery_cell"))
    cells = cells[view.is_local[cells]]
    biggest = cells[np.argsort(-np.nan_to_num(view.revenue[cells]))][:5]
    return [
        Enterprise(id=IMG_ID, name=IMG_NAME, region="349901", revenue=400_000.0),
        Enterprise(
            id=SCRIPT_ID,
            name=SCRIPT_NAME,
            region=COMPARE,
            revenue=200_000.0,
            tags=("高新技术企业", "专精特新", "小巨人"),
            rd_share=0.12,
            aliases=("</script><script>alert(2)</script>",),
        ),
        InSegment(enterprise=IMG_ID, segment="nev.body"),
        InSegment(enterprise=SCRIPT_ID, segment="nev.separator"),
        Supplies(supplier=SCRIPT_ID, customer=IMG_ID),
        *(Supplies(supplier=SCRIPT_ID, customer=str(view.ids[r])) for r in biggest.tolist()),
    ]


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city plus the hostile firms, in an embedded store file (closed)."""
    from chainscout.graph import open_store
    from chainscout.loaders.demo import build_demo_store

    path = tmp_path_factory.mktemp("e2e-store") / "demo.duckdb"
    with open_store(str(path)) as store:
        build_demo_store(store)
        store.upsert(_hostile_firms(store))
    return path


@pytest.fixture(scope="session")
def cli_store(demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store for the CLI (the server holds the original open)."""
    copy = tmp_path_factory.mktemp("e2e-cli") / "demo.duckdb"
    shutil.copy(demo_file, copy)
    return copy


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    base: str
    key: str

    def url(self, path: str, **params: str | int) -> str:
        from urllib.parse import urlencode

        return f"{self.base}{path}?" + urlencode({**params, "key": self.key})


@pytest.fixture(scope="session")
def server(demo_file: Path) -> Iterator[Server]:
    """The API with the pages, served by uvicorn in a thread on a free loopback port."""
    import uvicorn

    from chainscout.api.app import create_app
    from chainscout.api.state import hash_key
    from chainscout.settings import Settings

    settings = Settings(
        store=str(demo_file), api_keys={hash_key(VIEWER_KEY): "viewer"}, home_region=HOME,
        chain=CHAIN, lang="zh",
    )  # fmt: skip
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")  # fmt: skip
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start on loopback")
        time.sleep(0.05)
    try:
        yield Server(base=f"http://127.0.0.1:{port}", key=VIEWER_KEY)
    finally:
        srv.should_exit = True
        thread.join(timeout=15)


def is_local(url: str) -> bool:
    """Whether a request stays on this machine: loopback, a file, or inline data."""
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws") and parts.hostname in ("127.0.0.1", "localhost")


@dataclass
class Recorder:
    """What one page did: every request URL, the ones aborted as outside, dialogs, errors."""

    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.requests, "the page made no request at all"
        assert self.outside == [], f"requests outside loopback/file: {self.outside}"
        assert all(is_local(u) for u in self.requests), self.requests
        assert self.dialogs == [], f"the page opened dialogs: {self.dialogs}"
        assert self.errors == [], f"script errors: {self.errors}"


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium with a fresh user-data folder for the session."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1500, "height": 1000}, locale="zh-CN",
        )  # fmt: skip
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def open_page(browser_context: Any) -> Iterator[Any]:
    """``open_page(url) -> (page, recorder)``: a new tab that records and guards its traffic."""
    pages: list[Any] = []

    def opener(url: str) -> tuple[Any, Recorder]:
        rec = Recorder()
        page = browser_context.new_page()
        pages.append(page)

        def route(r: Any) -> None:
            if is_local(r.request.url):
                r.continue_()
            else:
                rec.outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("request", lambda req: rec.requests.append(req.url))

        def dialog(d: Any) -> None:
            rec.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        page.on("dialog", dialog)
        page.on("pageerror", lambda e: rec.errors.append(str(e)))
        page.on("console", lambda m: rec.errors.append(m.text) if m.type == "error" else None)
        page.goto(url, wait_until="load")
        return page, rec

    yield opener
    for page in pages:
        page.close()


def wait_for(page: Any, expression: str, timeout: float = 60.0) -> Any:
    """Poll ``expression`` in the page until it is truthy. (Playwright's wait_for_function
    evaluates strings with eval, which the pages' Content-Security-Policy forbids.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.1)


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
