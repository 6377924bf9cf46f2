"""The codes service's expected exceptions; their names are part of its RPC contract."""


class CodesError(Exception):
    """Any condition the codes service reports to its caller."""


class MalformedCode(CodesError):
    """The text given is not an access code at all (wrong length, letters or check)."""


class InvalidCode(CodesError):
    """The access code is well formed but not valid for this ballot (unknown, used or revoked)."""


class LockedOut(CodesError):
    """A wrong code, from a client that has sent many lately: it must wait before the next.

    ``retry_after`` is the wait in seconds (the gateway's ``Retry-After``). A
    valid code is never answered with this, whoever sends it.
    """

    def __init__(self, message: str = "", retry_after: int = 0) -> None:
        super().__init__(message, retry_after)
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class BallotNotOpen(CodesError):
    """The ballot is not open for voting, so no code can be verified for it."""


class VoterNotFound(CodesError):
    """The voter is not on this ballot's roll of code holders."""


EXPECTED = (MalformedCode, InvalidCode, LockedOut, BallotNotOpen, VoterNotFound)
