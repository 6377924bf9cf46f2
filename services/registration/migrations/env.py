"""Alembic environment of the registration service."""

from services.registration.models import Base
from rollcall.migrations_env import run

run(Base.metadata)
