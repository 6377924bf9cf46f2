"""The declarative base of the matching service's database, with the kernel's tables on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase

from rollcall.tables import add_kernel_tables


class Base(DeclarativeBase):
    """Declarative base of the matching service's database."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


add_kernel_tables(Base.metadata)
