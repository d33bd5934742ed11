"""`socialsim viz` serves a page that a real browser (headless Chromium) renders and steps.

Needs Debian's ``chromium`` (``.ci/run`` installs it when missing and sets
``SOCIALSIM_REQUIRE_BROWSER=1``, so that in CI a missing browser fails the test
instead of skipping it).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from socialsim.analysis.viz import page_config

CHARTS = 4  # GMV, penetration by tier, GMV by channel, network


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    message = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("SOCIALSIM_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served_page(tmp_path_factory):
    """Start `socialsim viz` on a small world; yield its URL; stop it."""
    chromium = _chromium()
    config = page_config(n_consumers=1_000, seed=7).with_overrides({"run.steps": 30})
    path = tmp_path_factory.mktemp("viz") / "world.yaml"
    path.write_text(config.to_yaml(), encoding="utf-8")
    port = _free_port()
    log = path.with_name("server.log")
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "socialsim",
                "viz",
                str(path),
                "--no-browser",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, server, log)
        yield url, chromium
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for(url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"socialsim viz exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"socialsim viz did not answer at {url} within {timeout} s:\n{log.read_text()}")


_CHARTS_DRAWN = f"""() => {{
    const images = [...document.querySelectorAll("img")];
    return images.length >= {CHARTS}
        && images.every(i => i.complete && i.naturalWidth > 100 && i.naturalHeight > 100);
}}"""


def test_the_page_renders_its_charts_and_steps_in_a_browser(served_page):
    url, chromium = served_page
    failed: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url, timeout=60_000)

            # the charts arrive as images (decoded, of chart size) once the kernel has rendered
            page.wait_for_function(_CHARTS_DRAWN, timeout=60_000)
            sources = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
            assert len(sources) == CHARTS
            page.get_by_text("0 of 30").wait_for()
            for control in (
                "Consumers",
                "pinduoduo on",
                "Group discount",
                "Feed",
                "KOL commission",
            ):
                assert page.get_by_text(control).count() >= 1, control

            # stepping from the browser advances the model and redraws the charts
            page.get_by_role("button", name="Step", exact=True).click()
            # (the day from our totals: Mesa 3.3 shows "Step: 1", 3.5 "Time: 1.0")
            page.get_by_text("1 of 30").wait_for(timeout=30_000)
            page.wait_for_function(
                "before => [...document.querySelectorAll('img')].map(e => e.src)[0] !== before",
                arg=sources[0],
                timeout=30_000,
            )
            page.wait_for_function(_CHARTS_DRAWN, timeout=30_000)
            assert page.get_by_text("0 of 30").count() == 0

            # a Reset the controls cannot build says why and keeps the page
            for name in page_config().platforms:
                page.get_by_text(f"{name} on", exact=True).click()
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text("at least one platform must be on").wait_for(timeout=30_000)
            page.get_by_text("pinduoduo on", exact=True).click()
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text("0 of 30").wait_for(timeout=30_000)
            assert page.get_by_text("platforms").count() >= 1
        finally:
            browser.close()
    # every script, style and font came from the server itself (no network needed)
    assert failed == []
    assert errors == []
