"""Alembic's environment for the state database: run on the connection `database.migrate` hands in."""

from alembic import context

from sakari_sync.state.database import VERSION_TABLE
from sakari_sync.state.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
