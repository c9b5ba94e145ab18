"""The debug log: one per user in their state folder, private (0600), rotated, redacted, and only
pointed at when the command wrote lines there."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from sakari_sync.app.logs import DebugLog, debug_log_path, log_debug_trace


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SAKARI_SYNC_DEBUG_LOG", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def test_the_log_lives_in_the_users_state_folder(state_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$XDG_STATE_HOME/sakari-sync/debug.log, else ~/.local/state/sakari-sync/debug.log."""
    assert debug_log_path() == state_home / "sakari-sync" / "debug.log"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(state_home.parent))
    assert debug_log_path() == state_home.parent / ".local" / "state" / "sakari-sync" / "debug.log"


def test_the_log_and_its_folder_are_private(state_home: Path) -> None:
    """Created 0600 in a 0700 folder: a trace may name hosts and settings another user need not see."""
    path = log_debug_trace(RuntimeError("boom"))
    assert path == state_home / "sakari-sync" / "debug.log"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "RuntimeError: boom" in path.read_text()


def test_a_wider_log_left_by_an_older_version_is_made_private(state_home: Path) -> None:
    """A log file that exists with wider permissions is narrowed when next written."""
    path = state_home / "sakari-sync" / "debug.log"
    path.parent.mkdir(parents=True)
    path.write_text("old\n")
    path.chmod(0o644)
    log_debug_trace(RuntimeError("boom"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_log_is_rotated_and_old_files_stay_private(
    state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its size the log moves to debug.log.1 (three kept); every file stays 0600."""
    monkeypatch.setattr("sakari_sync.app.logs.MAX_BYTES", 2000)
    for n in range(12):
        log_debug_trace(RuntimeError(f"boom {n} " + "x" * 400))
    folder = state_home / "sakari-sync"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["debug.log", "debug.log.1", "debug.log.2", "debug.log.3"]
    assert all(stat.S_IMODE((folder / n).stat().st_mode) == 0o600 for n in names)
    assert sum((folder / n).stat().st_size for n in names) < 4 * 2000 + 2000


def test_the_log_is_redacted(state_home: Path) -> None:
    """Secrets and phone numbers in a trace or a log line are masked there as everywhere."""
    log = DebugLog()
    log.attach(debug=False)
    try:
        logging.getLogger("sakari_sync.test").info("sending +14155550123 with client_secret=hunter2")
        path = log.write_trace(ValueError("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln for +14155550123"))
    finally:
        log.close()
    assert path is not None
    text = path.read_text()
    assert "hunter2" not in text
    assert "eyJhbGci" not in text
    assert "4155550123" not in text
    assert "•••••••0123" in text


def test_the_log_holds_lines_only_once_something_was_logged(state_home: Path) -> None:
    """`holds_lines`: the command wrote log lines (a run did); a config mistake writes none."""
    log = DebugLog()
    log.attach(debug=False)
    try:
        assert not log.holds_lines
        logging.getLogger("sakari_sync.test").debug("a debug line is not taken without --debug")
        assert not log.holds_lines
        logging.getLogger("sakari_sync.test").info("page 1: 5,000 rows")
        assert log.holds_lines
    finally:
        log.close()
    assert logging.getLogger("sakari_sync").level == logging.NOTSET, "closing restores the levels"


def test_an_explicit_path_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SAKARI_SYNC_DEBUG_LOG names the file (its folders are created)."""
    monkeypatch.setenv("SAKARI_SYNC_DEBUG_LOG", str(tmp_path / "logs" / "mine.log"))
    assert log_debug_trace(RuntimeError("boom")) == tmp_path / "logs" / "mine.log"


def test_the_console_keeps_warnings_but_not_the_runs_end_or_flush_notes() -> None:
    """On Prefect's console handler: a stage's warning shows; the run's error report (said in one line
    by the command), and the log worker's "Still processing items" while it flushes, do not."""
    from prefect.logging.handlers import PrefectConsoleHandler

    from sakari_sync.app.logs import tame_prefect_console

    tame_prefect_console()
    (console,) = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]

    def shown(name: str, level: int, message: str) -> bool:
        return bool(console.filter(logging.LogRecord(name, level, __file__, 0, message, None, None)))

    assert shown("prefect.flow_runs", logging.WARNING, "Sakari throttled: slowing to 8/s")
    assert shown("sakari_sync.stages.load", logging.ERROR, "a bug's own line")
    assert not shown("prefect.flow_runs", logging.ERROR, "Encountered exception during execution")
    assert not shown("prefect.task_runs", logging.ERROR, "Finished in state Failed()")
    assert not shown("APILogWorker", logging.WARNING, "Still processing items: 2 items remaining...")
