"""Alembic environment of the mailer service."""

from services.mailer.models import Base
from rollcall.migrations_env import run

run(Base.metadata)
