"""Alembic environment of the codes service."""

from services.codes.models import Base
from rollcall.migrations_env import run

run(Base.metadata)
