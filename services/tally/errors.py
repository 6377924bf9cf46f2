"""The tally's expected exceptions; their names are part of its RPC contract."""


class TallyError(Exception):
    code = "tally_error"


class BallotNotFound(TallyError):
    code = "ballot_not_found"


class BallotNotOpen(TallyError):
    code = "ballot_not_open"


class BallotNotClosed(TallyError):
    code = "ballot_not_closed"


class AlreadyVoted(TallyError):
    code = "already_voted"


class NotOnRoll(TallyError):
    code = "not_on_roll"


class InvalidChoices(TallyError):
    code = "invalid_choices"


class ResultNotReady(TallyError):
    code = "result_not_ready"


EXPECTED = (
    BallotNotFound,
    BallotNotOpen,
    BallotNotClosed,
    AlreadyVoted,
    NotOnRoll,
    InvalidChoices,
    ResultNotReady,
)
