"""The codes service's expected exceptions; their names are part of its RPC contract."""


class CodesError(Exception):
    pass


class MalformedCode(CodesError):
    pass


class InvalidCode(CodesError):
    pass


class LockedOut(CodesError):
    pass


class BallotNotOpen(CodesError):
    pass


class VoterNotFound(CodesError):
    pass


EXPECTED = (MalformedCode, InvalidCode, LockedOut, BallotNotOpen, VoterNotFound)
