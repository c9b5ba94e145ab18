"""Where the command's log lines go: a quiet console, and a debug log per user for the details.

- The console shows warnings (debug lines with `--debug` or `PREFECT_LOGGING_LEVEL=DEBUG`), never a
  traceback: an ordinary mistake ends in one line (`sakari_sync.app.explain`), a bug in Python's own
  traceback. Prefect's report of the exception that ended the run stays off the console (the run's
  page in the UI keeps it), so the one line is not said twice.
- The debug log gets the run's log lines (debug lines with `--debug`) and the traceback of the error
  that ended the command. It is `$SAKARI_SYNC_DEBUG_LOG`, else `debug.log` in the user's state folder
  (`$XDG_STATE_HOME/sakari-sync/`, default `~/.local/state/sakari-sync/`), readable by the user
  alone (0600, its folder 0700), rotated at 5 MB keeping three old files. Everything written there
  goes through `redact`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

MAX_BYTES = 5_000_000
BACKUPS = 3
OUR_LOGGERS = ("sakari_sync", "sakari_client")
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
_FLUSHING = ("APILogWorker", "EventsWorker")  # Prefect's services log under their class names


def debug_log_path() -> Path:
    """The debug log's path for this user (see the module docstring)."""
    explicit = os.environ.get("SAKARI_SYNC_DEBUG_LOG")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "sakari-sync" / "debug.log"


def wants_debug(debug_flag: bool) -> bool:
    """Whether the console should show debug lines: `--debug`, or Prefect's own setting."""
    return debug_flag or os.environ.get("PREFECT_LOGGING_LEVEL", "").strip().upper() == "DEBUG"


def prepare_environment(debug: bool) -> None:
    """Set Prefect's logging settings before Prefect is imported (it reads them once, at import)."""
    if debug:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "DEBUG")
    level = "DEBUG" if wants_debug(debug) else "WARNING"
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", level)
    os.environ.setdefault("PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL", level if debug else "WARNING")


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating file handler whose files only their owner can read."""

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # A file made by an older version may be wider; one that is not ours (a shared path given in
        # SAKARI_SYNC_DEBUG_LOG) is left as it is.
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8")


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from sakari_client.redaction import redact  # here: importing the client costs half a second

        return redact(super().format(record))


class _Counter(logging.Filter):
    """Counts the records the debug log takes: a log with none holds nothing worth pointing at."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        self.count += 1
        return True


class DebugLog:
    """The per-user debug log: attached to the root logger while a command runs."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or debug_log_path()
        self._handler: RotatingFileHandler | None = None
        self._counter = _Counter()
        self._levels: dict[str, int] = {}

    @property
    def holds_lines(self) -> bool:
        """Whether this command has written log lines there (so the details of its error are there)."""
        return self._counter.count > 0

    def _open_handler(self) -> RotatingFileHandler:
        if self._handler is None:
            handler = _PrivateRotatingFileHandler(
                self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
            )
            handler.setFormatter(_RedactingFormatter(_FORMAT))
            self._handler = handler
        return self._handler

    def attach(self, debug: bool) -> None:
        """Take the log lines of this process: ours at INFO (DEBUG with `debug`), others' warnings."""
        handler = self._open_handler()
        handler.setLevel(logging.DEBUG if debug else logging.INFO)
        handler.addFilter(self._counter)
        root = logging.getLogger()
        if handler not in root.handlers:
            root.addHandler(handler)
        for name in OUR_LOGGERS:
            logger = logging.getLogger(name)
            self._levels.setdefault(name, logger.level)
            logger.setLevel(logging.DEBUG if debug else logging.INFO)

    def write_trace(self, exc: BaseException) -> Path | None:
        """Append the traceback of `exc` (redacted); its path, or None if it cannot be written."""
        record = logging.LogRecord(
            "sakari_sync", logging.ERROR, __file__, 0, "the command ended with this error:", None, None
        )
        record.exc_text = "".join(traceback.format_exception(exc)).rstrip()
        handler = self._open_handler()
        try:
            handler.emit(record)
            handler.flush()
        except OSError:
            return None
        return self.path if self.path.exists() else None

    def close(self) -> None:
        """Detach, close, and put our loggers' levels back (the next `attach` opens it again)."""
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler.close()
            self._handler = None
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)
        self._levels.clear()


def log_debug_trace(exc: BaseException) -> Path | None:
    """Write the traceback of `exc` to this user's debug log; its path, or None if it cannot be written."""
    log = DebugLog()
    try:
        return log.write_trace(exc)
    finally:
        log.close()


class _NoTraceFormatter(logging.Formatter):
    """Console lines without tracebacks: the run's page in the UI and the debug log keep those."""

    def format(self, record: logging.LogRecord) -> str:
        # Another handler may have cached the traceback's text on the record already: leave it out
        # here without taking it from the handlers that come after this one.
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


class _NotTheRunsEnd(logging.Filter):
    """Drops from the console a flow or task run's errors (Prefect reports there the exception that
    ended the run, which the command then says in one line; the run's page in the UI keeps them), and
    the log and event workers' notes while they flush at exit ("Still processing items": the command
    is finishing, and the debug log keeps them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in _FLUSHING:
            return record.levelno >= logging.ERROR
        return record.levelno < logging.ERROR or not record.name.startswith(_RUN_LOGGERS)


_tamed: list[bool] = []


def is_tamed() -> bool:
    """Whether `tame_prefect_console` ran in this process."""
    return bool(_tamed)


def tame_prefect_console() -> None:
    """Import Prefect (it sets up its logging then, replacing the root logger's handlers), then make
    its console lines go without tracebacks or the run's end twice."""
    import prefect.main  # noqa: F401 - Prefect's logging is set up when this is first imported
    from prefect.logging.handlers import PrefectConsoleHandler

    if not _tamed:
        _tamed.append(True)

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrefectConsoleHandler):
            handler.setFormatter(_NoTraceFormatter("%(asctime)s | %(levelname)-7s | %(message)s", "%H:%M:%S"))
            if not any(isinstance(f, _NotTheRunsEnd) for f in handler.filters):
                handler.addFilter(_NotTheRunsEnd())
