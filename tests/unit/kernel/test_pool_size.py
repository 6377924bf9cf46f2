"""A service's database pool is ``database_pool_size`` (``ROLLCALL_DATABASE_POOL_SIZE``): the demo
with replicas makes it small so that twelve processes fit a server's connections."""

from __future__ import annotations

from types import SimpleNamespace

from rollcall.config import load_settings
from rollcall.runtime import SETTINGS_KEY, Database


def test_the_service_engine_pools_as_many_connections_as_the_setting_says():
    settings = load_settings(
        {
            "ROLLCALL_DATABASE_URL_TALLY": "postgresql://nobody@127.0.0.1:1/never_connected",
            "ROLLCALL_DATABASE_POOL_SIZE": "3",
        }
    )
    database = Database()
    database.container = SimpleNamespace(config={SETTINGS_KEY: settings}, service_name="tally")
    database.setup()
    try:
        assert database.engine.pool.size() == 3
        assert database.engine.pool._max_overflow == 3  # as many again under load
    finally:
        database.engine.dispose()
