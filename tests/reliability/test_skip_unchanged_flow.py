"""Skipping unchanged rows, through the whole flow and the emulator over HTTP: each change sends exactly
the contacts whose payloads change (predicted by the transform apart from the pipeline), a change
to a column the mapping does not read sends nothing, and the rows that could skip the transform did."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from sakari_sync.config import SyncParameters
from sakari_sync.stages.report import SyncReport
from tests.reliability.support import differences, expected_state, run_sync, sakari_contacts, sample_params
from tests.support.emulator import Emulator

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]


def changed(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> int:
    """How many contacts a correct run sends: new mobiles and mobiles whose contact differs."""
    return sum(1 for mobile, contact in after.items() if before.get(mobile) != contact)


def sent(report: SyncReport) -> int:
    return report.created + report.updated


def edit(params: SyncParameters, *statements: str) -> None:
    """Run `statements` on the source, then move every row's cursor past the stored one, keeping their
    order (so duplicates keep their winners): the next plain run reads every row."""
    assert params.source.url is not None
    engine = sa.create_engine(params.source.url)
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(sa.text(sql))
        contacts = sa.Table("contacts", sa.MetaData(), autoload_with=conn)
        stamps = conn.execute(sa.select(contacts.c.id, contacts.c.updated_at)).all()
        shift = max(at for _, at in stamps) - min(at for _, at in stamps) + dt.timedelta(days=1)
        conn.execute(
            contacts.update().where(contacts.c.id == sa.bindparam("key")),
            [{"key": key, "updated_at": at + shift} for key, at in stamps],
        )
    engine.dispose()


def test_each_change_sends_exactly_the_contacts_whose_payload_changed(
    tmp_path: Path, emulator: Emulator, sakari_block: str, list_ids: dict[str, str]
) -> None:
    """Unchanged rerun, unmapped column, mapped values, a mapping setting, a phone setting: each run
    sends exactly the changed payloads; Sakari ends as a fresh full transform says it should."""
    params = sample_params(tmp_path, sakari_block, list_ids, rows=400, chunk_size=100)
    first = run_sync(params)
    before = expected_state(params)
    assert (first.created, first.skipped) == (len(before), 0)

    again = run_sync(params.model_copy(update={"full_refresh": True}))
    assert (sent(again), again.unchanged) == (0, len(before))
    assert again.skipped > 0.9 * len(before), "rows whose payload left no field out skip the transform"

    edit(params, "ALTER TABLE contacts ADD COLUMN note TEXT", "UPDATE contacts SET note = 'called back'")
    touched = run_sync(params)  # incremental: the cursor moved for every row
    assert (touched.mode, touched.extracted, sent(touched)) == ("incremental", first.extracted, 0)
    assert touched.skipped == again.skipped

    edit(params, "UPDATE contacts SET first_name = first_name || 'x' WHERE id % 10 = 0")
    after = expected_state(params)
    names = run_sync(params)
    assert 0 < sent(names) == changed(before, after)
    assert names.skipped >= again.skipped - sent(names)

    no_last_name = params.model_copy(
        update={"mapping": params.mapping.model_copy(update={"last_name": None})}
    )
    before, after = after, expected_state(no_last_name)
    remapped = run_sync(no_last_name)
    assert remapped.reread is not None
    assert remapped.skipped == 0
    assert 0 < sent(remapped) == changed(before, after)

    fixed_lines = no_last_name.model_copy(
        update={"phone": no_last_name.phone.model_copy(update={"reject_fixed_line": False})}
    )
    before, after = after, expected_state(fixed_lines)
    phones = run_sync(fixed_lines)
    assert phones.skipped == 0
    assert 0 < sent(phones) == changed(before, after)
    settled = run_sync(fixed_lines.model_copy(update={"full_refresh": True}))
    assert (sent(settled), settled.unchanged) == (0, len(after))
    assert settled.skipped > again.skipped, "the new contacts skip too, once Sakari holds them"
    found = differences(after, sakari_contacts(emulator))
    # A mapping that stops sending a field leaves Sakari's value (merge strategy append), as documented.
    assert found["duplicates"] == found["lost"] == found["extra"] == []
