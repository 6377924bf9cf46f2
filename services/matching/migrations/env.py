"""Alembic environment of the matching service."""

from services.matching.models import Base
from rollcall.migrations_env import run

run(Base.metadata)
