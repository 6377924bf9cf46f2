"""The body of every service's Alembic ``env.py``: one place, six callers."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool


def run(metadata: MetaData, **options: Any) -> None:
    """Run the migrations; ``options`` go to ``context.configure`` (``include_object``)."""
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
            render_as_batch=True,
            **options,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection, target_metadata=metadata, render_as_batch=True, **options
        )
        with context.begin_transaction():
            context.run_migrations()
