"""Alembic environment of the mailer service."""

from rollcall.migrations_env import run
from services.mailer.models import Base

run(Base.metadata)
