"""Secrets and private data: nothing leaks from a whole sync, and the client will not talk insecurely.

Elsewhere: the emulator refuses a non-loopback address without `allow_remote`
(tests/emulator/test_server.py::test_server_refuses_a_non_loopback_host_unless_allowed and the CLI's
one-line refusal next to it); the source is read in a read-only transaction on PostgreSQL and SQLite
(tests/extract/test_paging.py::test_reads_run_in_a_read_only_transaction, both dialects); SQL-looking
values stay text through the whole flow (test_nasty_input.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import logging
import re
import ssl
import threading
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from sakari_client import SakariClient
from sakari_client.errors import TransientError
from sakari_client.models import ContactIn, MobileIn
from sakari_sync.app.explain import explain, log_debug_trace
from sakari_sync.blocks.sakari import SakariCredentials
from sakari_sync.config import SyncParameters
from sakari_sync.errors import SakariAccessError
from tests.pipeline.conftest import ROWS
from tests.reliability.support import run_sync
from tests.support.credentials import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.support.emulator import Emulator
from tests.support.tls import self_signed

pytestmark = pytest.mark.usefixtures("prefect_server")

WRONG_SECRET = "not-the-secret-77e1"
DEBUG_LOGGERS = (
    "",
    "prefect",
    "prefect.flow_runs",
    "prefect.task_runs",
    "httpx",
    "httpcore",
    "sakari_client",
)


def source_phones() -> set[str]:
    """Every phone of the source as E.164 and as bare digits, and each raw cell of 7+ digits."""
    found: set[str] = set()
    for row in ROWS:
        raw = row["phone"]
        if raw is None:
            continue
        if len(re.sub(r"\D", "", raw)) >= 7:
            found.add(raw)
        try:
            number = phonenumbers.parse(raw, row["country"] or "US")
        except phonenumbers.NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        found |= {e164, e164[1:]}
    return found


async def server_texts(since: dt.datetime) -> list[str]:
    """What the Prefect server keeps of the flow runs started since then: logs, artifacts, states."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterStartTime,
        LogFilter,
        LogFilterFlowRunId,
    )

    texts: list[str] = []
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since))
        )
        ids = [run.id for run in runs]
        texts += [run.model_dump_json() for run in runs]
        offset = 0
        while logs := await client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)), limit=200, offset=offset
        ):
            texts += [log.message for log in logs]
            offset += len(logs)
        artifacts = await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=ids))
        )
        texts += [a.model_dump_json() for a in artifacts]
    assert len(runs) == 2, "the good run and the refused one"
    assert any("sakari-sync-summary" in t for t in texts), "the artifacts were read back"
    return texts


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger that could say something, at DEBUG, into caplog."""
    from prefect.logging.configuration import setup_logging

    setup_logging()  # Prefect's own set-up replaces the root handlers, caplog's too: let it run first
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


def test_a_sync_logged_at_debug_shows_no_secret_no_token_and_no_full_phone(
    params: SyncParameters,
    emulator: Emulator,
    everything_logged: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A DEBUG run's logs, errors, debug trace, report and server texts hold no secret, token or phone."""
    from prefect.logging.handlers import APILogWorker

    from sakari_sync.app.runner import save_sakari_block

    tokens: list[str] = []
    issue = emulator.backend.tokens.issue

    def issue_and_keep(*args: Any) -> str:
        tokens.append(issue(*args))
        return tokens[-1]

    monkeypatch.setattr(emulator.backend.tokens, "issue", issue_and_keep)
    monkeypatch.setenv("SAKARI_SYNC_DEBUG_LOG", str(tmp_path / "debug.log"))
    since = dt.datetime.now(dt.UTC)
    report = run_sync(params)  # logs, artifacts (summary, rejects, progress, reconcile), the report
    assert report.created == 4
    save_sakari_block(
        "sakari-wrong",
        base_url=emulator.url,
        account_id=DEMO_ACCOUNT_ID,
        client_id=DEMO_CLIENT_ID,
        client_secret=WRONG_SECRET,
    )
    wrong = params.model_copy(update={"sakari": params.sakari.model_copy(update={"block": "sakari-wrong"})})
    with pytest.raises(SakariAccessError) as refused:  # a sync of its own, so it has contacts to send
        run_sync(wrong.model_copy(update={"name": "test-contacts-wrong"}))
    trace_file = log_debug_trace(refused.value)
    assert trace_file is not None
    APILogWorker.drain_all(timeout=10)

    formatter = logging.Formatter("%(name)s %(message)s")
    texts = [formatter.format(r) for r in everything_logged.records]
    texts += [str(refused.value), repr(refused.value), explain(refused.value) or "", trace_file.read_text()]
    texts += [report.model_dump_json()]
    texts += asyncio.run(server_texts(since))
    assert tokens, "the emulator issued tokens"
    assert any(r.levelno == logging.DEBUG for r in everything_logged.records), "DEBUG was on"
    secrets = {DEMO_CLIENT_SECRET, WRONG_SECRET, *tokens} | source_phones()
    leaks = {secret: text[:200] for text in texts for secret in secrets if secret in text}
    assert leaks == {}
    assert not any(re.search(r"eyJ[\w-]+\.[\w-]+\.", t) for t in texts), "no token of any kind"


def test_the_client_refuses_plain_http_to_a_remote_host_unless_allowed() -> None:
    """A block's client refuses plain http:// to a remote host unless `allow_insecure_http` is set."""
    creds = SakariCredentials(
        base_url="http://sakari.example.com", account_id="a", client_id="c", client_secret="s"
    )
    with pytest.raises(ValueError, match=r"refusing plain http:// to sakari\.example\.com"):
        creds.get_client()
    creds.allow_insecure_http = True  # an explicit opt-in, e.g. a proxy on a private network
    assert isinstance(creds.get_client(), SakariClient)


class _Answer(http.server.BaseHTTPRequestHandler):
    requests = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        self.send_response(500)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_the_client_verifies_tls_and_sends_nothing_to_an_unknown_certificate(tmp_path: Path) -> None:
    """The client refuses a self-signed certificate before sending anything, not even the token request."""
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    async def create() -> None:
        url = f"https://127.0.0.1:{server.server_port}"
        async with SakariClient(url, "acct", "id", "secret", retry_attempts=1) as client:
            await client.create_contact(ContactIn(mobile=MobileIn(number="+14155550100")))

    try:
        with pytest.raises(TransientError) as failed:
            asyncio.run(create())
    finally:
        server.shutdown()
        server.server_close()
    assert "CERTIFICATE_VERIFY_FAILED" in str(failed.value.__cause__)
    assert _Answer.requests == 0, "not even the token request (with the secret) was sent"
