"""Alembic environment of the registration service."""

from rollcall.migrations_env import run
from services.registration.models import Base

run(Base.metadata)
