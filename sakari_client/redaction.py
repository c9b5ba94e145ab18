"""The one place that decides what private data looks like in logs, errors and artifacts.

Phone numbers are masked to their last four digits; secrets (client secrets, bearer tokens, JWTs)
are dropped. Everything the project prints about a contact goes through `mask_phone` or `redact`.
`redact_logger` extends that to a third-party logger (httpx logs every request URL at INFO, and a
URL can carry a phone number as a search filter).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

MASK = "•"
_VISIBLE_DIGITS = 4

# A JWT (three base64url segments) or an `Authorization: Bearer …` value.
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',}]+")
_SECRET_FIELD = re.compile(
    r"(?i)(\"?(?:client_secret|access_token|password|secret)\"?\s*[:=]\s*\"?)[^\s\"&,}]+"
)
# Runs of at least 7 digits, allowing the separators people type inside phone numbers. A hexadecimal
# identifier of 16 or more characters (Sakari's list and contact ids, e.g. 5f1c0a0000000000deadbeef)
# is matched first and kept: masking its digits would hide which id an error is about.
_PHONE = re.compile(
    r"(?P<id>\b(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{16,}\b)|(?P<phone>\+?\d(?:[\s().\-/]*\d){6,})"
)


def mask_phone(value: object) -> str:
    """Mask a phone number to its last four digits: `+14155550123` becomes `•••••••0123`."""
    if value is None:
        return ""
    digits = [c for c in str(value) if c.isdigit()]
    if len(digits) <= _VISIBLE_DIGITS:
        return MASK * len(digits)
    return MASK * (len(digits) - _VISIBLE_DIGITS) + "".join(digits[-_VISIBLE_DIGITS:])


def redact(text: object) -> str:
    """Return `text` with tokens and secrets removed and any phone-like digit run masked."""
    out = str(text)
    out = _JWT.sub("[token]", out)
    out = _BEARER.sub(r"\1[token]", out)
    out = _SECRET_FIELD.sub(r"\1[secret]", out)
    return _PHONE.sub(lambda m: m.group("id") or mask_phone(m.group("phone")), out)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through `redact`, URL-decoded first so that an encoded
    number (`%2B1%20415...`) is recognised too."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(unquote_plus(record.getMessage()))
        record.args = None
        return True


def redact_logger(name: str) -> None:
    """Attach a `RedactingFilter` to the logger `name` (once; repeated calls change nothing)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
