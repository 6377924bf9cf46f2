"""Tables of the matching service only, on one metadata for Alembic.

``ballots``: which ballots are test ballots; ``decisions``: the match decisions and the review queue; ``registers``: the
electoral registers (versions, electors with their blocking keys, refused rows,
name frequencies).
"""

from services.matching.models.ballots import TestBallot
from services.matching.models.base import Base
from services.matching.models.decisions import MatchDecision, Review
from services.matching.models.registers import (
    KEY_COLUMNS,
    RegisterElector,
    RegisterNameFrequency,
    RegisterRefusal,
    RegisterVersion,
)

__all__ = [
    "KEY_COLUMNS",
    "Base",
    "MatchDecision",
    "RegisterElector",
    "RegisterNameFrequency",
    "RegisterRefusal",
    "RegisterVersion",
    "Review",
    "TestBallot",
]
