"""SQLite persistence for the emulator's state (stdlib sqlite3; a file path or ":memory:").

One connection, used under the backend's lock. A file database uses WAL with synchronous=NORMAL:
commits do not fsync, which is what lets a local sync run at thousands of writes a second, and a
crash of the emulator still leaves a consistent file. Only one emulator may use a file at a time:
lists and blocks are cached in memory.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

Scalar = str | int | float | bool | None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS blocked (mobile TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    mobile TEXT NOT NULL UNIQUE,
    country TEXT, first_name TEXT, last_name TEXT, email TEXT,
    attributes TEXT NOT NULL, lists TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
"""
_COLUMNS = "id, mobile, country, first_name, last_name, email, attributes, lists, created_at, updated_at"
_SELECT = f"SELECT {_COLUMNS} FROM contacts"  # noqa: S608 - constant column list, no values
_UPDATE = (
    "UPDATE contacts SET mobile=?, country=?, first_name=?, last_name=?, email=?, attributes=?, lists=?,"
    " created_at=?, updated_at=? WHERE id=?"
)
_INSERT = f"INSERT INTO contacts (seq, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_FILTER_COLUMNS = {"firstName": "first_name", "lastName": "last_name", "email": "email", "mobile": "mobile"}
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass(slots=True)
class Membership:
    list_id: str
    opt_in: str
    opt_out: str | None = None


@dataclass(slots=True)
class Contact:
    id: str
    mobile: str
    country: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    attributes: dict[str, Scalar]
    lists: list[Membership]
    created_at: str
    updated_at: str
    blocked: str | None = None


class ContactStore:
    """Tables `contacts`, `lists` and `blocked`, with lists and blocks cached in memory."""

    def __init__(self, database: str, *, seed: int | None, account_id: str) -> None:
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        if database != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.executescript(_SCHEMA)
        # Ids are hashes of a salt and a never-reused sequence number: unique, 24 lowercase hex,
        # and the same on every run for a given seed.
        self._salt = f"{account_id}:{seed}" if seed is not None else secrets.token_hex(8)
        self._list_salt = f"{account_id}:{seed}"
        self.lists: dict[str, str] = {}
        self._blocked: dict[str, str] = {}
        self._last_seq = 0
        self._load_caches()

    def _load_caches(self) -> None:
        self.lists = dict(self._db.execute("SELECT id, name FROM lists ORDER BY seq").fetchall())
        self._blocked = dict(self._db.execute("SELECT mobile, at FROM blocked").fetchall())
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'contacts'").fetchone()
        self._last_seq = int(row[0]) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            self._load_caches()
            raise
        self._db.execute("COMMIT")

    def ensure_lists(self, names: Iterable[str]) -> None:
        """Create the named lists that do not exist yet; ids derive from account, seed and name."""
        with self.transaction():
            known = set(self.lists.values())
            for name in names:
                if name not in known:
                    list_id = _hex24(f"{self._list_salt}:list:{name}")
                    self._db.execute("INSERT INTO lists (id, name) VALUES (?, ?)", (list_id, name))
                    self.lists[list_id] = name

    def next_id(self) -> tuple[int, str]:
        self._last_seq += 1
        return self._last_seq, _hex24(f"{self._salt}:contact:{self._last_seq}")

    def insert(self, seq: int, contact: Contact) -> None:
        self._db.execute(_INSERT, (seq, *_row(contact)))

    def save(self, contact: Contact) -> None:
        self._db.execute(_UPDATE, (*_row(contact)[1:], contact.id))

    def delete(self, contact_id: str) -> bool:
        return self._db.execute("DELETE FROM contacts WHERE id = ?", (contact_id,)).rowcount > 0

    def get(self, contact_id: str) -> Contact | None:
        row = self._db.execute(f"{_SELECT} WHERE id = ?", (contact_id,)).fetchone()
        return None if row is None else self._contact(row)

    def find_by_mobile(self, mobile: str) -> Contact | None:
        row = self._db.execute(f"{_SELECT} WHERE mobile = ?", (mobile,)).fetchone()
        return None if row is None else self._contact(row)

    def search(self, filters: dict[str, str], offset: int, limit: int) -> tuple[list[Contact], int]:
        """Partial, ASCII-case-insensitive matches on every filter; creation order."""
        clauses: list[str] = []
        params: list[str] = []
        for name, value in filters.items():
            if name == "mobile":
                value = "".join(c for c in value if c.isascii() and c.isdigit()) or "\x00"
            clauses.append(f"{_FILTER_COLUMNS[name]} LIKE ? ESCAPE '\\'")
            params.append("%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        total = self._db.execute(f"SELECT count(*) FROM contacts{where}", params).fetchone()[0]  # noqa: S608
        rows = self._db.execute(f"{_SELECT}{where} ORDER BY seq LIMIT ? OFFSET ?", (*params, limit, offset))
        return [self._contact(row) for row in rows], int(total)

    def all(self) -> list[Contact]:
        return [self._contact(row) for row in self._db.execute(f"{_SELECT} ORDER BY seq")]

    def blocked_at(self, mobile: str) -> str | None:
        return self._blocked.get(mobile)

    def block(self, mobile: str, now: str) -> str:
        """Record a block (idempotent); returns when the mobile was first blocked."""
        if mobile not in self._blocked:
            self._db.execute("INSERT INTO blocked (mobile, at) VALUES (?, ?)", (mobile, now))
            self._blocked[mobile] = now
        return self._blocked[mobile]

    def clear(self) -> None:
        """Delete contacts and blocks (ids are still never reused)."""
        self._db.execute("DELETE FROM contacts")
        self._db.execute("DELETE FROM blocked")
        self._blocked.clear()

    def close(self) -> None:
        self._db.close()

    def _contact(self, row: tuple[Any, ...]) -> Contact:
        contact_id, mobile, country, first_name, last_name, email, attributes, lists, created, updated = row
        return Contact(
            contact_id, mobile, country, first_name, last_name, email,
            json.loads(attributes), [Membership(*m) for m in json.loads(lists)],
            created, updated, self._blocked.get(mobile),
        )  # fmt: skip


def _row(c: Contact) -> tuple[object, ...]:
    lists = [[m.list_id, m.opt_in, m.opt_out] for m in c.lists]
    attributes = _dumps(c.attributes)
    return (c.id, c.mobile, c.country, c.first_name, c.last_name, c.email, attributes, _dumps(lists),
            c.created_at, c.updated_at)  # fmt: skip


def _hex24(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
