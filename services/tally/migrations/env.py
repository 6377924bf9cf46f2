"""Alembic environment of the tally service."""

from services.tally.models import Base
from rollcall.migrations_env import run

run(Base.metadata)
