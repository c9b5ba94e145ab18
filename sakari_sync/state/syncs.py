"""What the state database remembers of each sync besides its cursor: the fingerprint of the settings
that shape its payloads (a change means every row is read again), and when Sakari's whole account was
last read back (for reconcile's cadence, with how many contacts the sync put there)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sakari_sync.state.ledger import now
from sakari_sync.state.schema import ledger, syncs, upsert


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; everything stored here is UTC.
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def read_settings(engine: Engine, sync_name: str) -> dict[str, Any] | None:
    """The payload-shaping settings stored by the sync's last completed run (None before the first)."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(syncs.c.settings).where(syncs.c.sync_name == sync_name)).scalar()
    return None if found is None else dict(json.loads(found))


def write_settings(engine: Engine, sync_name: str, settings: dict[str, Any]) -> None:
    """Remember the settings a completed run used (and their fingerprint); `settings_changed_at`
    moves only when they changed."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    at = now()
    row: dict[str, object] = {"sync_name": sync_name, "settings_fingerprint": fingerprint, "settings": text}
    row["updated_at"] = at
    columns = ["settings_fingerprint", "settings", "updated_at"]
    with engine.begin() as conn:
        previous = conn.execute(sa.select(syncs.c.settings_fingerprint).where(syncs.c.sync_name == sync_name))
        if previous.scalar() != fingerprint:
            row["settings_changed_at"] = at
            columns.append("settings_changed_at")
        upsert(conn, syncs, [row], update=columns)


def read_full_reconcile_at(engine: Engine, sync_name: str) -> dt.datetime | None:
    """When the sync last read Sakari's whole account back (None: never)."""
    with engine.connect() as conn:
        found = conn.execute(sa.select(syncs.c.full_reconcile_at).where(syncs.c.sync_name == sync_name))
        return _aware(found.scalar())


def write_full_reconcile_at(engine: Engine, sync_name: str, at: dt.datetime | None = None) -> None:
    """Remember that the whole account was read back now (or at `at`)."""
    row = {"sync_name": sync_name, "full_reconcile_at": at or now(), "updated_at": now()}
    with engine.begin() as conn:
        upsert(conn, syncs, [row], update=["full_reconcile_at", "updated_at"])


def count_known_contacts(engine: Engine, sync_name: str) -> int:
    """How many contacts Sakari once accepted for the sync (ledger rows with a payload): about the
    least the account holds, for choosing how to read it back without asking Sakari."""
    q = sa.select(sa.func.count()).where(ledger.c.sync_name == sync_name, ledger.c.payload.is_not(None))
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one())
