"""The emulator's own, deliberately simple mobile number rule (not libphonenumber).

- Spaces, dashes, dots, slashes and parentheses are ignored.
- `+` followed by 8 to 15 digits is taken as E.164 as it is (`00` in front counts as `+`).
- Otherwise the number must be digits and `mobile.country` must name a country in `CALLING_CODES`:
  one national trunk `0` is dropped (for NANP countries a leading `1` on 11 digits is dropped), the
  calling code is put in front, and the result must have 8 to 15 digits.
- Anything else is 400 `CONT-001`. The emulator never checks that a number is really a mobile.
"""

from __future__ import annotations

from .exceptions import InvalidMobileError

CALLING_CODES: dict[str, str] = {
    "US": "1", "CA": "1", "PR": "1", "GB": "44", "IE": "353", "FR": "33", "DE": "49", "ES": "34",
    "IT": "39", "PT": "351", "NL": "31", "BE": "32", "LU": "352", "CH": "41", "AT": "43", "DK": "45",
    "SE": "46", "NO": "47", "FI": "358", "IS": "354", "PL": "48", "CZ": "420", "SK": "421",
    "HU": "36", "RO": "40", "BG": "359", "GR": "30", "HR": "385", "SI": "386", "EE": "372",
    "LV": "371", "LT": "370", "UA": "380", "TR": "90", "IL": "972", "AE": "971", "SA": "966",
    "ZA": "27", "NG": "234", "KE": "254", "EG": "20", "MA": "212", "IN": "91", "PK": "92",
    "CN": "86", "HK": "852", "JP": "81", "KR": "82", "SG": "65", "MY": "60", "TH": "66",
    "PH": "63", "ID": "62", "VN": "84", "AU": "61", "NZ": "64", "MX": "52", "BR": "55",
    "AR": "54", "CL": "56", "CO": "57", "PE": "51",
}  # fmt: skip
_NANP = "1"
# Calling code -> the country reported when a number arrives without `mobile.country`.
_PRIMARY: dict[str, str] = {"1": "US", "7": "RU", "39": "IT", "44": "GB", "47": "NO", "61": "AU"}
_COUNTRY_BY_CODE: dict[str, str] = {
    code: country for country, code in reversed(CALLING_CODES.items())
} | _PRIMARY
_IGNORED = str.maketrans("", "", " -./()\t")
_MIN_DIGITS, _MAX_DIGITS = 8, 15


def normalize_mobile(number: str, country: str | None) -> tuple[str, str | None]:
    """Return `(E.164 number, ISO country or None)` or raise `InvalidMobileError` (CONT-001)."""
    raw = number.translate(_IGNORED)
    iso = country.strip().upper() if country and country.strip() else None
    if iso is not None and (len(iso) != 2 or not iso.isalpha()):
        raise InvalidMobileError("Invalid mobile number: country must be an ISO 3166 alpha-2 code")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+"):
        digits = raw[1:]
        _check_digits(digits)
        return "+" + digits, iso or country_of(digits)
    if iso is None or iso not in CALLING_CODES:
        raise InvalidMobileError("Invalid mobile number: national numbers need a known mobile.country")
    if not _is_digits(raw):
        raise InvalidMobileError()
    code = CALLING_CODES[iso]
    nanp_with_one = code == _NANP and len(raw) == 11 and raw.startswith("1")
    if nanp_with_one or raw.startswith("0"):
        raw = raw[1:]  # the trunk prefix
    digits = code + raw
    _check_digits(digits)
    return "+" + digits, iso


def country_of(digits: str) -> str | None:
    """The country for an E.164 number's digits, by longest matching calling code (None if unknown)."""
    for size in (3, 2, 1):
        found = _COUNTRY_BY_CODE.get(digits[:size])
        if found is not None:
            return found
    return None


def _check_digits(digits: str) -> None:
    if not _is_digits(digits) or not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS or digits[0] == "0":
        raise InvalidMobileError()


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()
