"""The matching service's expected exceptions; their names are part of its RPC contract."""


class MatchingError(Exception):
    code = "matching_error"


class ReviewNotFound(MatchingError):
    code = "review_not_found"


class ReviewClosed(MatchingError):
    code = "review_closed"


class UnknownCandidate(MatchingError):
    code = "unknown_candidate"


class NoRegister(MatchingError):
    code = "no_register"


EXPECTED = (ReviewNotFound, ReviewClosed, UnknownCandidate, NoRegister)
