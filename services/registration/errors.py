"""Registration's expected exceptions; their names are part of its RPC contract."""


class RegistrationError(Exception):
    code = "registration_error"


class BallotNotFound(RegistrationError):
    code = "ballot_not_found"


class BallotInvalid(RegistrationError):
    code = "ballot_invalid"


class ExtractNotFound(RegistrationError):
    code = "extract_not_found"


class ExtractRefused(RegistrationError):
    code = "extract_refused"


class PhaseError(RegistrationError):
    code = "phase_error"


EXPECTED = (BallotNotFound, BallotInvalid, ExtractNotFound, ExtractRefused, PhaseError)


class ChangeNotFound(RegistrationError):
    code = "change_not_found"


class SamePerson(RegistrationError):
    code = "same_person"


EXPECTED = (*EXPECTED, ChangeNotFound, SamePerson)


class CaseError(RegistrationError):
    code = "case_error"


EXPECTED = (*EXPECTED, CaseError)


class MemberNotFound(RegistrationError):
    code = "member_not_found"


EXPECTED = (*EXPECTED, MemberNotFound)
