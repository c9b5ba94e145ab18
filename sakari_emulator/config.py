"""The emulator's settings: one dataclass shared by the CLI, the server and the tests.

The fault fields (`FAULT_FIELDS`) can also be changed while the emulator runs, through
`PATCH /_emulator/faults`; `check_faults` is the one validation both paths use. The answer-style
fields (`STYLE_FIELDS`) likewise, through `PATCH /_emulator/styles` and `check_styles`.
"""

from __future__ import annotations

import ipaddress
import math
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# The one account and OAuth client an emulator serves unless told otherwise (documented, not secret).
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - the documented demo credential, not a secret
DEMO_ACCOUNT_ID = "demo-account"

# "full": `pagination` has `hasNext`, as on Sakari's create-contact page; "openapi": only
# `totalCount`, `limit` and `offset`, as the older OpenAPI file's `PaginatedResponse` declares.
PaginationStyle = Literal["full", "openapi"]
# "rows": CSV row errors are `{row, code, description}`; "openapi": each is shaped like a Contact
# (the row's fields as sent, `valid: false`, `error: {code, description}`), with no row number.
BulkAnswerStyle = Literal["rows", "openapi"]
STYLE_FIELDS: dict[str, tuple[str, ...]] = {
    "pagination_style": get_args(PaginationStyle),
    "bulk_answer_style": get_args(BulkAnswerStyle),
}

FAULT_FIELDS: tuple[str, ...] = (
    "rate_limit",
    "burst",
    "retry_after",
    "token_ttl",
    "latency",
    "latency_jitter",
    "error_rate",
    "drop_rate",
    "throttle_burst_every",
    "throttle_burst_length",
)
_SHARES = ("error_rate", "drop_rate")
_DURATIONS = ("latency", "latency_jitter", "throttle_burst_every", "throttle_burst_length")


@dataclass
class EmulatorConfig:
    """Everything one emulator instance needs; every fault is off by default."""

    host: str = "127.0.0.1"
    port: int = 8765
    database: str = ":memory:"
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    account_id: str = DEMO_ACCOUNT_ID
    lists: list[str] = field(default_factory=list)
    rate_limit: float | None = None
    burst: int = 10
    retry_after: bool = True
    token_ttl: float = 3600.0
    latency: float = 0.0
    latency_jitter: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    throttle_burst_every: float = 0.0
    throttle_burst_length: float = 0.0
    pagination_style: PaginationStyle = "full"
    bulk_answer_style: BulkAnswerStyle = "rows"
    seed: int | None = None
    allow_remote: bool = False

    def __post_init__(self) -> None:
        check_faults(self.faults())
        check_styles(self.styles())
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        if not self.client_id or not self.client_secret or not self.account_id:
            raise ValueError("client_id, client_secret and account_id must not be empty")
        if len(set(self.lists)) != len(self.lists) or any(not name.strip() for name in self.lists):
            raise ValueError("list names must be unique and not blank")

    def faults(self) -> dict[str, Any]:
        """The fault fields and their current values."""
        return {name: getattr(self, name) for name in FAULT_FIELDS}

    def styles(self) -> dict[str, Any]:
        """The answer-style fields and their current values."""
        return {name: getattr(self, name) for name in STYLE_FIELDS}


def check_styles(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate answer-style settings (a full or partial set); return them, or raise ValueError."""
    for name, value in values.items():
        allowed = STYLE_FIELDS.get(name)
        if allowed is None:
            raise ValueError(f"unknown style field: {name}; known: {', '.join(STYLE_FIELDS)}")
        if value not in allowed:
            raise ValueError(f"{name} must be one of: {', '.join(allowed)}")
    return dict(values)


def check_faults(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate fault settings (a full or partial set); return them, or raise ValueError naming the field."""
    unknown = sorted(set(values) - set(FAULT_FIELDS))
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for name, value in values.items():
        out[name] = _check_one(name, value)
    every = out.get("throttle_burst_every", 0.0)
    length = out.get("throttle_burst_length", 0.0)
    if every and length and length >= every:
        raise ValueError("throttle_burst_length must be shorter than throttle_burst_every")
    return out


def _check_one(name: str, value: Any) -> Any:
    if name == "retry_after":
        if not isinstance(value, bool):
            raise ValueError("retry_after must be true or false")
        return value
    if name == "rate_limit" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    if name == "burst":
        if int(value) != value or value < 1:
            raise ValueError("burst must be a whole number of at least 1")
        return int(value)
    if name in _SHARES and not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1")
    if name in _DURATIONS and value < 0:
        raise ValueError(f"{name} must not be negative")
    if name in ("rate_limit", "token_ttl") and value <= 0:
        raise ValueError(f"{name} must be greater than 0")
    return float(value)


def is_loopback_host(host: str) -> bool:
    """True when every address `host` resolves to is a loopback address (127.0.0.0/8 or ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses)
