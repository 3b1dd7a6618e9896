"""Alembic environment: runs against the engine handed over by ``sahara_dao.core.db``."""

from alembic import context

from sahara_dao.core.db import get_engine, load_models

metadata = load_models()
engine = context.config.attributes.get("engine") or get_engine()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
