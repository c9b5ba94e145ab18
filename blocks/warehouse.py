"""The source database from a saved prefect-sqlalchemy `SqlAlchemyConnector` block (`source.block`)."""

from __future__ import annotations

from sqlalchemy.engine import Engine


async def source_engine_from_block(name: str) -> Engine:
    """The Engine of the connector block `name` (its password stays inside the block)."""
    # Importing prefect_sqlalchemy costs about 2 s, so only runs that use a block pay for it.
    from prefect_sqlalchemy import SqlAlchemyConnector

    from sakari_sync.blocks.loading import load_block

    connector = await load_block(
        SqlAlchemyConnector, name, "source.block", "create the SqlAlchemyConnector block in the Prefect UI"
    )
    engine: Engine = connector.get_engine()
    return engine
