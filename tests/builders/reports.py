"""Builders of a counted board and the figures the services give for a scrutineer's report."""

from __future__ import annotations

import random
from typing import Any

from services.registration.ledger import STATES
from services.tally import bulletin, certificate
from tests.builders import ballots as builders

PASSPHRASE = b"report-pass"
CANDIDATES = ["Ada Lovelace", "Mary Seacole", "Sylvia Pankhurst", "Zoë Ó Súilleabháin"]
NOT_ON_ROLL = "this member is not on the roll for this ballot"
ALREADY_VOTED = "a vote has already been recorded for this member"
BLANK = "the ballot paper is blank: choose at least one candidate"


def board(
    papers: int = 40, withdrawals: list[dict[str, Any]] | None = None, **definition: Any
) -> tuple[dict[str, Any], bytes]:
    """A counted, signed bulletin board of ``papers`` random STV papers (without the candidates
    ``withdrawals`` names), and its key's PEM."""
    ballot = {
        **builders.ballot_definition(method="stv", seats=2, candidates=CANDIDATES),
        "ballot_id": 3,
        "phase": "closed",
        **definition,
    }
    rng = random.Random(7)
    box = []
    for i in range(papers):
        order = list(ballot["candidates"])
        rng.shuffle(order)
        box.append({"receipt": f"r{i:04}", "choices": order[: rng.randint(1, len(order))]})
    public, pem = certificate.new_key(PASSPHRASE)
    built = bulletin.build(
        ballot,
        box,
        {"electorate": 50, "online": papers - 8, "postal": 8, "cast": papers, "refused_papers": 3},
        bulletin.count(ballot, box, bulletin.withdrawn_in(withdrawals, "main")),
        {
            "key": certificate.key_section(public),
            "audit_heads": {"tally": {"seq": 4, "hash": "b" * 64}},
        },
        withdrawals,
    )
    built["certificate"] = certificate.sign(built, pem, PASSPHRASE)
    return built, pem


def figures(ballot_id: int = 3) -> dict[str, Any]:
    """What registration and the mailer say of a ballot of 53 rows, as ``gather`` returns it."""
    return {
        "ballot": {
            **builders.ballot_definition(method="stv", seats=2, candidates=CANDIDATES),
            "ballot_id": ballot_id,
            "phase": "counted",
            "timetable": {"closes_at": "2026-11-20T17:00:00+00:00"},
        },
        "roll": {
            "extracts": [
                {
                    "extract_id": f"members-b{ballot_id}",
                    "status": "complete",
                    "refusal": "",
                    "declared": 53,
                    "accepted": 50,
                    "rejected": 2,
                    "duplicates": 1,
                    "corrected": 0,
                    "balanced": True,
                }
            ],
            "accepted": 50,
            "ledger": {**dict.fromkeys(STATES, 0), "excluded": 2, "code_emailed": 6, "voted": 40}
            | {"letter_queued": 1, "mail_failed": 1},
            "state_meanings": dict(STATES),
            "by_association": {
                "HACK": {"voted": 25, "code_emailed": 4, "excluded": 1},
                "ISLI": {"voted": 15, "code_emailed": 2, "letter_queued": 1, "mail_failed": 1}
                | {"excluded": 1},
            },
            "in_ledger": 50,
            "in_flight": 0,
            "unaccounted": 0,
            "unaccounted_members": [],
            "not_reached": 1,
            "not_reached_members": [
                {"membership_number": "M0042", "association": "ISLI", "reason": "bounced"}
            ],
            "balanced": True,
            "replacements": {"reissued": 2, "by_source": {"voter": {"reissued": 2}}},
        },
        "complaints": [
            {
                "complaint_id": 1,
                "subject": "a letter came late",
                "status": "dismissed",
                "outcome": "posted on time",
                "opened_by": "op",
                "deadline": "2026-11-25T00:00:00+00:00",
            }
        ],
        "pauses": [
            {
                "paused_at": "2026-11-10T10:00:00+00:00",
                "paused_by": "Olu",
                "reason": "printer fault",
                "resume_requested_by": "Olu",
                "refused_approvals": 1,
                "outcome": "resumed",
                "ended_at": "2026-11-10T12:00:00+00:00",
                "approved_by": "Ada",
            }
        ],
        "mail": {
            "codes": 50,
            "codes_by_channel": {"email": 41, "post": 9},
            "emails_accepted": 40,
            "letters_queued": 9,
            "fallbacks_to_post": 1,
            "hard_bounces": {"at_sending": 1, "after_sending": 0},
            "failed": 1,
            "pending": 0,
            "reminders": 6,
            "reissued_codes": 2,
        },
        "reminders": {"total": {"sent": 6}, "slots": {"2026-11-15T09:00:00+00:00": {"sent": 6}}},
        "audit_heads": {
            s: {"seq": 10, "hash": "c" * 64}
            for s in ("registration", "matching", "codes", "mailer", "tally", "gateway")
        },
    }


REFUSED = {NOT_ON_ROLL: 1, ALREADY_VOTED: 1, BLANK: 1}
