"""One run of a sync at a time, enforced by a row in the state database.

A second run of the same sync exits with a clear message instead of sending anything twice. A lock left
by a process that died (SIGKILL, a lost machine) is taken over once it is stale: its owner on this host
no longer exists, or its lease ran out (the holder renews it after every batch).
"""

from __future__ import annotations

import datetime as dt
import os
import socket

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_sync.state.schema import metadata

LEASE = dt.timedelta(minutes=10)

locks = sa.Table(
    "sakari_locks",
    metadata,
    sa.Column("sync_name", sa.String(200), primary_key=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("owner", sa.String(300), nullable=False),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)


class SyncLockedError(Exception):
    """Another run of the same sync is in progress."""


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


def acquire_lock(engine: Engine, sync_name: str, run_id: str) -> None:
    """Take the sync's lock or raise `SyncLockedError` naming the run that holds it."""
    metadata.create_all(engine, tables=[locks])
    now = dt.datetime.now(dt.UTC)
    try:
        _take(engine, sync_name, run_id, now)
    except sa.exc.IntegrityError:
        # Another process inserted its lock between our read and our insert.
        _take(engine, sync_name, run_id, now)


def _take(engine: Engine, sync_name: str, run_id: str, now: dt.datetime) -> None:
    with engine.begin() as conn:
        held = conn.execute(sa.select(locks).where(locks.c.sync_name == sync_name)).first()
        if held is not None and held.run_id != run_id and not _is_stale(held.owner, held.expires_at, now):
            raise SyncLockedError(
                f"sync '{sync_name}' is already running (run {held.run_id}, started "
                f"{_aware(held.acquired_at):%Y-%m-%d %H:%M:%S} UTC by {held.owner}); "
                "wait for it to finish, or stop it first"
            )
        if held is not None:
            conn.execute(locks.delete().where(locks.c.sync_name == sync_name))
        conn.execute(
            locks.insert().values(
                sync_name=sync_name, run_id=run_id, owner=_owner(), acquired_at=now, expires_at=now + LEASE
            )
        )


def renew_lock(engine: Engine, sync_name: str, run_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            locks.update()
            .where(locks.c.sync_name == sync_name, locks.c.run_id == run_id)
            .values(expires_at=dt.datetime.now(dt.UTC) + LEASE)
        )


def release_lock(engine: Engine, sync_name: str, run_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(locks.delete().where(locks.c.sync_name == sync_name, locks.c.run_id == run_id))
