"""The matching service's expected exceptions; their names are part of its RPC contract."""


class MatchingError(Exception):
    pass


class ReviewNotFound(MatchingError):
    pass


class ReviewClosed(MatchingError):
    pass


class UnknownCandidate(MatchingError):
    pass


class NoRegister(MatchingError):
    pass


EXPECTED = (ReviewNotFound, ReviewClosed, UnknownCandidate, NoRegister)
