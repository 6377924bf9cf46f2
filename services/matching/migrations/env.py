"""Alembic environment of the matching service."""

from rollcall.migrations_env import run
from services.matching.models import Base
from services.matching.models.registers import is_partition

run(
    Base.metadata, include_object=lambda obj, name, kind, reflected, _: not is_partition(name, kind)
)
