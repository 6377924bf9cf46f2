"""The tally's expected exceptions; their names are part of its RPC contract."""


class TallyError(Exception):
    pass


class BallotNotFound(TallyError):
    pass


class BallotNotOpen(TallyError):
    pass


class BallotNotClosed(TallyError):
    pass


class AlreadyVoted(TallyError):
    pass


class NotOnRoll(TallyError):
    pass


class InvalidChoices(TallyError):
    pass


class ResultNotReady(TallyError):
    pass


EXPECTED = (
    BallotNotFound,
    BallotNotOpen,
    BallotNotClosed,
    AlreadyVoted,
    NotOnRoll,
    InvalidChoices,
    ResultNotReady,
)
