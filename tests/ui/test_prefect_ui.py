"""The Prefect UI, seen as a user sees it: headless Chromium opens a finished sync run and finds its summary.

Uses Debian's `chromium` (never a Playwright browser download) and a real `prefect server start`, since
the test harness's server does not serve the UI. The screenshot it takes is the one the README shows.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sakari_sync.app.prefect_server import PrefectServer, ensure_server
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
# The README's pictures are refreshed only on request, so a test run leaves the work tree clean.
UPDATE = bool(os.environ.get("SAKARI_SYNC_UPDATE_SCREENSHOT"))
SCREENSHOT = REPO / "docs" / "ui-run.png" if UPDATE else None
LIVE_SCREENSHOT = REPO / "docs" / "ui-run-live.png" if UPDATE else None
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


@pytest.mark.slow
def test_the_logs_tab_tells_the_story_of_a_finished_run(chromium: Path, finished_run: dict[str, Any]) -> None:
    """The Logs tab of a finished run shows each stage's summary line with its counts, and the run's
    one-line summary."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(finished_run["flow_run_url"], wait_until="domcontentloaded")
            page.get_by_role("tablist").get_by_text("Logs", exact=True).click()
            expect(
                page.get_by_text(re.compile(r"extract: [\d,]+ of [\d,]+ rows.*done in")).first
            ).to_be_visible()
            expect(page.get_by_text(re.compile(r"load: [\d,]+ of [\d,]+ contacts")).first).to_be_visible()
            summary = re.compile(rf"demo-contacts: {finished_run['extracted']:,} rows read")
            expect(page.get_by_text(summary).first).to_be_visible()
        finally:
            browser.close()


@pytest.fixture
def slow_run(ui_server: PrefectServer, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """`sakari-sync run` of 1,500 sample contacts against an emulator slowed to about 60 creates a second,
    reporting to `ui_server`; stopped at the end of the test if still running."""
    from sakari_emulator.config import EmulatorConfig
    from sakari_emulator.server import EmulatorServer
    from sakari_sync.sample_data import SEGMENTS, create_sample_warehouse, sample_mapping

    env = os.environ | {"PREFECT_API_URL": ui_server.api_url, "SAKARI_CLIENT_SECRET": DEMO_CLIENT_SECRET}
    env.pop("PREFECT_UI_URL", None)
    with EmulatorServer(EmulatorConfig(port=0, lists=list(SEGMENTS), latency=0.06)) as emulator:
        subprocess.run(
            [SAKARI_SYNC, "blocks", "save", "--name", "sakari-ui", "--base-url", emulator.url,
             "--account-id", DEMO_ACCOUNT_ID, "--client-id", DEMO_CLIENT_ID],
            env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        lists = {i["name"]: i["id"] for i in httpx.get(f"{emulator.url}/_emulator/lists").json()}
        config = {
            "name": "ui-live",
            "source": {"url": create_sample_warehouse(tmp_path / "w.db", rows=1500), "table": "contacts"},
            "mapping": sample_mapping(lists),
            "sakari": {"block": "sakari-ui", "max_in_flight": 4, "batch_size": 100},
            "state_url": f"sqlite:///{tmp_path / 'state.db'}",
        }
        (tmp_path / "sync.yaml").write_text(json.dumps(config), encoding="utf-8")
        run = subprocess.Popen(
            [SAKARI_SYNC, "run", "--config", str(tmp_path / "sync.yaml")],
            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            yield run
        finally:
            run.kill()
            run.wait()


def _running_flow_run(api_url: str, deadline: float) -> str:
    while time.monotonic() < deadline:
        body = {"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}}
        found = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=10).json()
        if found:
            return str(found[0]["id"])
        time.sleep(1)
    raise AssertionError("no flow run started")


@pytest.mark.slow
def test_a_running_sync_shows_its_progress_in_the_logs_tab(
    chromium: Path, ui_server: PrefectServer, slow_run: subprocess.Popen[str], tmp_path: Path
) -> None:
    """While a sync runs, its Logs tab already shows the extract's summary and the load's progress
    lines (contacts sent of the total, rate, ETA); a screenshot of that page is saved."""
    from playwright.sync_api import expect, sync_playwright

    deadline = time.monotonic() + 180
    run_id = _running_flow_run(ui_server.api_url, deadline)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            load_line = page.get_by_text(re.compile(r"load: [\d,]+ of [\d,]+ contacts, [\d,]+/s, ETA")).first
            while True:  # the Logs tab does not poll: reload until the load has reported a batch
                page.goto(f"{ui_server.ui_url}/runs/flow-run/{run_id}", wait_until="domcontentloaded")
                page.get_by_role("tablist").get_by_text("Logs", exact=True).click()
                try:
                    expect(load_line).to_be_visible(timeout=5_000)
                    break
                except AssertionError:
                    assert time.monotonic() < deadline, "no load progress line appeared"
            assert slow_run.poll() is None, "the page was read while the run was still running"
            expect(
                page.get_by_text(re.compile(r"extract: [\d,]+ of [\d,]+ rows.*done in")).first
            ).to_be_visible()
            shot = LIVE_SCREENSHOT or tmp_path / "ui-run-live.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
