"""One run of a sync at a time, enforced by a row in the state database (`sakari_locks`).

A second run of the same sync stops with `AlreadyRunningError` naming the first, instead of sending
anything twice. A lock left by a process that died (SIGKILL, a lost machine) is taken over once it is
stale: its owner on this host no longer exists, or its lease ran out (the holder renews it after every
batch). Taking a lock over returns what is known of the dead run (its run id and Prefect flow run id),
so the caller can mark that flow run Crashed.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_sync.errors import AlreadyRunningError
from sakari_sync.state.schema import locks

LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class DeadRun:
    """The run whose stale lock was taken over."""

    run_id: str
    flow_run_id: str | None
    owner: str


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything stored here is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _is_stale(owner: str, expires_at: dt.datetime, now: dt.datetime) -> bool:
    if _aware(expires_at) < now:
        return True
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire_lock(
    engine: Engine, sync_name: str, run_id: str, flow_run_id: str | None = None
) -> DeadRun | None:
    """Take the sync's lock, or raise `AlreadyRunningError` naming the run that holds it.

    Returns the dead run whose stale lock was taken over, if there was one."""
    now = dt.datetime.now(dt.UTC)
    try:
        return _take(engine, sync_name, run_id, flow_run_id, now)
    except sa.exc.IntegrityError:
        # Another process inserted its lock between our read and our insert.
        return _take(engine, sync_name, run_id, flow_run_id, now)


def _take(
    engine: Engine, sync_name: str, run_id: str, flow_run_id: str | None, now: dt.datetime
) -> DeadRun | None:
    with engine.begin() as conn:
        held = conn.execute(sa.select(locks).where(locks.c.sync_name == sync_name)).first()
        if held is not None and held.run_id != run_id and not _is_stale(held.owner, held.expires_at, now):
            raise AlreadyRunningError(
                f"sync '{sync_name}' is already running (run {held.run_id}, started "
                f"{_aware(held.acquired_at):%Y-%m-%d %H:%M:%S} UTC by {held.owner}); "
                "wait for it to finish, or stop it first"
            )
        if held is not None:
            conn.execute(locks.delete().where(locks.c.sync_name == sync_name))
        conn.execute(
            locks.insert().values(
                sync_name=sync_name,
                run_id=run_id,
                owner=_owner(),
                flow_run_id=flow_run_id,
                acquired_at=now,
                expires_at=now + LEASE,
            )
        )
    if held is None or held.run_id == run_id:
        return None
    return DeadRun(held.run_id, held.flow_run_id, held.owner)


def renew_lock(engine: Engine, sync_name: str, run_id: str) -> None:
    """Extend the lease of the lock this run holds."""
    with engine.begin() as conn:
        conn.execute(
            locks.update()
            .where(locks.c.sync_name == sync_name, locks.c.run_id == run_id)
            .values(expires_at=dt.datetime.now(dt.UTC) + LEASE)
        )


def release_lock(engine: Engine, sync_name: str, run_id: str) -> None:
    """Give up this run's lock (nothing happens if it does not hold it)."""
    with engine.begin() as conn:
        conn.execute(locks.delete().where(locks.c.sync_name == sync_name, locks.c.run_id == run_id))
