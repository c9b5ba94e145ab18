"""Pure rules: the number rule, list merging, fault validation, host checks, ids."""

from __future__ import annotations

import pytest

from sakari_emulator.config import (
    DEMO_ACCOUNT_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    EmulatorConfig,
    check_faults,
    is_loopback_host,
)
from sakari_emulator.exceptions import InvalidMobileError
from sakari_emulator.merging import ContactInput, merge_lists
from sakari_emulator.models import EmulatorBackend
from sakari_emulator.phones import normalize_mobile
from sakari_emulator.store import Membership

NOW = "2024-01-01T00:00:00.000Z"


@pytest.mark.parametrize(
    ("number", "country", "expected"),
    [
        ("+14155550100", None, ("+14155550100", "US")),
        ("+447700900123", "gb", ("+447700900123", "GB")),
        ("+35312345678", None, ("+35312345678", "IE")),
        ("+99912345678", None, ("+99912345678", None)),
        ("0412 345 678", "AU", ("+61412345678", "AU")),
        ("14155550100", "CA", ("+14155550100", "CA")),
    ],
)
def test_normalize_mobile_gives_e164_and_country(
    number: str, country: str | None, expected: tuple[str, str | None]
) -> None:
    """The number rule gives E.164 and a country, and normalising twice changes nothing."""
    assert normalize_mobile(number, country) == expected
    assert normalize_mobile(expected[0], expected[1]) == expected


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+0123456789", None),
        ("", None),
        ("+", None),
        ("+١٢٣٤٥٦٧٨٩", None),
        ("12345", "US"),
        ("4155550100", "USA"),
    ],
)
def test_normalize_mobile_rejects_with_cont_001(number: str, country: str | None) -> None:
    """Numbers outside the rule raise CONT-001."""
    with pytest.raises(InvalidMobileError):
        normalize_mobile(number, country)


def test_merge_lists_keeps_opt_outs_and_freezes_blocked_contacts() -> None:
    """List merging adds, keeps opt-outs under remove, and never changes a blocked contact's lists."""
    current = [Membership("a", NOW), Membership("b", NOW, NOW)]
    assert [m.list_id for m in merge_lists(current, ["c"], "append", False, NOW)] == ["a", "b", "c"]
    assert [m.list_id for m in merge_lists(current, ["c"], "remove", False, NOW)] == ["b", "c"]
    assert merge_lists(current, ["c"], "core", False, NOW) == current
    assert merge_lists(current, ["c"], "remove", True, NOW) == current
    assert merge_lists(current, ["b"], "append", False, NOW)[1].opt_out == NOW


def test_check_faults_accepts_a_full_valid_set() -> None:
    """The default fault settings validate."""
    assert check_faults(EmulatorConfig().faults())["burst"] == 10


def test_config_rejects_bad_settings() -> None:
    """Duplicate lists, a zero token TTL and empty credentials are refused."""
    with pytest.raises(ValueError, match="list names"):
        EmulatorConfig(lists=["VIP", "VIP"])
    with pytest.raises(ValueError, match="token_ttl"):
        EmulatorConfig(token_ttl=0)
    with pytest.raises(ValueError, match="client_id"):
        EmulatorConfig(client_id="")


HOSTS = [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("10.1.2.3", False)]  # noqa: S104


@pytest.mark.parametrize(("host", "loopback"), HOSTS)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    """Only addresses that all resolve to loopback count as loopback."""
    assert is_loopback_host(host) is loopback


def test_a_seed_makes_ids_reproducible() -> None:
    """With a seed contact ids repeat across runs; list ids never depend on randomness."""

    def ids(seed: int | None) -> tuple[str, str]:
        backend = EmulatorBackend(EmulatorConfig(seed=seed, lists=["VIP"]))
        contact, _ = backend.create_contact(ContactInput(mobile="+14155550700"), "append")
        [(list_id, _)] = backend.lists()
        backend.close()
        return list_id, contact.id

    assert ids(5) == ids(5)
    assert ids(5)[1] != ids(6)[1]
    assert ids(None)[0] == ids(None)[0]  # list ids do not depend on randomness
    assert ids(None)[1] != ids(None)[1]


def test_the_demo_credentials_are_the_config_defaults() -> None:
    """DEMO_CLIENT_ID, DEMO_CLIENT_SECRET and DEMO_ACCOUNT_ID are what an EmulatorConfig uses by default."""
    config = EmulatorConfig()
    assert (config.client_id, config.client_secret, config.account_id) == (
        DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ACCOUNT_ID,
    )  # fmt: skip


def test_config_rejects_unknown_answer_styles() -> None:
    """pagination_style and bulk_answer_style take only their documented values."""
    with pytest.raises(ValueError, match="pagination_style"):
        EmulatorConfig(pagination_style="cursor")  # type: ignore[arg-type]  # the refusal is tested
    with pytest.raises(ValueError, match="bulk_answer_style"):
        EmulatorConfig(bulk_answer_style="csv")  # type: ignore[arg-type]  # the refusal is tested
