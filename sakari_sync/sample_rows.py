"""The contact rows of the sample warehouse, drawn from one seed (see `sample_data` for the table).

`ContactGenerator` streams rows as dicts: people of a dozen countries with names, emails, plans,
segments and phones, and the mess a sync must survive. It keeps no rows (a bit per phone number in
`sample_phones.NumberPool` and a fixed-size sample of people to duplicate), so millions of rows
stream through in constant memory. `number_demand` says how many distinct numbers a row draws from
each range, which sizes the ranges.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from phonenumbers import PhoneNumberType as Kind

from sakari_sync.sample_phones import Number, NumberPool, fill_digits, number_layouts

__all__ = ["EPOCH", "SEGMENTS", "ContactGenerator", "number_demand"]

EPOCH, YEAR = dt.datetime(2024, 1, 1), dt.timedelta(days=365)
SEGMENTS = ("newsletter", "vip", "beta", "churn-risk", "sms-promos")  # list names in `segments`

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
_EMOJI = ["🌸", "🚀", "🦄", "✨"]
_BAD_EMAILS = ["{u}@", "{u}.example.com", "{u}@@example.com", "{u}@example", "{u} @example.com"]
_INVALID = ["12345", "+1 (099) 555-01{d2}", "000-000-0000", "+44 7400 1{d2}", "+1 555 555 01{d2}", "n/a",
            "call me", "+1 415 555 01{d2} 99", "tbd"]  # fmt: skip
_T = TypeVar("_T")
_REGION_CUM = list(itertools.accumulate(w for w, _, _ in _PEOPLE.values()))
_PLANS, _PLAN_CUM = ["free", "pro", "enterprise", "Pro", None], [58, 86, 91, 94, 100]
_EXTENSIONS = [" ext. 12", " x345", ";ext=7"]
# Shares of rows that repeat an earlier person, and of people's phones by kind (the rest are
# missing); `number_demand` derives from them.
_DUPLICATE, _MOBILE, _INVALID_SHARE, _FIXED_LINE, _TOLL_FREE = 0.025, 0.885, 0.025, 0.03, 0.2
_RESERVOIR = 10_000  # people a duplicate copies: a uniform sample of everyone so far
_Person = tuple[str | None, str | None, Number]  # first name, last name, mobile


def number_demand() -> dict[tuple[str, int], float]:
    """Expected distinct numbers one row draws, by (region, kind) of `sample_phones.number_ranges`."""
    people, total = 1 - _DUPLICATE, _REGION_CUM[-1]
    demand = {(region, Kind.MOBILE): people * _MOBILE * w / total for region, (w, _, _) in _PEOPLE.items()}
    fixed = people * _FIXED_LINE
    demand |= {(region, Kind.FIXED_LINE): fixed * (1 - _TOLL_FREE) / len(_FIXED) for region in _FIXED}
    demand[("US", Kind.TOLL_FREE)] = fixed * _TOLL_FREE
    return demand


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


class ContactGenerator:
    """Draws contacts from one seeded Random, so the rows depend on nothing else.

    `start` and `span` bound `updated_at`; `spare=True` draws phones apart from those of a table
    built earlier (for rows added to it), see `NumberPool`.
    """

    def __init__(
        self, seed: int, start: dt.datetime = EPOCH, span: dt.timedelta = YEAR, *, spare: bool = False
    ) -> None:
        self.rnd, self.start, self.span_minutes = _Dice(seed), start, int(span.total_seconds() // 60)
        self.spare = spare  # draw phones apart from the table's (rows added later)
        self.pools: dict[tuple[str, int], NumberPool] = {}
        self.people: list[_Person] = []
        self.seen = 0

    def rows(self, first_id: int, count: int) -> Iterator[dict[str, Any]]:
        """`count` rows with ids from `first_id` on, keyed by column name."""
        for cid in range(first_id, first_id + count):
            if self.people and self.rnd.random() < _DUPLICATE:
                row = self._duplicate(*self.rnd.pick(self.people))
            else:
                row = self._person()
            row["id"] = cid
            yield row

    def _person(self) -> dict[str, Any]:
        r = self.rnd
        region = r.weighted(_REGIONS, _REGION_CUM)
        first, last = (r.pick(names) for names in _NAMES[region])
        row = self._details(region, first, last)
        roll = r.random()
        if roll < _MOBILE:
            number = self._number(region, Kind.MOBILE)
            self._remember((row["first_name"], row["last_name"], number))
            row["phone"] = self._write(number, row["country"])
            if r.random() < 0.015:
                row["phone"] = row["phone"].rstrip() + r.pick(_EXTENSIONS)
        elif roll < _MOBILE + _INVALID_SHARE:
            row["phone"] = r.pick(_INVALID).format(d2=r.below(99, 10))
        elif roll < _MOBILE + _INVALID_SHARE + _FIXED_LINE:
            toll_free = r.random() < _TOLL_FREE
            fixed = self._number(
                "US" if toll_free else r.pick(_FIXED), Kind.TOLL_FREE if toll_free else Kind.FIXED_LINE
            )
            row["phone"] = self._write(fixed, row["country"])
        else:
            row["phone"] = r.pick([None, None, None, "", "   "])
        return row

    def _remember(self, person: _Person) -> None:
        """Keep `person` in a uniform sample of everyone so far (reservoir sampling)."""
        self.seen += 1
        if len(self.people) < _RESERVOIR:
            self.people.append(person)
        elif (slot := self.rnd.below(self.seen)) < _RESERVOIR:
            self.people[slot] = person

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
            "id": None,
            "first_name": None if r.random() < 0.02 else first,
            "last_name": None if r.random() < 0.03 else last,
            "email": self._email(first, last),
            "phone": None,
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
        pool = self.pools.get((region, kind))
        if pool is None:
            pool = self.pools[region, kind] = NumberPool(region, kind, spare=self.spare)
        return pool.draw(self.rnd.random)

    def _write(self, number: Number, country: str | None) -> str:
        region, prefix, suffix = number
        layouts = number_layouts(region, prefix, len(suffix), (country or "US").upper())
        return fill_digits(self.rnd.pick(layouts), suffix)

    def _duplicate(self, first: str | None, last: str | None, number: Number) -> dict[str, Any]:
        """The same person again, from another system: same phone, written and filled in differently."""
        r = self.rnd
        twin = self._details(number[0], first or "", last or "")
        twin["first_name"], twin["last_name"] = first, last
        if r.random() < 0.5:
            twin["last_name"] = f"{last or ''}-{r.pick(['Smith', 'Lee'])}".strip("-")
        twin["phone"] = self._write(number, twin["country"])
        return twin
