"""The codes service's expected exceptions; their names are part of its RPC contract."""


class CodesError(Exception):
    """Any condition the codes service reports to its caller."""


class MalformedCode(CodesError):
    """The text given is not an access code at all (wrong length, letters or check)."""


class InvalidCode(CodesError):
    """The access code is well formed but not valid for this ballot (unknown, used or revoked)."""


class LockedOut(CodesError):
    """Too many wrong access codes have come from this client; it must wait."""


class BallotNotOpen(CodesError):
    """The ballot is not open for voting, so no code can be verified for it."""


class VoterNotFound(CodesError):
    """The voter is not on this ballot's roll of code holders."""


EXPECTED = (MalformedCode, InvalidCode, LockedOut, BallotNotOpen, VoterNotFound)
