"""Alembic environment of the codes service."""

from rollcall.migrations_env import run
from services.codes.models import Base

run(Base.metadata)
