"""The scrutineer's report: one signed account of a ballot, from the roll to the result. Pure.

``build`` puts together what the other services said of the ballot (the
``figures`` a caller gathered from registration, the mailer and every
service's audit head: ``gateway.reports.gather``) with what the tally holds
(the counted bulletin board and the refused postal papers). ``sign`` adds
the checksum and the ballot key's signature; ``check`` is what
``rollcall verify --report`` runs.

Guarantees:

- The report holds figures, not people: no membership number, name or
  address of a member appears in it (complaints keep their subject, which
  scrutineers already read).
- Its ``sha256`` is SHA-256 over the canonical JSON (``bulletin.canonical``)
  of the report without ``sha256`` and ``signature``; its ``signature`` is
  the ballot key's Ed25519 signature of that same canonical JSON, so any
  changed figure, added or removed field fails ``check``.
- The count is the board's, stage by stage, and the report names the
  board's checksum, so a reader can hold the two side by side.
- Results come as ``contests``, a list: one for a single-contest ballot, one
  per contest in the definition's order for a ballot of several. A contest
  with candidates withdrawn after the papers went out lists them
  (``withdrawn``: candidate, reason, when), as the board does.

The signature says the tally issued the report with the ballot's key; the
figures of the other services are theirs as they gave them when it was made.
"""

from __future__ import annotations

import hashlib
from typing import Any

from services.tally import bulletin, certificate, contests
from services.tally.bulletin import canonical
from services.tally.errors import WHO_SENT_IT

FORMAT = "rollcall-report/1"
UNSIGNED = ("sha256", "signature")
#: What the report shows of each extract's conservation equation.
EXTRACT_FIELDS = (
    "extract_id",
    "status",
    "declared",
    "accepted",
    "rejected",
    "duplicates",
    "corrected",
    "balanced",
)
#: Ledger states in which a member is a voter on the roll (eligible, code issued or voted).
ON_ROLL = ("awaiting_code", "code_emailed", "letter_queued", "mail_failed", "voted")


def digest(report: dict[str, Any]) -> str:
    return hashlib.sha256(
        canonical({k: v for k, v in report.items() if k not in UNSIGNED})
    ).hexdigest()


def _members(roll: dict[str, Any]) -> dict[str, Any]:
    """The members in the extracts and where each one is: the conservation equations."""
    return {
        "extracts": [{f: e.get(f) for f in EXTRACT_FIELDS} for e in roll["extracts"]],
        "accepted": roll["accepted"],
        "in_ledger": roll["in_ledger"],
        # A list, in the ledger's own order (from eligible to voted), whatever sorts the keys.
        "states": [
            {"state": state, "meaning": roll["state_meanings"].get(state, ""), "members": n}
            for state, n in roll["ledger"].items()
        ],
        "in_flight": roll["in_flight"],
        "unaccounted": roll["unaccounted"],
        "not_reached": roll["not_reached"],
        "balanced": roll["balanced"],
    }


def _by_association(roll: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per association: members in the ledger, voters on the roll, and those who voted."""
    shown = {}
    for association, states in sorted(roll["by_association"].items()):
        shown[association] = {
            "members": sum(states.values()),
            "on_roll": sum(states.get(s, 0) for s in ON_ROLL),
            "voted": states.get("voted", 0),
            "excluded": states.get("excluded", 0),
            "not_reached": states.get("mail_failed", 0),
        }
    return shown


def _codes(mail: dict[str, Any]) -> dict[str, Any]:
    return {
        "by_channel": dict(mail.get("codes_by_channel", {})),
        "total": mail["codes"],
        "emails_accepted": mail["emails_accepted"],
        "letters_queued": mail["letters_queued"],
        "fallbacks_to_post": mail["fallbacks_to_post"],
        "hard_bounces": dict(mail["hard_bounces"]),
        "failed": mail["failed"],
        "pending": mail["pending"],
        "replacements_sent": mail["reissued_codes"],
    }


def _papers(board: dict[str, Any], mail: dict[str, Any], refused: dict[str, int]) -> dict[str, Any]:
    """Papers by channel: postal issued and returned; refused, spoilt and valid, with reasons.

    A postal paper is *refused* for who sent it (not on the roll, already
    voted) and *spoilt* for its marks (blank, unknown names, too many); the
    count's own invalid papers are spoilt too. Returned = entered + refused +
    spoilt at entry.
    """
    turnout, results = board["turnout"], bulletin.results(board)
    for_sender = {r: n for r, n in refused.items() if r in WHO_SENT_IT}
    for_marks = {r: n for r, n in refused.items() if r not in WHO_SENT_IT}
    spoilt = dict(for_marks)
    for result in results:
        # On a ballot of several contests a paper is spoilt (or blank) contest by contest.
        prefix = f"{result['id']}: " if len(results) > 1 else ""
        for reason, n in result["counts"].get("invalid_reasons", {}).items():
            spoilt[prefix + reason] = spoilt.get(prefix + reason, 0) + n
    valid: int | dict[str, int] = results[0]["counts"]["valid"]
    if len(results) > 1:
        valid = {r["id"]: r["counts"]["valid"] for r in results}
    return {
        "online": {"votes": turnout.get("online", 0)},
        "postal": {
            "issued": mail.get("codes_by_channel", {}).get("post", 0),
            "returned": turnout.get("postal", 0) + sum(refused.values()),
            "entered": turnout.get("postal", 0),
        },
        "cast": turnout.get("cast", 0),
        "refused": {"total": sum(for_sender.values()), "reasons": for_sender},
        "spoilt": {"total": sum(spoilt.values()), "reasons": spoilt},
        "valid": valid,
    }


def _contests(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Every contest's count, in the definition's order (one for a single-contest ballot)."""
    defined = contests.contests(board["ballot"])
    every = [
        _contest(number, c, r["counts"], board["ballot"].get("seed"))
        for number, (c, r) in enumerate(zip(defined, bulletin.results(board), strict=True), 1)
    ]
    for contest in every:
        withdrawn = [
            {k: w[k] for k in ("candidate", "reason", "withdrawn_at")}
            for w in board.get("withdrawals") or []
            if w.get("contest") == contest["id"]
        ]
        if withdrawn:
            contest["withdrawn"] = withdrawn
    return every


def _contest(
    number: int, defined: dict[str, Any], counts: dict[str, Any], seed: Any
) -> dict[str, Any]:
    contest = {
        "contest": number,
        "id": defined["id"],
        "title": defined["title"],
        "method": defined["method"],
        "seats": defined["seats"],
        "candidates": list(defined["candidates"]),
        "valid": counts["valid"],
        "invalid": counts["invalid"],
        "quota": counts.get("quota"),
        "stages": counts.get("rounds", []),
        "winners": counts["winners"],
        "ties": counts.get("ties", []),
        "seed": counts.get("seed", seed),
    }
    if counts.get("ron_elected"):
        contest["ron_elected"] = True
        contest["note"] = counts.get("note", "")
    return contest


def _complaint(c: dict[str, Any]) -> dict[str, Any]:
    return {
        k: c.get(k)
        for k in ("complaint_id", "subject", "status", "outcome", "opened_by", "deadline")
    }


def build(
    board: dict[str, Any],
    refused: dict[str, int],
    figures: dict[str, Any],
    generated_at: str,
) -> dict[str, Any]:
    """The unsigned report of a counted ballot (its ``board``) with the gathered ``figures``."""
    definition, roll, mail = figures["ballot"], figures["roll"], figures["mail"]
    reminders = figures.get("reminders") or {}
    return {
        "format": FORMAT,
        "generated_at": generated_at,
        "ballot": {
            "ballot_id": definition["ballot_id"],
            "title": definition["title"],
            "phase": definition["phase"],
            "timetable": dict(definition.get("timetable") or {}),
        },
        "members": _members(roll),
        "roll_by_association": _by_association(roll),
        "codes": _codes(mail),
        "papers": _papers(board, mail, refused),
        "reminders": {
            "sent": mail["reminders"],
            "total": dict(reminders.get("total", {})),
            "by_time": dict(reminders.get("slots", {})),
        },
        "replacements": {
            "reissued": roll["replacements"]["reissued"],
            "by_source": dict(roll["replacements"]["by_source"]),
        },
        "complaints": [_complaint(c) for c in figures.get("complaints", [])],
        "pauses": list(figures.get("pauses", [])),
        "audit_heads": {
            "at_count": dict(board.get("audit_heads", {})),
            "at_report": dict(figures.get("audit_heads", {})),
        },
        "contests": _contests(board),
        "bulletin": {
            "sha256": board["sha256"],
            "papers": len(board["ballots"]),
            "electorate": board["turnout"].get("electorate"),
        },
        "key": dict(board["key"]),
    }


def sign(report: dict[str, Any], private_pem: bytes, passphrase: bytes) -> dict[str, Any]:
    """The report with its checksum and the ballot key's signature."""
    body = {k: v for k, v in report.items() if k not in UNSIGNED}
    body["sha256"] = digest(body)
    return {**body, "signature": certificate.sign_message(canonical(body), private_pem, passphrase)}


def check(report: dict[str, Any], expected_fingerprint: str | None = None) -> list[str]:
    """Problems with a report; empty when its checksum holds and the ballot's key signed it."""
    if report.get("format") != FORMAT:
        return [f"not a scrutineer's report (format {report.get('format')!r}, expected {FORMAT})"]
    key = report.get("key")
    if not isinstance(key, dict) or key.get("algorithm") != certificate.ALGORITHM:
        return ["the report carries no Ed25519 key"]
    actual = digest(report)
    if actual != report.get("sha256"):
        # The signature covers the same contents: one line says it all.
        return [
            f"the report was altered: it says SHA-256 {report.get('sha256')}, "
            f"its contents give {actual}"
        ]
    problems = []
    try:
        if certificate.fingerprint(str(key.get("public_key", ""))) != key.get("fingerprint"):
            problems.append("the key's fingerprint does not match the key")
    except ValueError:
        problems.append("the report's public key is not hexadecimal")
    if expected_fingerprint and key.get("fingerprint") != expected_fingerprint.lower():
        problems.append(
            f"the report is signed by key {key.get('fingerprint')}, "
            f"not the published {expected_fingerprint}"
        )
    body = {k: v for k, v in report.items() if k != "signature"}
    if not certificate.signature_valid(
        str(key.get("public_key", "")), canonical(body), str(report.get("signature", ""))
    ):
        problems.append("the report's signature is not valid")
    return problems
