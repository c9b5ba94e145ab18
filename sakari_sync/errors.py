"""Every error a user can act on, named for what they do next; `str()` is one line that says it.

    SyncError                         something to fix or wait for; the CLI prints it and exits 2
    ├── ConfigError                   fix the config file or a flow parameter
    ├── SourceError                   fix the source settings (URL, table, query, columns) or grants
    ├── StateError                    fix `state_url`: the state database cannot be opened
    ├── PrefectError                  start the Prefect server, or point PREFECT_API_URL at it
    ├── SakariAccessError             fix the Sakari credentials block (secret, account id, base URL)
    ├── AlreadyRunningError           wait: another run of the same sync holds its lock
    ├── ContactsPendingError          more contacts than `max_pending_share` were not delivered: read
    │                                 their reasons; they are sent again next run
    └── LoadStoppedError              the load stopped early; contacts not sent stay pending
        ├── SakariUnavailableError    Sakari kept failing: check it is up, then run again
        └── ConfigurationRefusedError Sakari refused contact after contact alike: fix the named setting

Errors the client raises for one contact (a refusal) never get here: they are recorded per contact.
Anything else that escapes a run is a bug, and keeps its traceback.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of the errors a user can fix or wait out; the message is one line naming what to do."""


class ConfigError(SyncError):
    """A config file or flow parameter that cannot be used."""


class SourceError(SyncError):
    """The source cannot be read as configured."""


class StateError(SyncError):
    """The state database cannot be opened or upgraded."""


class PrefectError(SyncError):
    """The Prefect server does not answer, or lacks a block the sync names."""


class SakariAccessError(SyncError):
    """Sakari refused the credentials or the account: the block is wrong."""


class AlreadyRunningError(SyncError):
    """Another run of the same sync is in progress."""


class ContactsPendingError(SyncError):
    """The run went to the end, but Sakari refused or could not take more contacts than the sync allows;
    `report` is the run's report."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the report when the error crosses a process boundary (a deployment's persisted result).
        return (type(self), (str(self), self.report))


class LoadStoppedError(SyncError):
    """The load stopped early; the contacts not yet sent stay pending for the next run."""


class SakariUnavailableError(LoadStoppedError):
    """Contact after contact failed with transient errors after all their retries: Sakari is down."""


class ConfigurationRefusedError(LoadStoppedError):
    """Sakari refused many contacts with the same code: the setup is wrong, not the data."""


def connection_hint(driver_message: str, setting: str, database: str | None = None) -> str:
    """What to do about a database that refused a connection, from the driver's own first line."""
    said = driver_message.lower()
    if "password authentication failed" in said or ("role" in said and "does not exist" in said):
        return f"check the user and password in {setting}"
    if "access denied" in said:  # MySQL and MariaDB say so for a wrong user or password
        return f"check the user and password in {setting}"
    if "database" in said and ("does not exist" in said or "unknown database" in said):
        return f"create the database {database!r} or fix {setting}" if database else f"fix {setting}"
    return f"check that the database server is running and that {setting} names it"
