"""The codes service's expected exceptions; their names are part of its RPC contract."""


class CodesError(Exception):
    code = "codes_error"


class MalformedCode(CodesError):
    code = "malformed_code"


class InvalidCode(CodesError):
    code = "invalid_code"


class LockedOut(CodesError):
    code = "locked_out"


class BallotNotOpen(CodesError):
    code = "ballot_not_open"


class VoterNotFound(CodesError):
    code = "voter_not_found"


EXPECTED = (MalformedCode, InvalidCode, LockedOut, BallotNotOpen, VoterNotFound)
