"""The ballots the matching service must tell apart: test ballots (``ballot.created``)."""

from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from services.matching.models.base import Base


class TestBallot(Base):
    """A ballot created with ``test: true``: its match decisions move no real-ballot metric.

    A ballot with no row here is a real one.
    """

    __tablename__ = "test_ballots"
    __test__ = False  # not a pytest test class
    ballot_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
