"""The demo's delivery story: waiting for the mail to settle, who was reached, the report's figures.

``mail_settled`` says when nothing is left in flight: no delivery pending in
the mailer, every DSN the sink sent received and applied, and registration's
ledger at rest. ``reach`` sorts every eligible member into voted, holding a
delivered code (an email the sink took and that did not bounce, or a letter),
or not reached with a reason an officer can act on; anyone else is
``unexplained`` and fails the demo. ``probe_bounce_doors`` knocks on both
bounce doors as a stranger would (garbage, a forged report, an unsigned
webhook call, a signed one) and says what became of each. ``section`` is the
report's ``delivery``.
"""

from __future__ import annotations

import json
import smtplib
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from gateway.bounces import SIGNATURE_HEADER, sign
from rollcall_cli.demo.sink import compose_dsn, read_journal, send_dsn

#: States in which an eligible member holds a code that reached them (with ``voted``).
DELIVERED = ("code_emailed", "letter_queued")


def mail_settled(rpc: Any, ballot_id: int, journal: Path) -> dict[str, Any] | None:
    """The mailer's summary once nothing is in flight; None until then."""
    sink = read_journal(journal)
    if sink["bounced"] > sink["dsn_sent"] + sink["dsn_failed"]:
        return None  # the sink is still sending DSNs
    summary: dict[str, Any] = rpc.mailer.get_delivery_summary(ballot_id)
    reports = summary["bounce_reports"]
    if summary["pending"] or reports.get("pending"):
        return None
    if sum(reports.values()) < sink["dsn_sent"]:
        return None  # sent, not yet stored
    if rpc.registration.reconcile(ballot_id)["in_flight"]:
        return None
    return summary


def reach(members: list[dict[str, Any]], bounced: set[str]) -> dict[str, list[str]]:
    """Every eligible member by how they were reached; ``unexplained``: anyone who was not
    and is not shown with a reason."""
    found: dict[str, list[str]] = {
        "voted": [],
        "email": [],
        "letter": [],
        "not_reached_with_reason": [],
        "unexplained": [],
    }
    for m in members:
        number, state, reason = m["membership_number"], m["state"], (m.get("reason") or "")
        if state == "excluded":
            continue
        if state == "voted":
            found["voted"].append(number)
        elif state == "code_emailed" and number not in bounced:
            found["email"].append(number)
        elif state == "letter_queued":
            found["letter"].append(number)
        elif state == "mail_failed" and reason.strip():
            found["not_reached_with_reason"].append(number)
        else:
            found["unexplained"].append(f"{number}: {state} ({reason})")
    return found


def not_reached(members: list[dict[str, Any]]) -> dict[str, Any]:
    """Who is shown as not reached, and why (the first twenty, and how many in all)."""
    shown = [m for m in members if m["state"] == "mail_failed"]
    return {
        "count": len(shown),
        "members": [
            {"membership_number": m["membership_number"], "reason": m.get("reason") or ""}
            for m in shown[:20]
        ],
    }


def probe_bounce_doors(run: Any, rpc: Any, ballot_id: int) -> dict[str, Any]:
    """Garbage and a forged DSN to the SMTP endpoint, an unsigned and a signed webhook call:
    what the doors answered and how many reports the mailer kept for review."""
    settings = run.settings
    before = rpc.mailer.get_delivery_summary(ballot_id)["bounce_reports_for_review"]
    port = run.bounce_port()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.sendmail("<>", ["bounce@demo.invalid"], b"Subject: hello\r\n\r\nnot a report\r\n")
    forged = "bounce+1-0000000000000000@demo.invalid"
    original = f"Message-ID: <ballot-{ballot_id}.X.initial@demo.invalid>\r\n\r\n".encode()
    send_dsn(
        compose_dsn(original, recipient="x@demo.invalid", return_path=forged),
        forged,
        "127.0.0.1",
        port,
    )
    url = f"{settings.public_url}/api/mail/bounces"
    body = json.dumps(
        {"events": [{"type": "bounce", "severity": "soft", "message_id": "<unknown@demo>"}]}
    ).encode()
    headers = {"Content-Type": "application/json"}
    unsigned = requests.post(url, data=body, headers=headers, timeout=30)
    secret = settings.secret("bounce_webhook_secret")
    headers[SIGNATURE_HEADER] = sign(secret, body, int(time.time()))
    signed = requests.post(url, data=body, headers=headers, timeout=30)
    deadline = time.monotonic() + 30
    while True:
        kept = rpc.mailer.get_delivery_summary(ballot_id)["bounce_reports_for_review"] - before
        if kept >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    return {
        "unsigned_webhook_status": unsigned.status_code,
        "signed_webhook_status": signed.status_code,
        "kept_for_review": kept,
    }


def section(
    summary: dict[str, Any], members: list[dict[str, Any]], journal: Path, faults: float | None
) -> dict[str, Any]:
    """The report's ``delivery`` section."""
    sink = read_journal(journal)
    return {
        "codes": summary["codes"],
        "sent": summary["emails_accepted"],
        "transient_retries": summary["transient_retries"],
        "hard_bounces": summary["hard_bounces"],
        "fallbacks_to_post": summary["fallbacks_to_post"],
        "letters_queued": summary["letters_queued"],
        "reminders": summary["reminders"],
        "replacements": summary["reissued_codes"],
        "not_reached": not_reached(members),
        "bounce_reports": summary["bounce_reports"],
        "sink": {"fault_rate": faults, **dict(sorted(Counter(sink).items()))},
    }
