"""Alembic's environment: always run by `migrations.upgrade` inside the server's own write
transaction (its connection is handed over in `config.attributes`), never from an alembic.ini."""

from alembic import context

context.configure(connection=context.config.attributes["connection"], render_as_batch=True)
with context.begin_transaction():      # the caller's transaction: nothing begins or commits here
    context.run_migrations()
