"""Registration's expected exceptions; their names are part of its RPC contract."""


class RegistrationError(Exception):
    """Any condition registration reports to its caller."""


class BallotNotFound(RegistrationError):
    """There is no ballot with this id."""


class BallotInvalid(RegistrationError):
    """A ballot definition, or a correction to a member, is not valid."""


class ExtractNotFound(RegistrationError):
    """There is no membership extract with this id."""


class ExtractRefused(RegistrationError):
    """The extract was refused, or is not receiving rows."""


class PhaseError(RegistrationError):
    """The ballot is not in the phase this step needs."""


class ChangeNotFound(RegistrationError):
    """There is no pending contact change with this id."""


class SamePerson(RegistrationError):
    """The person approving a change or a resume is the one who asked for it."""


class CaseError(RegistrationError):
    """The complaint does not exist or is not in the state this step needs."""


class MemberNotFound(RegistrationError):
    """The member is not on this ballot."""


class DroppedRowNotFound(RegistrationError):
    """There is no dropped extract row with this id in this ballot."""


class RowNotCorrectable(RegistrationError):
    """The dropped row is not open, or not of the kind this step acts on."""


class ReissueRefused(RegistrationError):
    """A member's code cannot be reissued now; the message says why."""


#: What a caller can cause: declared as ``expected_exceptions`` on every entrypoint.
EXPECTED: tuple[type[RegistrationError], ...] = (
    BallotNotFound,
    BallotInvalid,
    ExtractNotFound,
    ExtractRefused,
    PhaseError,
    ChangeNotFound,
    SamePerson,
    CaseError,
    MemberNotFound,
    DroppedRowNotFound,
    RowNotCorrectable,
    ReissueRefused,
)
