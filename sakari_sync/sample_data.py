"""A realistic, messy `contacts` table for the demo and the tests, the same for the same rows and seed.

Columns: id (key), first_name, last_name, email, phone, country (ISO2, sometimes lower case or NULL),
plan, segments (comma-separated list names), signup_date, lifetime_value, updated_at (the cursor).
Most phones are valid mobiles of a dozen countries, written every way people write them (national,
international, E.164, `00` prefix, missing `+`, dashes, dots, parentheses, `(0)`, padding). The
rest is the mess a sync must survive: about 2.5% duplicate people (same phone, conflicting fields),
2.5% invalid numbers, 3% fixed lines and toll-free numbers, NULL and blank phones, extensions,
non-ASCII and emoji names, invalid emails. `updated_at` is minute-rounded, so rows share values.
Timestamps come from a fixed epoch, never the clock. Works on any SQLAlchemy URL (SQLite for the demo).
The phone number ranges and the ways of writing them live in `sample_phones`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from phonenumbers import PhoneNumberType as Kind

from sakari_sync.sample_phones import Number, fill_digits, is_valid_mobile, number_layouts, number_ranges

__all__ = ["SEGMENTS", "Mutation", "create_sample_warehouse", "mutate_sample_warehouse", "sample_url"]

EPOCH, YEAR = dt.datetime(2024, 1, 1), dt.timedelta(days=365)
_TEXT = {
    "first_name": 100,
    "last_name": 100,
    "email": 200,
    "phone": 50,
    "country": 2,
    "plan": 20,
    "segments": 200,
}
CONTACTS = sa.Table(
    "contacts",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    *(sa.Column(name, sa.String(size)) for name, size in _TEXT.items()),
    sa.Column("signup_date", sa.Date),
    sa.Column("lifetime_value", sa.Numeric(12, 2, asdecimal=False)),
    sa.Column("updated_at", sa.DateTime),
)

# region: (weight, first names, last names)
_PEOPLE: dict[str, tuple[int, str, str]] = {
    "US": (
        42,
        "James Mary Olivia Liam Noah Ava Ethan Zoë Chloé Harper",
        "Smith O'Brien Nguyen García Miller",
    ),
    "CA": (5, "Émilie Liam Olivia Noah Chloé Félix", "Tremblay Roy Gagnon Côté Smith"),
    "GB": (10, "Oliver Amelia Harry Isla George Siobhán", "Jones Taylor Brown Evans O'Neill Wright"),
    "DE": (7, "Jürgen Lena Maximilian Anna Lukas Sophie", "Müller Strauß Schmidt Weiß Groß Becker"),
    "FR": (6, "Amélie François Léa Hélène Benoît Zoé", "Dupont Lefèvre Martin Bernard Girard"),
    "ES": (4, "José María Sofía Nicolás Lucía Martín", "García Fernández López Peña Núñez"),
    "MX": (5, "José Guadalupe Ximena Santiago Valentina", "Hernández Martínez Pérez Sánchez"),
    "BR": (5, "João Ana Luíza Gonçalo Thiago", "Silva Conceição Araújo Santos"),
    "IN": (5, "Aarav Priya Ananya Rohan Saanvi", "Sharma Patel Iyer Gupta Reddy"),
    "AU": (3, "Jack Charlotte William Mia", "Smith Jones Williams Kelly"),
    "JP": (3, "太郎 花子 陽菜 Yuki Haruto", "山田 佐藤 鈴木 Tanaka Sato"),
    "NG": (2, "Chinedu Ngozi Oluwaseun Adaeze", "Okafor Adeyemi Eze Bello"),
    "AE": (3, "محمد فاطمة أحمد Omar Layla", "العربي الحسن Haddad Nasser"),
}
_REGIONS = list(_PEOPLE)
_NAMES = {region: (first.split(), last.split()) for region, (_, first, last) in _PEOPLE.items()}
_FIXED = ["GB", "DE", "FR", "ES", "AU", "JP"]
SEGMENTS = ("newsletter", "vip", "beta", "churn-risk", "sms-promos")  # list names in `segments`
_EMOJI = ["🌸", "🚀", "🦄", "✨"]
_BAD_EMAILS = ["{u}@", "{u}.example.com", "{u}@@example.com", "{u}@example", "{u} @example.com"]
_INVALID = ["12345", "+1 (099) 555-01{d2}", "000-000-0000", "+44 7400 1{d2}", "+1 555 555 01{d2}", "n/a",
            "call me", "+1 415 555 01{d2} 99", "tbd"]  # fmt: skip
_T = TypeVar("_T")
_REGION_CUM = list(itertools.accumulate(w for w, _, _ in _PEOPLE.values()))
_PLANS, _PLAN_CUM = ["free", "pro", "enterprise", "Pro", None], [58, 86, 91, 94, 100]


@dataclass(frozen=True)
class Mutation:
    """What `mutate_sample_warehouse` changed, by contact id."""

    updated: list[int]
    inserted: list[int]
    invalidated: int | None


def sample_mapping(list_ids: dict[str, str]) -> dict[str, Any]:
    """How the sample warehouse's columns map to Sakari (the demo's, the benchmarks' and the tests')."""
    return {
        "mobile": "phone",
        "country": "country",
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "attributes": {"signupDate": "signup_date", "lifetimeValue": "lifetime_value"},
        "lists": {"column": "segments", "separator": ",", "ids": list_ids},
    }


def sample_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL for `url_or_path`; a plain path means a SQLite file."""
    text = str(url_or_path)
    return text if "://" in text else f"sqlite:///{Path(text)}"


def create_sample_warehouse(url_or_path: str | Path, rows: int, seed: int = 0) -> str:
    """(Re)create the `contacts` table with `rows` messy contacts; returns the database URL."""
    url = sample_url(url_or_path)
    records = _Generator(seed).records(1, rows)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            CONTACTS.drop(conn, checkfirst=True)
            CONTACTS.create(conn)
            if records:
                conn.execute(CONTACTS.insert(), records)
    finally:
        engine.dispose()
    return url


def mutate_sample_warehouse(url: str | Path, changes: int, seed: int = 0) -> Mutation:
    """Edit `changes` rows (name/email), add about changes/10 rows, make one valid mobile invalid.

    Every touched row gets an `updated_at` after the current greatest one, as a real edit would
    (edits share timestamps in threes; new rows fall in the hour after the edits).
    """
    rnd = random.Random(seed)
    engine = sa.create_engine(sample_url(url))
    c = CONTACTS.c
    try:
        with engine.begin() as conn:
            max_id, latest = conn.execute(sa.select(sa.func.max(c.id), sa.func.max(c.updated_at))).one()
            now = (latest or EPOCH) + dt.timedelta(hours=1)
            ids = list(conn.scalars(sa.select(c.id).order_by(c.id)))
            updated = sorted(rnd.sample(ids, min(changes, len(ids))))
            for i, cid in enumerate(updated):
                stamp = now + dt.timedelta(minutes=i // 3)
                conn.execute(sa.update(CONTACTS).where(c.id == cid).values(**_edit(rnd, i), updated_at=stamp))
            new = _Generator(seed, start=now, span=dt.timedelta(hours=1)).records(
                (max_id or 0) + 1, max(1, changes // 10)
            )
            conn.execute(CONTACTS.insert(), new)
            invalidated = _invalidate_one(conn, rnd, set(updated), now)
    finally:
        engine.dispose()
    return Mutation(updated, [r["id"] for r in new], invalidated)


def _edit(rnd: random.Random, i: int) -> dict[str, Any]:
    tag = rnd.randrange(1000, 9999)
    if i % 3 == 0:
        return {"first_name": f"Renamed{tag}"}
    if i % 3 == 1:
        return {"email": f"moved.{tag}@example.org"}
    return {"last_name": f"Changed{tag}", "email": f"both.{tag}@example.net"}


def _invalidate_one(conn: sa.Connection, rnd: random.Random, skip: set[int], now: dt.datetime) -> int | None:
    c = CONTACTS.c
    for cid, phone, country in conn.execute(sa.select(c.id, c.phone, c.country).order_by(c.id)):
        if cid not in skip and is_valid_mobile(phone, country):
            bad = f"+1 (099) 555-01{rnd.randrange(10, 99)}"
            conn.execute(sa.update(CONTACTS).where(c.id == cid).values(phone=bad, updated_at=now))
            return int(cid)
    return None


@lru_cache(maxsize=4096)
def _email_user(first: str, last: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum() or c == ".").strip(".") or "user"


class _Dice(random.Random):
    """`random.Random` plus draws that cost one float each, so 100k rows take seconds, not tens."""

    def pick(self, seq: Sequence[_T]) -> _T:
        return seq[int(self.random() * len(seq))]

    def below(self, high: int, low: int = 0) -> int:
        return low + int(self.random() * (high - low))

    def weighted(self, values: Sequence[_T], cum_weights: Sequence[float]) -> _T:
        return values[bisect.bisect(cum_weights, self.random() * cum_weights[-1])]


class _Generator:
    """Draws contacts from one seeded Random, so the table depends on nothing else."""

    def __init__(self, seed: int, start: dt.datetime = EPOCH, span: dt.timedelta = YEAR) -> None:
        self.rnd, self.start, self.span_minutes = _Dice(seed), start, int(span.total_seconds() // 60)
        self.used: set[Number] = set()
        self.people: list[tuple[dict[str, Any], Number]] = []

    def records(self, first_id: int, count: int) -> list[dict[str, Any]]:
        out = []
        for cid in range(first_id, first_id + count):
            if self.people and self.rnd.random() < 0.025:
                row = self._duplicate(*self.rnd.pick(self.people))
            else:
                row = self._person()
            out.append({**row, "id": cid})
        return out

    def _person(self) -> dict[str, Any]:
        r = self.rnd
        region = r.weighted(_REGIONS, _REGION_CUM)
        first, last = (r.pick(names) for names in _NAMES[region])
        row = self._details(region, first, last)
        roll = r.random()
        if roll < 0.885:
            number = self._number(region, Kind.MOBILE)
            self.people.append((row, number))
            row["phone"] = self._write(number, row["country"])
            if r.random() < 0.015:
                row["phone"] = row["phone"].rstrip() + r.pick([" ext. 12", " x345", ";ext=7"])
        elif roll < 0.91:
            row["phone"] = r.pick(_INVALID).format(d2=r.below(99, 10))
        elif roll < 0.94:
            toll_free = r.random() < 0.2
            fixed = self._number(
                "US" if toll_free else r.pick(_FIXED), Kind.TOLL_FREE if toll_free else Kind.FIXED_LINE
            )
            row["phone"] = self._write(fixed, row["country"])
        else:
            row["phone"] = r.pick([None, None, None, "", "   "])
        return row

    def _details(self, region: str, first: str, last: str) -> dict[str, Any]:
        r = self.rnd
        if r.random() < 0.01:
            first = f"{first} {r.pick(_EMOJI)}"
        style = r.random()
        if style > 0.85:
            first = first.upper() if style > 0.95 else (f"  {first} " if style > 0.9 else first.lower())
        updated = self.start + dt.timedelta(minutes=r.below(self.span_minutes))
        country = None if r.random() < 0.08 else (region.lower() if r.random() < 0.05 else region)
        return {
            "first_name": None if r.random() < 0.02 else first,
            "last_name": None if r.random() < 0.03 else last,
            "email": self._email(first, last),
            "country": country,
            "plan": r.weighted(_PLANS, _PLAN_CUM),
            "segments": self._segments(),
            "signup_date": (updated - dt.timedelta(days=r.below(2000))).date(),
            "lifetime_value": None if r.random() < 0.05 else round(r.lognormvariate(4, 1.2), 2),
            "updated_at": updated,
        }

    def _email(self, first: str, last: str) -> str | None:
        r = self.rnd
        user = f"{_email_user(first, last)}{r.below(999, 1)}"
        roll = r.random()
        if roll < 0.05:
            return None
        if roll < 0.08:
            return r.pick(_BAD_EMAILS).format(u=user)
        domain = r.pick(["example.com", "example.org", "example.net", "mail.example.com"])
        return f"{user}@{domain}" if roll < 0.95 else f" {user.title()}@{domain.upper()} "

    def _segments(self) -> str | None:
        r = self.rnd
        picked = [s for s in SEGMENTS if r.random() < 0.25]
        if picked and r.random() < 0.05:
            picked.append(picked[0])  # 'vip,vip'
        joined = r.pick([",", ", ", " , "]).join(picked)
        return None if not picked and r.random() < 0.5 else joined

    def _number(self, region: str, kind: int) -> Number:
        r = self.rnd
        for _ in range(1000):  # numbers are unique per table; each range holds 10^4 to 10^6
            prefix, free = r.pick(number_ranges(region, kind))
            number = (region, prefix, f"{r.below(10**free):0{free}d}")
            if number not in self.used:
                self.used.add(number)
                return number
        raise ValueError(f"ran out of sample {region} numbers; use fewer rows")

    def _write(self, number: Number, country: str | None) -> str:
        region, prefix, suffix = number
        layouts = number_layouts(region, prefix, len(suffix), (country or "US").upper())
        return fill_digits(self.rnd.pick(layouts), suffix)

    def _duplicate(self, person: dict[str, Any], number: Number) -> dict[str, Any]:
        """The same person again, from another system: same phone, written and filled in differently."""
        r = self.rnd
        twin = self._details(number[0], person["first_name"] or "", person["last_name"] or "")
        twin["first_name"], twin["last_name"] = person["first_name"], person["last_name"]
        if r.random() < 0.5:
            twin["last_name"] = f"{person['last_name'] or ''}-{r.pick(['Smith', 'Lee'])}".strip("-")
        twin["phone"] = self._write(number, twin["country"])
        return twin
