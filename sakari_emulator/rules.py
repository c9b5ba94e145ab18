"""Deterministic fault triggers, moto-style: fault rules and the `X-Emulator-Fault` request header.

A rule (`POST /_emulator/rules`) answers the requests it matches with an error of its choosing, or
lets the write commit and then drops the connection; it does so `times` times, or for every match.
The header answers the one request that carries it. Both are checked after the token and the
account and before the random fault plan, so a test that needs "this request fails" depends on no
clock and no random share. A rule naming a `mobile` also turns that row of a CSV upload into a row
error. `RuleBook` is cheap when empty: the routes test its truth before anything else.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from .exceptions import ApiError, InjectedFaultError
from .phones import normalize_mobile

FAULT_HEADER: Final = "x-emulator-fault"
DROP: Final = "drop"
# Set in the ASGI scope when a header or rule asks for a drop; the middleware acts on it.
DROP_KEY: Final = "sakari_emulator.drop"
Fault = InjectedFaultError | Literal["drop"]
METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "DELETE")
_FIELDS = frozenset(
    {"mobile", "method", "route", "status", "code", "message", "retry_after", "drop", "times"}
)
_HEADER_FORMS = "429, 500, 503, drop, or '<status> <CODE>' such as '400 EMU-LIST-UNKNOWN'"


@dataclass(slots=True)
class FaultRule:
    """One rule; `times` is what is left (None: every match), `hits` how often it answered."""

    id: int
    status: int | None = None
    mobile: str | None = None
    method: str | None = None
    route: str | None = None
    code: str | None = None
    message: str | None = None
    retry_after: int | None = None
    drop: bool = False
    times: int | None = None
    hits: int = 0

    def matches(self, method: str, route: str, mobile: str | None) -> bool:
        return (
            self.times != 0
            and (self.mobile is None or self.mobile == mobile)
            and (self.method is None or self.method == method)
            and (self.route is None or self.route == route)
        )

    def fault(self) -> Fault:
        if self.drop:
            return DROP
        assert self.status is not None
        return InjectedFaultError(self.status, self.code, self.message, self.retry_after)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "mobile": self.mobile, "method": self.method, "route": self.route,
            "status": self.status, "code": self.code, "message": self.message,
            "retry_after": self.retry_after, "drop": self.drop, "times": self.times, "hits": self.hits,
        }  # fmt: skip


class RuleBook:
    """The fault rules of one emulator, in the order they were added (the first match wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self.wants_mobile = False  # some rule names a mobile: the routes must read it from the body

    def __bool__(self) -> bool:
        return bool(self._rules)

    def add(self, values: Mapping[str, Any], routes: Collection[str]) -> FaultRule:
        """Validate and add a rule (ValueError naming the field); `routes` are the known templates."""
        with self._lock:
            rule = parse_rule(values, routes, self._next_id)
            self._next_id += 1
            self._rules.append(rule)
            self.wants_mobile = self.wants_mobile or rule.mobile is not None
            return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            kept = [rule for rule in self._rules if rule.id != rule_id]
            found = len(kept) < len(self._rules)
            self._set(kept)
            return found

    def clear(self) -> None:
        with self._lock:
            self._set([])

    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def take(self, method: str, route: str, mobile: str | None, *, rows: bool = False) -> Fault | None:
        """The fault of the first rule matching this request (used up once), or None.

        With `rows`, only rules naming a mobile count (one CSV row) and drop rules never do.
        """
        with self._lock:
            for rule in self._rules:
                if rows and (rule.mobile is None or rule.drop):
                    continue
                if rule.matches(method, route, mobile):
                    rule.hits += 1
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.fault()
            return None

    def row_check(self, method: str, route: str) -> Callable[[str], None] | None:
        """For a CSV upload: a check that raises a row's rule error, given its E.164 mobile."""
        if not self.wants_mobile:
            return None

        def check(mobile: str) -> None:
            fault = self.take(method, route, mobile, rows=True)
            if isinstance(fault, ApiError):
                raise fault

        return check

    def _set(self, rules: list[FaultRule]) -> None:
        self._rules = rules
        self.wants_mobile = any(rule.mobile is not None for rule in rules)


def parse_fault_header(value: str, retry_after: bool) -> Fault:
    """`X-Emulator-Fault`: `drop`, a status (`429`, `500`, ...) or `<status> <CODE>`; 400 if malformed.

    An injected 429 carries `Retry-After: 1` unless the emulator's `retry_after` setting is off.
    """
    text = value.strip()
    if text.lower() == DROP:
        return DROP
    status_text, _, code = text.partition(" ")
    valid_status = status_text.isascii() and status_text.isdigit() and 400 <= int(status_text) <= 599
    if not valid_status or len(code.split()) > 1:
        raise ApiError(f"X-Emulator-Fault must be {_HEADER_FORMS}")
    status = int(status_text)
    wait = 1 if status == 429 and retry_after else None
    return InjectedFaultError(status, code.strip() or None, retry_after=wait)


def parse_rule(values: Mapping[str, Any], routes: Collection[str], rule_id: int) -> FaultRule:
    """A `FaultRule` from a JSON object, or ValueError naming the field."""
    unknown = sorted(set(values) - _FIELDS)
    if unknown:
        raise ValueError(f"unknown rule field(s): {', '.join(unknown)}")
    drop = values.get("drop", False)
    if not isinstance(drop, bool):
        raise ValueError("drop must be true or false")
    status = _whole(values, "status", 400, 599)
    if drop == (status is not None):
        raise ValueError("a rule needs a status (400..599), or drop: true and no status")
    if drop and (values.get("code") is not None or values.get("message") is not None):
        raise ValueError("a drop rule takes no code or message")
    return FaultRule(
        id=rule_id,
        status=status,
        mobile=_mobile(values.get("mobile")),
        method=_choice(values, "method", METHODS, str.upper),
        route=_choice(values, "route", tuple(routes), str),
        code=_text(values, "code"),
        message=_text(values, "message"),
        retry_after=_whole(values, "retry_after", 0, 86_400),
        drop=drop,
        times=_whole(values, "times", 1, None),
    )


def _whole(values: Mapping[str, Any], name: str, low: int, high: int | None) -> int | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high and value > high):
        upper = f"..{high}" if high else " or more"
        raise ValueError(f"{name} must be a whole number {low}{upper}, or null")
    return value


def _text(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"{name} must be a non-empty string, or null")
    return value


def _choice(
    values: Mapping[str, Any], name: str, allowed: tuple[str, ...], fold: Callable[[str], str]
) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or fold(value) not in allowed:
        raise ValueError(f"{name} must be one of: {', '.join(allowed)}")
    return fold(value)


def _mobile(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("mobile must be an E.164 string such as +14155550100")
    try:
        return normalize_mobile(value, None)[0]
    except ApiError:
        raise ValueError("mobile must be an E.164 string such as +14155550100") from None
