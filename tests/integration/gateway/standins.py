"""Small stand-ins for the services the gateway calls, with the same RPC signatures.

They run on the real broker, in this process, named "codes", "tally",
"registration" and "matching". They raise the real services' exceptions,
since the gateway maps a remote error by the dotted path of its class. What they
are asked is recorded in ``CALLS`` (reset by the ``standins`` fixture), so a
test can assert that a refused request reached no service.
"""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.rpc import rpc

from rollcall.formats import EXTRACT_COLUMNS
from services.codes.errors import BallotNotOpen, InvalidCode, LockedOut, MalformedCode
from services.matching.errors import ReviewNotFound
from services.registration import errors as registration
from services.tally.errors import (
    AlreadyVoted,
    BallotNotClosed,
    BallotNotFound,
    InvalidChoices,
    NotOnRoll,
    ResultNotReady,
    WithdrawalRefused,
)

OPEN, CLOSED, NOT_OPEN, MISSING, RANKED, HOSTILE = 1, 2, 3, 99, 4, 5
#: A ballot of two contests: a ranked selection with statements, and a yes/no motion.
CONTESTS = 6
CANDIDATES = ["Ada Lovelace", "Mary Seacole", "Sylvia Pankhurst"]
HOSTILE_NAME = '<script>alert("x")</script>'
#: Access codes the stand-in codes service knows, and whose they are.
CODES = {"GOOD-CODE-0001": "M1", "GOOD-CODE-0002": "M2", "GOOD-CODE-0404": "NOT-ON-ROLL"}
LOCKED = "LOCKED-OUT-0000"
BUG = "BUGGY-CODE-7777"
#: Match reviews by id, and the association each belongs to.
REVIEWS = {1: "HACK", 2: "ISLI"}
#: What each stand-in says is the head of its audit log.
HEADS = {
    "codes": {"seq": 3, "hash": "c" * 64},
    "tally": {"seq": 5, "hash": "a" * 64},
    "matching": {"seq": 8, "hash": "e" * 64},
}
RESULT_TABLE = "Stage  Ada Lovelace  Mary Seacole\n1      120           80\n"
#: The smallest PNG: a 1x1 transparent pixel.
RESULT_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

CALLS: list[tuple[Any, ...]] = []
#: The request token of each ``tally.cast_ballot`` call, in order.
TOKENS: list[str | None] = []
STATE: dict[str, Any] = {}


#: Associations the stand-in registration knows.
ASSOCIATIONS = ("HACK", "ISLI")
FORMULA = '=HYPERLINK("http://evil.example","click")'


def dropped_row(
    row_id: int,
    kind: str,
    line: int,
    number: str,
    association: str,
    reasons: list[str],
    **values: str,
) -> dict[str, Any]:
    """A dropped row of ballot ``OPEN``, shaped as ``list_dropped_rows`` returns it."""
    row = {column: "" for column in EXTRACT_COLUMNS}
    row.update(membership_number=number, association=association or "Nowhere Association")
    row.update(first_name="Ada", last_name="Byron", postcode="E8 1AA")
    row.update(values)
    return {
        "id": row_id,
        "kind": kind,
        "status": "open",
        "extract_id": "x-open",
        "file_name": "members.csv",
        "line": line,
        "association": association,
        "association_as_given": row["association"],
        "membership_number": number,
        "row": row,
        "extra": {"notes": "+44 see office"} if kind == "rejected" else {},
        "reasons": reasons,
        "first_seen": None if kind == "rejected" else "members.csv line 2",
        "differs": ["email"] if kind == "conflict" else [],
        "outcome": None,
        "decided_by": None,
        "decided_at": None,
    }


#: The dropped rows of ballot ``OPEN`` by id: three of HACK's, one of ISLI's, one of no
#: known association.
DROPPED = {
    1: dropped_row(
        1,
        "rejected",
        3,
        "H9",
        "HACK",
        ["the postcode 'E8' is not a postcode", "the date of birth '31/02/1990' is not a date"],
        postcode="E8",
        last_name=FORMULA,
        date_of_birth="31/02/1990",
    ),
    2: dropped_row(2, "duplicate", 5, "H1", "HACK", ["H1 was first seen on line 2"]),
    3: dropped_row(
        3,
        "conflict",
        7,
        "H2",
        "HACK",
        ["H2 was first seen on line 2, with a different email"],
        email="new@example.org",
    ),
    4: dropped_row(4, "rejected", 4, "I7", "ISLI", ["the postcode 'N1' is not a postcode"]),
    5: dropped_row(
        5,
        "rejected",
        9,
        "Z1",
        "",
        ["the association 'Nowhere Association' is not known; nearest: HACK, ISLI"],
    ),
}


def reset() -> None:
    CALLS.clear()
    TOKENS.clear()
    STATE.clear()
    STATE.update(
        votes={}, batches=set(), decided={}, dropped=copy.deepcopy(DROPPED), withdrawals={}
    )


class CodesStandIn:
    name = "codes"

    @rpc(expected_exceptions=(MalformedCode, InvalidCode, LockedOut, BallotNotOpen))
    def verify_code(self, ballot_id: int, code: str, client: str = "") -> dict[str, Any]:
        CALLS.append(("codes.verify_code", ballot_id, client))
        if code == BUG:
            raise RuntimeError(f"stand-in fault while checking {code}")
        if ballot_id == NOT_OPEN:
            raise BallotNotOpen(f"ballot {ballot_id} is not open for voting")
        if code == LOCKED:
            raise LockedOut(
                "this access code is not valid for this ballot; too many wrong access codes "
                "have come from here lately: wait 15 minutes before trying another",
                retry_after=900,
            )
        if "-" not in code:
            raise MalformedCode("this access code has a typing mistake in it")
        if code not in CODES:
            raise InvalidCode("this access code is not valid for this ballot")
        return {"membership_number": CODES[code]}

    @rpc
    def get_audit_head(self) -> dict[str, Any]:
        return HEADS["codes"]


class TallyStandIn:
    name = "tally"

    @rpc
    def cast_ballot(
        self,
        ballot_id: int,
        membership_number: str,
        choices: Any,
        channel: str,
        request_token: str | None = None,
    ) -> dict[str, Any]:
        CALLS.append(("tally.cast_ballot", ballot_id, membership_number, choices, channel))
        TOKENS.append(request_token)
        if ballot_id == MISSING:
            raise BallotNotFound(f"ballot {ballot_id} does not exist")
        if membership_number == "NOT-ON-ROLL":
            raise NotOnRoll("this member is not on the roll of this ballot")
        # A ballot with several contests sends {contest id: [names]}.
        names = [n for v in choices.values() for n in v] if isinstance(choices, dict) else choices
        unknown = [c for c in names if c not in [*CANDIDATES, "Yes", "No"]]
        if unknown:
            raise InvalidChoices(f"{unknown[0]} is not a candidate in this ballot")
        votes = STATE["votes"]
        if (ballot_id, membership_number) in votes:
            raise AlreadyVoted("a vote has already been recorded for this voter")
        receipt = f"R{len(votes) + 1:04d}"
        votes[(ballot_id, membership_number)] = (receipt, list(choices))
        return {"receipt": receipt}

    @rpc
    def get_receipt(self, ballot_id: int, receipt: str) -> dict[str, Any]:
        CALLS.append(("tally.get_receipt", ballot_id, receipt))
        for (ballot, _), (held, _choices) in STATE["votes"].items():
            if ballot == ballot_id and held == receipt:
                return {"found": True, "choices": None, "counted": False}  # open: no choices
        return {"found": False, "choices": None, "counted": None}

    @rpc
    def get_result(self, ballot_id: int) -> dict[str, Any]:
        CALLS.append(("tally.get_result", ballot_id))
        if ballot_id != CLOSED:
            raise ResultNotReady("the result of this ballot is not published yet")
        return {"ballot_id": ballot_id, "elected": ["Ada Lovelace"]}

    @rpc
    def get_bulletin(self, ballot_id: int) -> dict[str, Any]:
        CALLS.append(("tally.get_bulletin", ballot_id))
        if ballot_id != CLOSED:
            raise BallotNotClosed("the bulletin board is published when the ballot closes")
        return {"ballot_id": ballot_id, "ballots": [{"receipt": "R0001", "choices": ["Ada"]}]}

    @rpc
    def get_marked_register(self, ballot_id: int) -> dict[str, Any]:
        CALLS.append(("tally.get_marked_register", ballot_id))
        if ballot_id != CLOSED:
            raise BallotNotClosed("the marked register is available once the ballot closes")
        return {"ballot_id": ballot_id, "voted": ["M1", "M2"]}

    @rpc
    def enter_postal_batch(
        self, ballot_id: int, batch_id: str, teller: str, papers: list[dict[str, Any]]
    ) -> dict[str, Any]:
        CALLS.append(("tally.enter_postal_batch", ballot_id, batch_id, teller, len(papers)))
        if batch_id in STATE["batches"]:
            return {"batch_id": batch_id, "entered": 0, "refused": [], "duplicate_batch": True}
        STATE["batches"].add(batch_id)
        refused = [
            {"membership_number": p["membership_number"], "reason": "not on the roll"}
            for p in papers
            if p["membership_number"].startswith("X")
        ]
        return {
            "batch_id": batch_id,
            "entered": len(papers) - len(refused),
            "refused": refused,
            "duplicate_batch": False,
        }

    @rpc(expected_exceptions=(BallotNotFound, WithdrawalRefused))
    def withdraw_candidate(
        self, ballot_id: int, candidate: str, contest: str | None, reason: str, actor: str
    ) -> dict[str, Any]:
        CALLS.append(("tally.withdraw_candidate", ballot_id, candidate, contest, actor))
        if ballot_id == MISSING:
            raise BallotNotFound(f"ballot {ballot_id} does not exist")
        if candidate not in CANDIDATES:
            raise WithdrawalRefused(f"{candidate!r} is not a candidate")
        key = (ballot_id, contest or "main", candidate)
        done = STATE["withdrawals"].get(key)
        if done is not None and done["reason"] != reason:
            raise WithdrawalRefused(f"{candidate!r} has already withdrawn")
        record = done or {
            "ballot_id": ballot_id,
            "contest": key[1],
            "candidate": candidate,
            "reason": reason,
            "withdrawn_at": datetime.now(UTC).isoformat(),
        }
        STATE["withdrawals"][key] = record
        return {**record, "already_withdrawn": done is not None}

    @rpc
    def list_withdrawals(self, ballot_id: int) -> list[dict[str, Any]]:
        # A read every voting page makes: not recorded in CALLS, so tests of what reached
        # a service stay about the vote.
        return [
            {k: v for k, v in w.items() if k != "ballot_id"}
            for (b, _, _), w in STATE["withdrawals"].items()
            if b == ballot_id
        ]

    @rpc
    def get_audit_head(self) -> dict[str, Any]:
        return HEADS["tally"]

    @rpc(expected_exceptions=(BallotNotFound,))
    def get_key(self, ballot_id: int) -> dict[str, str]:
        CALLS.append(("tally.get_key", ballot_id))
        if ballot_id == MISSING:
            raise BallotNotFound(f"ballot {ballot_id} has no signing key yet")
        return {"algorithm": "ed25519", "public_key": "PUBLIC", "fingerprint": "SHA256:abc"}

    @rpc(expected_exceptions=(ResultNotReady,))
    def get_result_files(self, ballot_id: int) -> dict[str, str]:
        CALLS.append(("tally.get_result_files", ballot_id))
        if ballot_id != CLOSED:
            raise ResultNotReady("the result of this ballot is not published yet")
        return {
            "table": RESULT_TABLE,
            "chart_png_base64": base64.b64encode(RESULT_PNG).decode(),
        }


class SlowTallyStandIn:
    """A tally that takes far longer to answer than the gateway waits."""

    name = "tally"

    @rpc
    def get_result(self, ballot_id: int) -> dict[str, Any]:
        CALLS.append(("slow tally.get_result", ballot_id))
        eventlet.sleep(5)
        return {}


def _dropped(ballot_id: int, row_id: int) -> dict[str, Any]:
    row = STATE["dropped"].get(row_id)
    if ballot_id != OPEN or row is None:
        raise registration.DroppedRowNotFound(f"ballot {ballot_id} has no dropped row {row_id}")
    return dict(row)


def _problems(row: dict[str, str]) -> list[str]:
    """The stand-in's rules for an extract row: a postcode, a date, a known association."""
    problems = []
    if len(row["postcode"].replace(" ", "")) < 5:
        problems.append(f"the postcode {row['postcode']!r} is not a postcode")
    if row["date_of_birth"].startswith("31/02"):
        problems.append(f"the date of birth {row['date_of_birth']!r} is not a date")
    if row["association"] not in ASSOCIATIONS:
        problems.append(f"the association {row['association']!r} is not known")
    return problems


def _settle(row: dict[str, Any], status: str, outcome: str, actor: str) -> dict[str, Any]:
    row.update(
        status=status, outcome=outcome, decided_by=actor, decided_at=datetime.now(UTC).isoformat()
    )
    STATE["dropped"][row["id"]] = row
    return row


DROPPED_ROW_ERRORS = (registration.DroppedRowNotFound, registration.RowNotCorrectable)


class DroppedRowsStandIn:
    """Registration's dropped-row RPCs over ``STATE["dropped"]``, as the contract has them."""

    @rpc
    def list_dropped_rows(
        self,
        ballot_id: int,
        association: str | None = None,
        kind: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        CALLS.append(("registration.list_dropped_rows", ballot_id, association, kind, status))
        return [
            row
            for row in STATE["dropped"].values()
            if ballot_id == OPEN
            and association in (None, row["association"])
            and kind in (None, row["kind"])
            and status in (None, row["status"])
        ]

    @rpc(expected_exceptions=DROPPED_ROW_ERRORS)
    def get_dropped_row(self, ballot_id: int, row_id: int) -> dict[str, Any]:
        CALLS.append(("registration.get_dropped_row", ballot_id, row_id))
        return _dropped(ballot_id, row_id)

    @rpc(expected_exceptions=DROPPED_ROW_ERRORS)
    def correct_dropped_row(
        self, ballot_id: int, row_id: int, values: dict[str, str], actor: str, reason: str = ""
    ) -> dict[str, Any]:
        CALLS.append(("registration.correct_dropped_row", ballot_id, row_id, values, actor, reason))
        row = _dropped(ballot_id, row_id)
        if row["kind"] != "rejected" or row["status"] != "open":
            raise registration.RowNotCorrectable(
                f"row {row_id} is a {row['status']} {row['kind']} row, not an open rejected one"
            )
        corrected = {**row["row"], **values}
        problems = _problems(corrected)
        if problems:
            return {"status": "still_rejected", "reasons": problems}
        row["association"] = corrected["association"]
        return _settle(
            row, "corrected", f"accepted as member {corrected['membership_number']}", actor
        )

    @rpc(expected_exceptions=DROPPED_ROW_ERRORS)
    def resolve_conflict(
        self, ballot_id: int, row_id: int, keep: str, actor: str, reason: str = ""
    ) -> dict[str, Any]:
        CALLS.append(("registration.resolve_conflict", ballot_id, row_id, keep, actor, reason))
        row = _dropped(ballot_id, row_id)
        if row["kind"] != "conflict" or row["status"] != "open":
            raise registration.RowNotCorrectable(
                f"row {row_id} is a {row['status']} {row['kind']} row, not an open conflict"
            )
        kept = "kept the first copy" if keep == "first" else "replaced by this row's data"
        return _settle(row, "resolved", kept, actor)

    @rpc
    def count_dropped_rows(self, ballot_id: int) -> dict[str, Any]:
        CALLS.append(("registration.count_dropped_rows", ballot_id))
        counted = ("rejected", "duplicate", "conflict", "corrected", "resolved")
        by_association: dict[str, dict[str, int]] = {}
        totals = dict.fromkeys(counted, 0)
        for row in STATE["dropped"].values() if ballot_id == OPEN else ():
            counts = by_association.setdefault(row["association"], dict.fromkeys(counted, 0))
            for name in {row["kind"], row["status"]} & set(counted):
                counts[name] += 1
                totals[name] += 1
        return {"by_association": by_association, "totals": totals}


def ballot_definition(ballot_id: int) -> dict[str, Any]:
    if ballot_id == CONTESTS:
        return {
            "ballot_id": ballot_id,
            "title": "Selection and motion",
            "contests": [
                {
                    "id": "selection",
                    "title": "Candidate",
                    "method": "stv",
                    "seats": 1,
                    "candidates": list(CANDIDATES),
                    "instructions": "Number them in order of preference.",
                    "statements": {
                        CANDIDATES[0]: {"text": HOSTILE_NAME, "link": "https://example.org/a"}
                    },
                },
                {
                    "id": "motion",
                    "title": "Motion",
                    "method": "fptp",
                    "seats": 1,
                    "candidates": ["Yes", "No"],
                },
            ],
            "phase": "open",
        }
    method, candidates = "fptp", list(CANDIDATES)
    if ballot_id == RANKED:
        method = "stv"
    if ballot_id == HOSTILE:
        candidates = [HOSTILE_NAME, *CANDIDATES]
    return {
        "ballot_id": ballot_id,
        "title": f"Selection {ballot_id} & co",
        "method": method,
        "seats": 1,
        "candidates": candidates,
        "phase": {CLOSED: "closed", NOT_OPEN: "draft"}.get(ballot_id, "open"),
    }


class RegistrationStandIn(DroppedRowsStandIn):
    name = "registration"

    @rpc(expected_exceptions=(registration.BallotNotFound,))
    def reconcile(self, ballot_id: int, association: str | None = None) -> dict[str, Any]:
        CALLS.append(("registration.reconcile", ballot_id, association))
        if ballot_id == MISSING:
            raise registration.BallotNotFound(f"ballot {ballot_id} does not exist")
        return {"ballot_id": ballot_id, "association": association, "unaccounted": 0}

    @rpc(expected_exceptions=(registration.BallotNotFound,))
    def get_ballot(self, ballot_id: int) -> dict[str, Any]:
        CALLS.append(("registration.get_ballot", ballot_id))
        if ballot_id == MISSING:
            raise registration.BallotNotFound(f"ballot {ballot_id} does not exist")
        return ballot_definition(ballot_id)

    @rpc(expected_exceptions=(registration.BallotNotFound,))
    def roll_check(self, ballot_id: int, membership_number: str, postcode: str) -> None:
        CALLS.append(("registration.roll_check", ballot_id, membership_number))
        if ballot_id == MISSING:
            raise registration.BallotNotFound(f"ballot {ballot_id} does not exist")


class MatchingStandIn:
    name = "matching"

    @rpc
    def list_reviews(self, ballot_id: int, association: str | None) -> list[dict[str, Any]]:
        CALLS.append(("matching.list_reviews", ballot_id, association))
        return [
            {"review_id": rid, "association": assoc, "candidates": [], "evidence": []}
            for rid, assoc in REVIEWS.items()
            if association is None or assoc == association
        ]

    @rpc(expected_exceptions=(ReviewNotFound,))
    def get_review(self, review_id: int) -> dict[str, Any]:
        CALLS.append(("matching.get_review", review_id))
        if review_id not in REVIEWS:
            raise ReviewNotFound(f"there is no review {review_id}")
        return {"review_id": review_id, "association": REVIEWS[review_id], "candidates": []}

    @rpc
    def decide_review(
        self, review_id: int, elector_id: str | None, actor: str, reason: str
    ) -> dict[str, Any]:
        CALLS.append(("matching.decide_review", review_id, elector_id, actor, reason))
        STATE["decided"][review_id] = elector_id
        return {"review_id": review_id, "elector_id": elector_id, "decided_by": actor}

    @rpc
    def get_audit_head(self) -> dict[str, Any]:
        return HEADS["matching"]


ALL = (CodesStandIn, TallyStandIn, RegistrationStandIn, MatchingStandIn)


def called(name: str) -> list[tuple[Any, ...]]:
    return [c for c in CALLS if c[0] == name]
