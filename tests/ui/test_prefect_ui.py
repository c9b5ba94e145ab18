"""The Prefect UI, seen as a user sees it: headless Chromium opens a finished sync run and finds its summary.

Uses Debian's `chromium` (never a Playwright browser download) and a real `prefect server start`, since
the test harness's server does not serve the UI. The screenshot it takes is the one the README shows.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sakari_sync.app.prefect_server import PrefectServer, ensure_server

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
# The README's picture is refreshed only on request, so a test run leaves the work tree clean.
SCREENSHOT = REPO / "docs" / "ui-run.png" if os.environ.get("SAKARI_SYNC_UPDATE_SCREENSHOT") else None
SAKARI_SYNC = str(Path(sys.executable).with_name("sakari-sync"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium binary: CI installs it (`make browser`), so there its absence is a failure."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: apt-get install chromium (or run `make browser` as root)"
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A `prefect server start` of our own, with its UI, on a free port."""
    with pytest.MonkeyPatch.context() as patch:
        port = _free_port()
        patch.delenv("PREFECT_API_URL", raising=False)  # ensure_server would reuse any configured server
        # The UI's JavaScript calls the API at 127.0.0.1:4200 unless told otherwise; the server inherits this.
        patch.setenv("PREFECT_SERVER_UI_API_URL", f"http://127.0.0.1:{port}/api")
        server = ensure_server(home=tmp_path_factory.mktemp("prefect"), port=port)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def finished_run(ui_server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The JSON report of a finished demo sync (200 sample contacts) whose run `ui_server` recorded."""
    folder = tmp_path_factory.mktemp("demo")
    env = os.environ | {"PREFECT_API_URL": ui_server.api_url}
    env.pop("PREFECT_UI_URL", None)
    done = subprocess.run(
        [SAKARI_SYNC, "demo", "--rows", "200", "--no-wait", "--json", "--dir", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert str(report["flow_run_url"]).startswith(ui_server.ui_url), report["flow_run_url"]
    return report


@pytest.mark.slow
def test_run_page_leads_to_the_summary_artifact_table(
    chromium: Path, finished_run: dict[str, Any], tmp_path: Path
) -> None:
    """From a finished run's page, the Artifacts tab lists 'sakari-sync-summary'; opening it shows the
    table with the run's counts (extracted, created), and a screenshot of that page is saved."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(finished_run["flow_run_url"], wait_until="domcontentloaded")
            expect(page.get_by_role("link", name="sync-contacts")).to_be_visible()
            page.get_by_role("tablist").get_by_text("Artifacts", exact=True).click()
            card = page.get_by_text("sakari-sync-summary", exact=True).first
            expect(card).to_be_visible()
            card.click()
            for outcome in ("extracted", "created"):
                row = page.get_by_role("row").filter(has=page.get_by_text(outcome, exact=True))
                expect(row).to_contain_text(str(finished_run[outcome]))
            shot = SCREENSHOT or tmp_path / "ui-run.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
