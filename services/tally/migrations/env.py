"""Alembic environment of the tally service."""

from rollcall.migrations_env import run
from services.tally.models import Base

run(Base.metadata)
