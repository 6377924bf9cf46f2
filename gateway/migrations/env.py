"""Alembic environment of the gateway service."""

from gateway.models import Base
from rollcall.migrations_env import run

run(Base.metadata)
