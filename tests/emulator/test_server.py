"""EmulatorServer, the command line and a file database that outlives the emulator."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sakari_emulator.cli import add_arguments, config_from_args, run
from sakari_emulator.config import EmulatorConfig
from sakari_emulator.merging import ContactInput
from sakari_emulator.server import EmulatorServer
from tests.support.emulator import TOKEN_REQUEST

ROOT = Path(__file__).resolve().parents[2]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10", "::"])  # noqa: S104 - the refusal is tested
def test_cli_refuses_a_non_loopback_host_with_one_line_and_exit_2(
    host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-loopback --host is refused in one line naming --allow-remote, exit code 2."""
    assert run(_args("--host", host)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--allow-remote" in err
    assert host in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--error-rate", "1.5"], "error_rate"),
        (["--port", "70000"], "port"),
        (["--database", "/nonexistent/dir/x.db"], "cannot open database"),
    ],
)
def test_cli_rejects_unusable_options_with_one_line_and_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Out-of-range options and an unopenable database fail in one line, exit code 2."""
    assert run(_args(*argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert needle in err


def test_cli_reports_a_port_in_use_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A port already in use is reported, exit code 2."""
    with EmulatorServer(EmulatorConfig(port=0)) as server:
        port = server.url.rsplit(":", 1)[1]
        assert run(_args("--port", port)) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_cli_options_reach_the_config() -> None:
    """Every command-line option reaches its EmulatorConfig field."""
    args = _args("--list", "VIP", "--list", "News", "--no-retry-after", "--rate-limit", "5", "--burst", "2",
                 "--token-ttl", "9", "--latency", "0.1", "--latency-jitter", "0.05", "--error-rate", "0.1",
                 "--drop-rate", "0.2", "--throttle-burst-every", "10", "--throttle-burst-length", "1",
                 "--seed", "4", "--database", "x.db", "--client-id", "c", "--client-secret", "s",
                 "--account-id", "a", "--port", "0", "--pagination-style", "openapi",
                 "--bulk-answer-style", "openapi")  # fmt: skip
    assert (args.lists, args.retry_after, args.rate_limit, args.burst, args.seed) == (
        ["VIP", "News"],
        False,
        5,
        2,
        4,
    )
    assert (args.token_ttl, args.latency, args.latency_jitter, args.error_rate, args.drop_rate) == (
        9, 0.1, 0.05, 0.1, 0.2,
    )  # fmt: skip
    assert (args.throttle_burst_every, args.throttle_burst_length) == (10, 1)
    assert (args.database, args.client_id, args.client_secret, args.account_id) == ("x.db", "c", "s", "a")
    config = config_from_args(args)
    assert (config.pagination_style, config.bulk_answer_style) == ("openapi", "openapi")
    assert config.faults() == {
        "rate_limit": 5, "burst": 2, "retry_after": False, "token_ttl": 9, "latency": 0.1,
        "latency_jitter": 0.05, "error_rate": 0.1, "drop_rate": 0.2, "throttle_burst_every": 10,
        "throttle_burst_length": 1,
    }  # fmt: skip


def test_cli_serves_prints_list_ids_and_stops_cleanly_on_ctrl_c() -> None:
    """The CLI prints the list ids, serves, and exits 0 on Ctrl-C with nothing on stderr."""
    command = [sys.executable, "-m", "sakari_emulator", "--port", "0", "--list", "VIP", "--seed", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as child:
        assert child.stdout is not None
        assert child.stderr is not None
        try:
            banner = [child.stdout.readline() for _ in range(4)]
            url = banner[0].split()[-1]
            lists = httpx.get(f"{url}/_emulator/lists").json()
            assert f"list 'VIP': {lists[0]['id']}" in banner[3]
            child.send_signal(signal.SIGINT)
            assert child.wait(timeout=10) == 0
            assert child.stderr.read() == ""
        finally:
            if child.poll() is None:
                child.kill()


def test_server_refuses_a_non_loopback_host_unless_allowed() -> None:
    """EmulatorServer refuses a non-loopback host without allow_remote."""
    with pytest.raises(ValueError, match="allow_remote"):
        EmulatorServer(EmulatorConfig(host="0.0.0.0", port=0))  # noqa: S104 - the refusal is tested


def test_server_on_port_0_picks_a_free_port_and_stops_cleanly() -> None:
    """Port 0 picks a free port per server, and a stopped server refuses connections."""
    with EmulatorServer(EmulatorConfig(port=0)) as one, EmulatorServer(EmulatorConfig(port=0)) as two:
        assert one.url != two.url
        assert httpx.post(f"{one.url}/oauth2/token", json=TOKEN_REQUEST).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{one.url}/_emulator/stats")


def test_a_second_run_on_the_same_database_file_sees_the_first_runs_contacts(tmp_path: Path) -> None:
    """A file database keeps lists, contacts, blocks and the id sequence across runs."""
    config = EmulatorConfig(port=0, database=str(tmp_path / "emulator.db"), lists=["VIP"])
    with EmulatorServer(config) as first:
        vip = first.backend.lists()[0][0]
        contact, _ = first.backend.create_contact(ContactInput(mobile="+14155550600", lists=(vip,)), "append")
        first.backend.block_mobile("+14155550601")
    with EmulatorServer(EmulatorConfig(**{**config.__dict__, "lists": ["VIP", "News"]})) as second:
        assert second.backend.lists()[0] == (vip, "VIP")
        assert [c.id for c in second.backend.all_contacts()] == [contact.id]
        new, _ = second.backend.create_contact(ContactInput(mobile="+14155550601"), "append")
        assert new.blocked is not None
        assert new.id != contact.id
