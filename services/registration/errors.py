"""Registration's expected exceptions; their names are part of its RPC contract."""


class RegistrationError(Exception):
    pass


class BallotNotFound(RegistrationError):
    pass


class BallotInvalid(RegistrationError):
    pass


class ExtractNotFound(RegistrationError):
    pass


class ExtractRefused(RegistrationError):
    pass


class PhaseError(RegistrationError):
    pass


EXPECTED = (BallotNotFound, BallotInvalid, ExtractNotFound, ExtractRefused, PhaseError)


class ChangeNotFound(RegistrationError):
    pass


class SamePerson(RegistrationError):
    pass


EXPECTED = (*EXPECTED, ChangeNotFound, SamePerson)


class CaseError(RegistrationError):
    pass


EXPECTED = (*EXPECTED, CaseError)


class MemberNotFound(RegistrationError):
    pass


EXPECTED = (*EXPECTED, MemberNotFound)
