"""The matching service's expected exceptions; their names are part of its RPC contract."""


class MatchingError(Exception):
    """Any condition the matching service reports to its caller."""


class ReviewNotFound(MatchingError):
    """There is no match review with this id."""


class ReviewClosed(MatchingError):
    """The match review has already been decided."""


class UnknownCandidate(MatchingError):
    """The elector chosen is not one of the review's candidates, or is matched already."""


class NoRegister(MatchingError):
    """No electoral register is loaded for the member's area."""


EXPECTED = (ReviewNotFound, ReviewClosed, UnknownCandidate, NoRegister)
