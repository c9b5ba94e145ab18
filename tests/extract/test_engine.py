"""Building the source engine: from a URL, or from a saved prefect-sqlalchemy connector block."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from sakari_sync.blocks.warehouse import source_engine_from_block
from sakari_sync.config import SourceConfig
from sakari_sync.errors import ConfigError
from sakari_sync.sample_data import create_sample_warehouse
from sakari_sync.stages.extract import SourceError, engine_from_url, iter_pages


def test_importing_extract_does_not_import_prefect_sqlalchemy() -> None:
    """prefect_sqlalchemy costs ~2 s to import, so only runs that name a block load it."""
    code = "import sys, sakari_sync.stages.extract; print('prefect_sqlalchemy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path.cwd()
    )
    assert out.stdout.strip() == "False"


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_engine_from_a_saved_connector_block_reads_the_source(tmp_path: Path) -> None:
    """source.block loads the saved SqlAlchemyConnector and pages through its engine."""
    from prefect_sqlalchemy import SqlAlchemyConnector

    url = create_sample_warehouse(tmp_path / "w.db", rows=30)
    SqlAlchemyConnector(connection_info=url).save("extract-test-warehouse", overwrite=True)
    src = SourceConfig(block="extract-test-warehouse", table="contacts", chunk_size=8)
    engine = asyncio.run(source_engine_from_block("extract-test-warehouse"))
    try:
        assert sum(len(p.rows) for p in iter_pages(engine, src)) == 30
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_missing_block_is_named() -> None:
    """A block name that is not saved gives one line naming it and where to create it."""
    with pytest.raises(ConfigError, match=r"^source.block names block 'nope', which the Prefect server at "):
        asyncio.run(source_engine_from_block("nope"))


def test_engine_from_url_connects_lazily() -> None:
    """engine_from_url does not connect: a bad host only shows when the first page is read."""
    src = SourceConfig(url="postgresql+psycopg://u@127.0.0.1:1/x", table="contacts")
    engine = engine_from_url("postgresql+psycopg://u@127.0.0.1:1/x")
    try:
        with pytest.raises(SourceError, match=r"^cannot connect to the source database at 127.0.0.1:1 "):
            next(iter_pages(engine, src))
    finally:
        engine.dispose()
