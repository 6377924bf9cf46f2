"""The tally's expected exceptions; their names are part of its RPC contract."""


class TallyError(Exception):
    """Any condition the tally reports to its caller."""


class BallotNotFound(TallyError):
    """The tally holds no ballot with this id, or no signing key for it yet."""


class BallotNotOpen(TallyError):
    """The ballot is not open, so no vote can be cast in it."""


class BallotNotClosed(TallyError):
    """What was asked for is available only once the ballot has closed."""


class AlreadyVoted(TallyError):
    """A vote has already been recorded for this voter in this ballot."""


class NotOnRoll(TallyError):
    """The voter is not on the roll of this ballot."""


class InvalidChoices(TallyError):
    """The choices are not a valid paper for this ballot's counting method."""


class BadRequestToken(TallyError):
    """A vote's request token is not one the tally accepts (``repeats.valid_token``)."""


class ResultNotReady(TallyError):
    """The ballot has not been counted yet."""


class WithdrawalRefused(TallyError):
    """A candidate cannot be withdrawn; the message gives every reason."""


EXPECTED = (
    BallotNotFound,
    BallotNotOpen,
    BallotNotClosed,
    AlreadyVoted,
    NotOnRoll,
    InvalidChoices,
    BadRequestToken,
    ResultNotReady,
    WithdrawalRefused,
)


#: Why a paper is refused for who sent it; every other refusal is for its marks (spoilt).
NOT_ON_ROLL = "this member is not on the roll for this ballot"
ALREADY_VOTED = "a vote has already been recorded for this member"
WHO_SENT_IT = (NOT_ON_ROLL, ALREADY_VOTED)
