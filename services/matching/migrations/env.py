"""Alembic environment of the matching service."""

from rollcall.migrations_env import run
from services.matching.models import Base

run(Base.metadata)
